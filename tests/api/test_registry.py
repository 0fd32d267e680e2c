"""ChampionStore against a real MLflow registry (a temporary SQLite store): load the champion
through `models:/NAME/VERSION`, notice a moved alias, survive an unreachable registry.

The registry (`forecasting.tracking.MlflowRegistry`) reads its own store: loading a champion
leaves MLflow's process-wide URIs and `sys.path` as they were."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from api.champion import ChampionStore
from forecasting.contract import CHAMPION_ALIAS, registered_name
from forecasting.tracking import MlflowRegistry, pyfunc

pytestmark = pytest.mark.slow


def _log_champion(model: Any, metadata: dict[str, Any], name: str, tmp: Path) -> str:
    import mlflow

    history = pd.DataFrame({"date": [model.last_date_], model.target: [0]})
    wrapped = pyfunc.CrossingsModel(model, metadata, history)
    exp = mlflow.set_experiment(experiment_name="api-registry-test")
    with mlflow.start_run(experiment_id=exp.experiment_id):
        info = mlflow.pyfunc.log_model(
            name="model", python_model=wrapped, code_paths=pyfunc.code_paths()
        )
    version = str(mlflow.register_model(info.model_uri, name).version)
    mlflow.MlflowClient().set_registered_model_alias(name, CHAMPION_ALIAS, version)
    return version


def test_champion_store_with_a_real_registry(
    tmp_path: Path, fitted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    monkeypatch.chdir(tmp_path)  # artifacts land under tmp_path
    before = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        _scenario(uri, tmp_path, fitted, monkeypatch)
    finally:
        mlflow.set_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])


@contextmanager
def _other_process_wide_uris(tmp_path: Path) -> Iterator[None]:
    """MLflow's process-wide URIs point at another (empty) store meanwhile, and stay there."""
    import mlflow

    before = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    other = f"sqlite:///{tmp_path / 'other.db'}"
    mlflow.set_tracking_uri(other)
    mlflow.set_registry_uri(other)
    try:
        yield
        assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == (other, other)
    finally:
        mlflow.set_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])


def _scenario(
    uri: str, tmp_path: Path, fitted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = registered_name("people")
    meta = {
        "model_name": "hurdle",
        "target": "people",
        "trained_at": "2023-06-21T06:00:00Z",
        "data_vintage": "2023-06-23",
        "backtest_metrics": {"crps": 1.0},
    }
    v1 = _log_champion(fitted["people"], meta, name, tmp_path)

    store = ChampionStore(MlflowRegistry(uri), {"people": name})
    path_before = list(sys.path)
    with _other_process_wide_uris(tmp_path):
        [out] = store.refresh()
    assert sys.path == path_before
    assert out.changed and out.current == v1 and out.error is None
    champ = store.get("people")
    assert champ is not None and champ.version == v1
    assert champ.metadata["data_vintage"] == "2023-06-23"
    assert champ.forecaster.last_date_ == fitted["people"].last_date_

    # unchanged alias: nothing reloads; moved alias: the new version is served
    assert store.refresh()[0].changed is False
    v2 = _log_champion(fitted["people"], {**meta, "data_vintage": "2023-06-30"}, name, tmp_path)
    [out] = store.refresh()
    assert out.changed and out.previous == v1 and out.current == v2
    assert store.get("people").metadata["data_vintage"] == "2023-06-30"  # type: ignore[union-attr]

    # an unreachable registry: the last good champion stays, and it is reported stale
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    store.registry = MlflowRegistry("http://127.0.0.1:9")
    [out] = store.refresh()
    assert out.error and out.current == v2
    assert store.get("people").version == v2  # type: ignore[union-attr]
    assert store.is_stale("people")
