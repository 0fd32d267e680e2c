"""The registered model's packaging: its output columns, pinned requirements and shipped
code, and a logged model that loads from the registry without touching process-wide state."""

from __future__ import annotations

import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from forecasting import tracking
from forecasting.contract import CHAMPION_ALIAS, DEFAULT_LEVELS_PCT, band_cols, registered_name
from forecasting.models import create
from forecasting.tracking import pyfunc, store
from tests.synthetic import generate_series


def test_output_columns_use_the_one_band_naming() -> None:
    expected = ("date", "median", "mean", "p_any", *band_cols(DEFAULT_LEVELS_PCT))
    assert expected == pyfunc.OUTPUT_COLUMNS
    assert "lo-80" in pyfunc.OUTPUT_COLUMNS and "hi-95" in pyfunc.OUTPUT_COLUMNS


def test_requirements_pin_what_the_model_imports() -> None:
    reqs = pyfunc.pip_requirements("hurdle")
    names = [r.split("==")[0] for r in reqs]
    assert names == [
        "mlflow",
        "pandas",
        "numpy",
        "scipy",
        "statsmodels",
        "cloudpickle",
        "pyarrow",
        "pydantic-settings",
    ]
    assert all("==" in r for r in reqs)  # every one is installed here, so every one is pinned
    assert pyfunc.pip_requirements("prophet_weather")[-1].startswith("prophet==")


def test_the_shipped_code_is_the_package() -> None:
    [folder] = pyfunc.code_paths()
    assert Path(folder).name == "forecasting"
    assert (Path(folder) / "tracking" / "pyfunc.py").is_file()
    assert pyfunc.library_versions()["channel-crossings"]


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, pd.DataFrame]:
    """A seasonal-naive model logged with `tracking.log_pyfunc_model` and made champion."""
    root = tmp_path_factory.mktemp("store")
    arrivals, _ = generate_series(400, "2021-01-01", seed=5)
    model = create("seasonal_naive", target="people").fit(arrivals)
    wrapped = pyfunc.CrossingsModel(model, {"trained_at": "test"}, arrivals.tail(7))
    example = pyfunc.input_example(wrapped, None)
    output = wrapped.predict(None, example, {"n_samples": 50, "seed": 0})
    before = (mlflow.get_tracking_uri(), mlflow.get_registry_uri(), dict(store._state))
    uri = tracking.configure(f"sqlite:///{root / 'mlruns.db'}", root / "artifacts")
    name = registered_name("people", "test")
    try:
        with tracking.start_run(tracking.ensure_experiment("pyfunc-test"), "r"):
            model_uri = tracking.log_pyfunc_model(
                wrapped, example, output, {"n_samples": 50, "seed": 0}, ["mlflow"]
            )
        version = tracking.register_model(model_uri, name)
        tracking.set_alias(name, CHAMPION_ALIAS, version)
    finally:  # leave MLflow and tracking as they were
        mlflow.set_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])
        store._state.update(before[2])
    return uri, name, example


def test_logged_model_ships_the_package(registered: tuple[str, str, pd.DataFrame]) -> None:
    uri, name, _ = registered
    source = MlflowClient(uri, uri).get_model_version_download_uri(name, "1")
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=source, tracking_uri=uri))
    assert (local / "code" / "forecasting" / "tracking" / "pyfunc.py").is_file()
    assert not list((local / "code").rglob("__pycache__"))


def test_registry_loads_without_touching_process_wide_state(
    registered: tuple[str, str, pd.DataFrame],
) -> None:
    uri, name, example = registered
    uris, path = (mlflow.get_tracking_uri(), mlflow.get_registry_uri()), list(sys.path)
    registry = tracking.MlflowRegistry(uri)
    version = registry.champion_version(name)
    forecaster, metadata = registry.load(name, version)
    assert version == "1" and metadata["trained_at"] == "test"
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == uris
    assert sys.path == path
    fc = forecaster.predict(len(example), None, n_samples=50, seed=0)
    assert fc.samples.shape == (50, len(example))
