"""Two `crossings tune` processes share one Optuna study in a throwaway PostgreSQL database:
between them they finish the trials asked for, no trial number is used twice, and every trial
is a nested run under the study's one MLflow parent run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow import MlflowClient

from forecasting.ingest import ingest
from forecasting.tuning.study import PARENT_ATTR
from tests.forecasting.training.test_tune import tune_mapping
from tests.lifecycle import VENV_BIN, env_with_venv, fresh_store, make_store_template, write_sources

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
TRIALS_EACH = 3


@pytest.fixture
def pg_study_url(pg_url: str) -> str:
    """A throwaway PostgreSQL database (tests/api/test_archive.py) as an Optuna storage URL."""
    return pg_url.replace("postgresql://", "postgresql+psycopg://", 1)


def _tune(config: Path, data: Path, storage: str, uri: str, out: Path, log: Path) -> Any:
    cmd = [
        str(VENV_BIN / "crossings"), "-v", "tune",
        "--config", str(config), "--data", str(data), "--trials", str(TRIALS_EACH),
        "--storage", storage, "--tracking-uri", uri, "--out", str(out),
    ]  # fmt: skip
    env = env_with_venv(CROSSINGS_ARTIFACT_ROOT=str(out.parent / "mlartifacts"))
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)


def test_two_processes_share_one_postgres_study(pg_study_url: str, tmp_path: Path) -> None:
    import optuna

    a, w = write_sources(tmp_path / "src")
    ingest(a, w, tmp_path / "data")
    uri = fresh_store(make_store_template(tmp_path / "template"), tmp_path / "mlflow")
    config = tmp_path / "tune.yaml"
    config.write_text(yaml.safe_dump(tune_mapping(study={"name": "shared"})))
    procs = [
        _tune(config, tmp_path / "data", pg_study_url, uri, tmp_path / f"best-{i}.yaml", log)
        for i, log in enumerate([tmp_path / "p0.log", tmp_path / "p1.log"])
    ]
    try:
        codes = [p.wait(timeout=240) for p in procs]
    finally:
        for p in procs:  # only ours, by handle
            if p.poll() is None:
                p.kill()
                p.wait()
    logs = [(tmp_path / f"p{i}.log").read_text() for i in range(2)]
    assert codes == [0, 0], "\n\n".join(log[-3000:] for log in logs)

    study = optuna.load_study(study_name="shared", storage=pg_study_url)
    numbers = [t.number for t in study.trials]
    assert sorted(numbers) == list(range(2 * TRIALS_EACH))  # no duplicates, none missing
    assert all(t.state.is_finished() for t in study.trials)
    ran = [re.search(r"this process ran trials ([\d, ]+)", log) for log in logs]
    mine = [sorted(int(n) for n in m.group(1).split(",")) for m in ran if m]
    assert len(mine) == 2 and all(len(m) == TRIALS_EACH for m in mine)
    assert sorted(mine[0] + mine[1]) == list(range(2 * TRIALS_EACH))

    # Every trial, from either process, is a nested run under the study's one parent run.
    parent = study.user_attrs[PARENT_ATTR]
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs(
        [client.get_run(parent).info.experiment_id], f"tags.mlflow.parentRunId = '{parent}'"
    )
    studies = client.search_runs(
        [client.get_run(parent).info.experiment_id], "tags.`tune.role` = 'study'"
    )
    assert [r.info.run_id for r in studies] == [parent]  # one parent, however many processes
    logged = sorted(int(r.data.tags["optuna.trial_number"]) for r in runs)
    assert logged == list(range(2 * TRIALS_EACH))
    states = {t.number: t.state.name for t in study.trials}
    assert {int(r.data.tags["optuna.trial_number"]): r.data.tags["optuna.state"] for r in runs} == (
        states
    )
    assert any(path.is_file() for path in tmp_path.glob("best-*.yaml"))
