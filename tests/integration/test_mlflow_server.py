"""The remote path: a real `mlflow server` on 127.0.0.1 backed by PostgreSQL, the API's
registry loader reading it, and the real `mlflow models serve` on the registered champion, in
this environment (``--env-manager local``) and in a fresh one (``--env-manager virtualenv``:
a new virtualenv built from the model's requirements, with the project's code shipped in
the model; it needs pyenv with the model's Python, and pip's index).

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres). Each session creates a fresh
database and drops it afterwards. Without PostgreSQL these tests skip with the reason,
unless CROSSINGS_REQUIRE_POSTGRES=1 (set by .ci/run), which turns the skip into a failure.
CROSSINGS_TEST_PG_HOST / CROSSINGS_TEST_PG_PORT point them at another PostgreSQL.
Marked slow (servers take a while to start): run with `pytest -m postgres`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from forecasting import tracking
from forecasting.contract import CHALLENGER_ALIAS, CHAMPION_ALIAS, hi_col, lo_col, registered_name
from forecasting.ingest import ingest
from forecasting.tracking import MlflowRegistry
from forecasting.tracking.pyfunc import OUTPUT_COLUMNS
from forecasting.training.config import parse_config
from forecasting.training.job import train
from tests.lifecycle import (
    VENV_BIN,
    env_with_venv,
    free_port,
    small_config,
    start,
    stop,
    wait_http,
    write_sources,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PG_HOST = os.environ.get("CROSSINGS_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("CROSSINGS_TEST_PG_PORT", "5432")
PG = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres connect_timeout=5"
PREFIX = "srv"
NAME = registered_name("people", PREFIX)
CHAMPION_URI = f"models:/{NAME}@{CHAMPION_ALIAS}"
STARTUP_S = 120
ENV_BUILD_S = 1200  # a fresh virtualenv: pip installs mlflow and the model's pins


@pytest.fixture(scope="module")
def postgres_uri() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    required = os.environ.get("CROSSINGS_REQUIRE_POSTGRES") == "1"
    try:
        import psycopg

        conn = psycopg.connect(PG, autocommit=True)
    except Exception as exc:  # missing driver or server: both mean "no PostgreSQL here"
        reason = f"PostgreSQL is not available on {PG_HOST}:{PG_PORT} as user postgres ({exc})"
        if required:
            pytest.fail(f"{reason}; CROSSINGS_REQUIRE_POSTGRES=1 makes these tests mandatory")
        pytest.skip(reason)
    name = f"crossings_test_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


@pytest.fixture(scope="module")
def server(postgres_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` on a free port of 127.0.0.1, stopped (whole process group) after."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = root / "server.log"
    proc = start(
        [
            str(VENV_BIN / "mlflow"),
            "server",
            "--backend-store-uri",
            postgres_uri,
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        log,
        env_with_venv(),
        cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health", STARTUP_S, proc, log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def trained(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Two training jobs against the server: the first promotes, the second must not."""
    root = tmp_path_factory.mktemp("remote-train")
    a, w = write_sources(root / "src")
    ingest(a, w, root / "data")
    cfg = parse_config(small_config("remote", PREFIX))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", server)
        mp.chdir(root)
        first = train(cfg, root / "data")
        second = train(cfg, root / "data")
        yield {"uri": server, "first": first, "second": second, "root": root}


def _input_frame(root: Path, first_day: pd.Timestamp, columns: list[str]) -> pd.DataFrame:
    weather = pd.read_parquet(root / "src" / "weather.parquet").set_index("date")
    dates = pd.date_range(first_day, periods=7)
    frame = weather.loc[dates].reset_index()
    return frame.loc[:, columns]


def test_training_logs_to_the_remote_server(trained: dict) -> None:
    first, second = trained["first"], trained["second"]
    assert first.tracking_uri == trained["uri"]
    d1 = first.targets["people"].decision
    d2 = second.targets["people"].decision
    assert d1 is not None and d1.promoted and d1.alias == CHAMPION_ALIAS
    assert d2 is not None and not d2.promoted and d2.alias == CHALLENGER_ALIAS
    client = MlflowClient(trained["uri"], trained["uri"])
    assert str(client.get_model_version_by_alias(NAME, CHAMPION_ALIAS).version) == d1.version
    run_id = first.targets["people"].run_for("hurdle").run_id
    files = {f.path for f in client.list_artifacts(run_id, "plots")}
    assert "plots/backtest_fan.png" in files and "plots/calibration.png" in files
    tracking.configure(trained["uri"])
    history = tracking.promotion_history(NAME)
    assert len(history) == 1 and history[0]["new_version"] == d1.version


def test_champion_loads_from_the_remote_registry(trained: dict) -> None:
    tracking.configure(trained["uri"])
    model = mlflow.pyfunc.load_model(CHAMPION_URI)
    wrapped = model.unwrap_python_model()
    cols = ["date", *wrapped.weather_variables]
    out = model.predict(_input_frame(trained["root"], wrapped.first_forecast_day, cols))
    assert list(out.columns) == list(OUTPUT_COLUMNS) and len(out) == 7


def test_the_api_registry_loads_the_remote_champion(trained: dict, tmp_path: Path) -> None:
    """The API's loader reads the server's registry and proxied artifacts by its own URI,
    whatever MLflow's process-wide URIs say."""
    elsewhere = tracking.configure(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    registry = MlflowRegistry(trained["uri"])
    version = registry.champion_version(NAME)
    assert version == trained["first"].targets["people"].decision.version
    forecaster, metadata = registry.load(NAME, version)
    assert metadata["target"] == "people" and forecaster.fitted_
    assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == elsewhere


def _champion_input(trained: dict) -> tuple[Any, pd.DataFrame]:
    """The champion (as a local pyfunc) and a 7-day input for it, dates as strings."""
    tracking.configure(trained["uri"])
    model = mlflow.pyfunc.load_model(CHAMPION_URI)
    wrapped = model.unwrap_python_model()
    cols = ["date", *wrapped.weather_variables]
    frame = _input_frame(trained["root"], wrapped.first_forecast_day, cols)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    return model, frame


@contextmanager
def _serve(env_manager: str, uri: str, folder: Path, timeout: float, **env: str) -> Iterator[str]:
    """`mlflow models serve` on the champion with `env_manager`; yields its URL."""
    port = free_port()
    log = folder / f"serve-{env_manager}.log"
    proc = start(
        [
            str(VENV_BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            CHAMPION_URI,
            "--env-manager",
            env_manager,
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        log,
        {**env_with_venv(MLFLOW_TRACKING_URI=uri), **env},
        cwd=folder,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/ping", timeout, proc, log)
        yield url
    finally:
        stop(proc)


def _invoke(url: str, frame: pd.DataFrame, params: dict[str, int] | None = None) -> httpx.Response:
    body: dict[str, Any] = {
        "dataframe_split": json.loads(frame.to_json(orient="split", index=False))
    }
    if params is not None:
        body["params"] = params
    return httpx.post(f"{url}/invocations", json=body, timeout=60)


def _check_week(preds: list[dict[str, Any]], first_day: pd.Timestamp) -> None:
    """Seven days from the day after training, with ordered bands and a probability."""
    assert len(preds) == 7
    assert set(OUTPUT_COLUMNS) <= set(preds[0])
    assert pd.Timestamp(preds[0]["date"]) == first_day
    for p in preds:
        assert 0 <= p["p_any"] <= 1
        assert 0 <= p[lo_col(95)] <= p[lo_col(80)] <= p["median"] <= p[hi_col(80)] <= p[hi_col(95)]


def test_mlflow_models_serve_answers_invocations(trained: dict, tmp_path: Path) -> None:
    model, frame = _champion_input(trained)
    first_day = model.unwrap_python_model().first_forecast_day
    with _serve("local", trained["uri"], tmp_path, STARTUP_S) as url:
        resp = _invoke(url, frame, {"n_samples": 300, "seed": 2})
        assert resp.status_code == 200, resp.text
        _check_week(resp.json()["predictions"], first_day)
        late = frame.copy()
        late["date"] = (pd.to_datetime(late["date"]) + pd.Timedelta(days=2)).dt.strftime("%Y-%m-%d")
        bad = _invoke(url, late)
        assert bad.status_code == 400
        assert "the day after the model's last training day" in bad.text


def test_champion_serves_from_a_fresh_virtualenv(
    trained: dict, tmp_path: Path, record_property: Any
) -> None:
    """The registered champion needs nothing from this environment: MLflow builds a new
    virtualenv from the model's requirements (no `forecasting` installed there) and serves
    the same forecast as the model loaded here."""
    if shutil.which("pyenv") is None:
        pytest.skip("mlflow's virtualenv env manager needs pyenv on PATH")
    model, frame = _champion_input(trained)
    params = {"n_samples": 300, "seed": 2}
    expected = model.predict(frame.assign(date=pd.to_datetime(frame["date"])), params=params)
    env_root = tmp_path / "envs"
    started = time.monotonic()
    # no PYTHONPATH, and a working folder outside the repository: `forecasting` can only
    # come from the code shipped with the model
    clean = {"MLFLOW_ENV_ROOT": str(env_root), "PYTHONPATH": ""}
    with _serve("virtualenv", trained["uri"], tmp_path, ENV_BUILD_S, **clean) as url:
        record_property("fresh_env_ready_seconds", round(time.monotonic() - started, 1))
        resp = _invoke(url, frame, params)
        assert resp.status_code == 200, resp.text
        preds = resp.json()["predictions"]
        _check_week(preds, model.unwrap_python_model().first_forecast_day)
        got = pd.DataFrame(preds).drop(columns="date")
        pd.testing.assert_frame_equal(
            got, expected.drop(columns="date"), check_dtype=False, check_exact=False, rtol=1e-12
        )
    try:
        [env] = list(env_root.iterdir())
        found = subprocess.run(
            [str(env / "bin" / "python"), "-c", "import forecasting"],
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", "")},
            capture_output=True,
        )
        assert found.returncode != 0, "the fresh virtualenv must not have the package installed"
    finally:
        shutil.rmtree(env_root, ignore_errors=True)  # about 1 GB
