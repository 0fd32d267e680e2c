"""A small training job on a fresh real MLflow SQLite store, for tests that read its runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import Run

from forecasting.ingest import ingest
from forecasting.training.config import parse_config
from forecasting.training.job import train
from forecasting.training.results import TrainResult
from tests.lifecycle import fresh_store, make_store_template, write_sources


@dataclass
class TrainedJob:
    """The store a job wrote to, its result, and what its link logger said (when captured)."""

    uri: str
    result: TrainResult
    logged: list[str] = field(default_factory=list)

    @property
    def client(self) -> MlflowClient:
        """A client of the job's tracking store and registry."""
        return MlflowClient(self.uri, self.uri)

    def children(self) -> list[Run]:
        """The models' runs (the children of the job's parent run)."""
        res = self.result
        return self.client.search_runs(
            [res.experiment_id], f"tags.mlflow.parentRunId = '{res.parent_run_id}'"
        )


@contextmanager
def trained_job(root: Path, config: dict[str, Any]) -> Iterator[TrainedJob]:
    """Ingest the synthetic sources in `root` and train `config` (a `small_config` dict) into
    a fresh store there; artifacts under `root`, no MLFLOW_TRACKING_URI from outside."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CROSSINGS_ARTIFACT_ROOT", str(root / "mlartifacts"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        uri = fresh_store(make_store_template(root / "template"), root)
        ingest(*write_sources(root / "src"), root / "data")
        yield TrainedJob(uri, train(parse_config(config), root / "data", tracking_uri=uri))
