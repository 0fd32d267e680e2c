"""The training job on a temporary SQLite store with seeded synthetic data.

One module-scoped store goes through a small lifecycle — first champion, a better model
promoted, unchanged data promoting nothing, new data re-evaluating the champion — and the
tests read the runs, registry and promotion history back. Kept small: one target,
2 backtest origins, 50 sample paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from typer.testing import CliRunner

from api.settings import ApiSettings
from crossings.app import app
from forecasting import tracking
from forecasting.errors import ConfigError, InputError
from forecasting.ingest import ingest
from forecasting.models.base import Model
from forecasting.tracking.pyfunc import OUTPUT_COLUMNS, CrossingsModel
from forecasting.training.config import parse_config
from forecasting.training.job import train
from forecasting.training.provenance import data_fingerprint, load_data
from forecasting.training.results import TrainResult
from tests.api.conftest import FakeRegistry, build_app, make_champion
from tests.lifecycle import (
    FULL_DAYS,
    free_port,
    fresh_store,
    make_store_template,
    small_config,
    write_config,
    write_sources,
)

PREFIX = "unit"
NAME = f"{PREFIX}-people"


@dataclass
class Lifecycle:
    root: Path
    uri: str
    data_a: Path
    data_b: Path
    results: dict[str, TrainResult] = field(default_factory=dict)


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store_template(tmp_path_factory.mktemp("store-template"))


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory, store_template: Path) -> Iterator[Lifecycle]:
    root = tmp_path_factory.mktemp("lifecycle")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CROSSINGS_ARTIFACT_ROOT", str(root / "mlartifacts"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        uri = fresh_store(store_template, root)
        a, w = write_sources(root / "src-a")
        ingest(a, w, root / "data-a")
        a, w = write_sources(root / "src-b", n_days=FULL_DAYS)
        ingest(a, w, root / "data-b")
        lc = Lifecycle(root, uri, root / "data-a", root / "data-b")
        naive = parse_config(small_config("naive", PREFIX, {"seasonal_naive": {}}))
        main = parse_config(small_config("main", PREFIX))
        lc.results["first"] = train(naive, lc.data_a, tracking_uri=uri)
        lc.results["better"] = train(main, lc.data_a, tracking_uri=uri)
        lc.results["again"] = train(main, lc.data_a, tracking_uri=uri)
        lc.results["new_data"] = train(main, lc.data_b, tracking_uri=uri)
        yield lc


def champion_version(uri: str, name: str = NAME) -> str:
    return str(MlflowClient(uri, uri).get_model_version_by_alias(name, "champion").version)


def test_first_run_becomes_champion(life: Lifecycle) -> None:
    d = life.results["first"].targets["people"].decision
    assert d is not None and d.promoted and d.alias == "champion" and d.version == "1"
    assert d.reason == "first champion"


def test_better_model_is_promoted_and_history_recorded(life: Lifecycle) -> None:
    res = life.results["better"].targets["people"]
    assert res.winner == "hurdle"
    d = res.decision
    assert d is not None and d.promoted and d.version == "2"
    # Same window and data as the recorded champion: its recorded score is reused.
    assert d.champion_version == "1" and not d.champion_reevaluated
    naive_score = life.results["first"].targets["people"].runs[0].gate_score
    assert d.champion_score == pytest.approx(naive_score)
    tracking.configure(life.uri)
    history = tracking.promotion_history(NAME)
    assert [(h["old_version"], h["new_version"]) for h in history] == [(None, "1"), ("1", "2")]
    last = history[-1]
    assert last["old_metric"] == pytest.approx(naive_score)
    assert last["new_metric"] == pytest.approx(d.challenger_score)
    assert last["metric"] == "crps" and last["weather_mode"] == "forecast"
    assert pd.Timestamp(last["time"]) <= pd.Timestamp.now(tz="UTC")
    # The paired test needs ≥ 3 shared origins; this small window may have fewer, and then
    # the record says so (the test itself is covered in test_paired.py).
    assert "p_value" in last and last["significance"] == 0.05
    version = MlflowClient(life.uri, life.uri).get_model_version(NAME, "2")
    if d.p_value is None:
        assert "no paired test" in d.reason and version.tags["gate.p_value"] == ""
    else:
        assert float(version.tags["gate.p_value"]) == pytest.approx(d.p_value, rel=1e-3)


def test_unchanged_data_promotes_nothing(life: Lifecycle) -> None:
    d = life.results["again"].targets["people"].decision
    assert d is not None and not d.promoted and d.alias == "challenger" and d.version == "3"
    assert d.champion_score == pytest.approx(d.challenger_score)
    assert not d.champion_reevaluated
    client = MlflowClient(life.uri, life.uri)
    assert client.get_model_version(NAME, "3").tags["gate.decision"] == "challenger"
    latest = life.results["new_data"].targets["people"].decision
    assert latest is not None and not latest.promoted
    assert str(client.get_model_version_by_alias(NAME, "challenger").version) == latest.version


def test_new_data_reevaluates_champion_on_the_same_window(life: Lifecycle) -> None:
    d = life.results["new_data"].targets["people"].decision
    assert d is not None and d.champion_reevaluated
    # Same model and hyperparameters in this backtest: scored identically, so not promoted.
    assert d.champion_score == pytest.approx(d.challenger_score)
    assert not d.promoted
    assert champion_version(life.uri) == "2"
    tracking.configure(life.uri)
    assert len(tracking.promotion_history(NAME)) == 2


def test_champion_rerun_through_backtest_when_model_not_in_config(life: Lifecycle) -> None:
    cfg = parse_config(small_config("clim", PREFIX, {"climatology": {}}))
    res = train(cfg, life.data_b, tracking_uri=life.uri).targets["people"]
    d = res.decision
    assert d is not None and d.champion_reevaluated and d.champion_version == "2"
    assert d.champion_score is not None and np.isfinite(d.champion_score)
    version = MlflowClient(life.uri, life.uri).get_model_version(NAME, d.version)
    assert version.tags["gate.champion_reevaluated"] == "true"
    assert version.tags["model_name"] == "climatology"


def test_runs_params_metrics_and_artifacts(life: Lifecycle) -> None:
    res = life.results["better"]
    client = MlflowClient(life.uri, life.uri)
    exp = client.get_experiment_by_name("crossings-main")
    assert exp is not None and exp.experiment_id == res.experiment_id
    assert Path(exp.artifact_location.removeprefix("file://")).is_relative_to(life.root)
    parent = client.get_run(res.parent_run_id)
    assert parent.data.params["config.name"] == "main"
    assert parent.data.tags["winner.people"] == "hurdle"
    children = client.search_runs(
        [res.experiment_id], f"tags.mlflow.parentRunId = '{res.parent_run_id}'"
    )
    assert sorted(r.data.tags["model"] for r in children) == ["hurdle", "seasonal_naive"]
    run = next(r for r in children if r.data.tags["model"] == "hurdle")
    p = run.data.params
    assert p["model.history_days"] == "365" and p["target"] == "people"
    manifest_sha = res.manifest_sha256
    assert p["data.manifest_sha256"] == manifest_sha
    assert p["weather.source"] and p["git_commit"] and p["data.last_date"]
    m = run.data.metrics
    for key in ("forecast/crps", "forecast/mae", "forecast/coverage_80", "forecast/brier"):
        assert np.isfinite(m[key])
    assert m["gate_score"] == pytest.approx(m["forecast/crps"])
    assert m["fit_seconds_median"] > 0
    leads = client.get_metric_history(run.info.run_id, "forecast/by_lead/crps")
    assert sorted(x.step for x in leads) == list(range(1, 8))
    files = {
        f.path
        for folder in ("plots", "backtest", "data", "forecast")
        for f in client.list_artifacts(run.info.run_id, folder)
    }
    assert {
        "plots/backtest_fan.png",
        "plots/next_week_fan.png",
        "plots/calibration.png",
        "backtest/forecasts.parquet",
        "data/manifest.json",
        "forecast/next_week.csv",
    } <= files
    local = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, tracking_uri=life.uri))
    assert (local / "plots/backtest_fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = pd.read_parquet(local / "backtest/forecasts.parquet")
    # 2 origins × 7 lead days × 2 issued weather forecasts per origin (small_config).
    assert set(rows["model"]) == {"hurdle"} and len(rows) == 2 * 7 * 2
    assert sorted(rows["weather_draw"].unique()) == [0, 1]
    assert p["backtest.weather_draws"] == "2"
    assert json.loads((local / "data/manifest.json").read_text())["sources"]


def test_next_week_is_issued_like_the_api(life: Lifecycle) -> None:
    """The next-week table is a forecast issued the day after the newest arrivals; the
    weather file runs 10 days ahead of the arrivals (write_sources), so every day's weather
    is a forecast simulated from those observations: a hindcast, and labelled so."""
    res = life.results["better"]
    client = MlflowClient(life.uri, life.uri)
    run_id = res.targets["people"].run_for("hurdle").run_id
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, tracking_uri=life.uri))
    table = pd.read_csv(local / "forecast/next_week.csv", parse_dates=["date", "issue_date"])
    last = load_data(life.data_a).last_date
    assert (table["issue_date"] == last + pd.Timedelta(days=1)).all()
    assert list(table["date"]) == list(pd.date_range(last + pd.Timedelta(days=1), periods=7))
    assert list(table["lead"]) == list(range(1, 8))
    assert set(table["weather"]) == {"simulated"} and table["hindcast"].all()
    assert {*OUTPUT_COLUMNS} <= set(table.columns)
    naive_run = res.targets["people"].run_for("seasonal_naive").run_id
    naive = pd.read_csv(
        Path(mlflow.artifacts.download_artifacts(run_id=naive_run, tracking_uri=life.uri))
        / "forecast/next_week.csv"
    )
    assert set(naive["weather"]) == {"none"} and not naive["hindcast"].any()
    assert client.get_run(run_id).data.metrics["refit_seconds"] > 0
    # The API serving this run's registered model on the same data, today being that issue
    # date, answers the same forecast, day by day (its numbers rounded as the API rounds).
    served = _served_next_week(life, res, run_id, last + pd.Timedelta(days=1))
    facts = ("issue_date", "hindcast", "bridged_days", "weather_mode")
    assert {k: served[k] for k in facts} == {
        "issue_date": str((last + pd.Timedelta(days=1)).date()),
        "hindcast": False,  # issued today, as the table was
        "bridged_days": 0,
        "weather_mode": "forecast",
    }
    assert len(served["days"]) == len(table) == 7
    for day, row in zip(served["days"], table.to_dict("records"), strict=True):
        at = row["date"].date().isoformat()
        assert day["date"] == at
        assert day["weather_source"] == row["weather"], at
        assert day["median"] == max(0, round(row["median"])), at
        assert day["mean"] == round(row["mean"], 3), at
        assert day["p_any"] == round(row["p_any"], 4), at
        assert set(day["bands"]) == {"50", "80", "95"}
        for level, band in day["bands"].items():
            lo, hi = (max(0, round(row[f"{side}-{level}"])) for side in ("lo", "hi"))
            assert (band["lo"], band["hi"]) == (lo, hi), (at, level)


def _served_next_week(
    life: Lifecycle, res: TrainResult, run_id: str, today: pd.Timestamp
) -> dict[str, Any]:
    """GET /v1/forecast (7 days) from the API serving the version `run_id` registered, on
    its data directory, with today pinned and the sample paths of the next-week table."""
    decision = res.targets["people"].decision
    assert decision is not None
    client = MlflowClient(life.uri, life.uri)
    assert client.get_model_version(NAME, decision.version).run_id == run_id
    tracking.configure(life.uri)
    loaded = mlflow.pyfunc.load_model(f"models:/{NAME}/{decision.version}")
    wrapped = loaded.unwrap_python_model()
    assert isinstance(wrapped, CrossingsModel)
    registry = FakeRegistry()
    registry.add(make_champion(wrapped.forecaster, decision.version, **wrapped.metadata))
    settings = ApiSettings(
        data_dir=life.data_a,
        archive_url="",
        open_meteo_url="",
        poll_seconds=0,
        n_samples=small_config("main", PREFIX)["forecast"]["n_samples"],
        today=today.date(),
        targets=("people",),
    )
    with TestClient(build_app(settings, registry)) as api:
        r = api.get("/v1/forecast", params={"target": "people", "horizon": 7})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_registered_versions_carry_gate_tags(life: Lifecycle) -> None:
    client = MlflowClient(life.uri, life.uri)
    v = client.get_model_version(NAME, "2")
    assert v.tags["model_name"] == "hurdle"
    assert v.tags["gate.metric"] == "crps" and v.tags["gate.decision"] == "champion"
    # The long provenance is an artifact of the run the tag points at (issue 9).
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=v.tags["provenance"], tracking_uri=life.uri
    )
    record = json.loads(Path(local).read_text())
    assert record["model_params"]["history_days"] == 365
    assert record["provenance"]["manifest_sha256"] == life.results["better"].manifest_sha256
    assert float(v.tags["gate.score"]) == pytest.approx(
        life.results["better"].targets["people"].decision.challenger_score  # type: ignore[union-attr]
    )


def _future(model: CrossingsModel, data_dir: Path, days: int = 7) -> pd.DataFrame:
    weather = pd.read_parquet(data_dir.parent / "src-b" / "weather.parquet")
    dates = pd.date_range(model.first_forecast_day, periods=days)
    w = weather.set_index("date").loc[dates].reset_index()
    return w.loc[:, ["date", *model.weather_variables]]


def test_pyfunc_champion_loads_and_predicts(life: Lifecycle) -> None:
    tracking.configure(life.uri)
    loaded = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    wrapped = loaded.unwrap_python_model()
    assert isinstance(wrapped, CrossingsModel)
    assert isinstance(wrapped.forecaster, Model)
    meta = wrapped.metadata
    assert meta["model_name"] == "hurdle" and meta["target"] == "people"
    assert meta["manifest_sha256"] == life.results["better"].manifest_sha256
    assert {"trained_at", "data_vintage", "weather_source", "backtest_metrics", "gate"} <= set(meta)
    assert {"weather_provider", "weather_lat", "weather_lon", "weather_location"} <= set(meta)
    assert meta["gate"]["weather_draws"] == 2
    assert len(wrapped.history) > 0
    sig = loaded.metadata.get_input_schema()
    assert sig is not None and sig.input_names()[0] == "date"
    frame = _future(wrapped, life.data_a)
    out = loaded.predict(frame, params={"n_samples": 200, "seed": 1})
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert len(out) == 7 and out["date"].iloc[0] == wrapped.first_forecast_day
    assert (out["p_any"].between(0, 1)).all()
    for lo, hi in (("lo-95", "lo-80"), ("lo-80", "lo-50"), ("hi-50", "hi-80"), ("hi-80", "hi-95")):
        assert (out[lo] <= out[hi]).all()
    assert (out["lo-50"] <= out["median"]).all() and (out["median"] <= out["hi-50"]).all()
    again = loaded.predict(frame, params={"n_samples": 200, "seed": 1})
    pd.testing.assert_frame_equal(out, again)
    # The frame is a weather forecast issued on its first date, spread by lead (the default,
    # as the API's POST), or the weather exactly with weather_uncertainty "none".
    exact = loaded.predict(
        frame, params={"n_samples": 200, "seed": 1, "weather_uncertainty": "none"}
    )
    spread = loaded.predict(
        frame, params={"n_samples": 200, "seed": 1, "weather_uncertainty": "forecast"}
    )
    pd.testing.assert_frame_equal(out, spread)
    assert not exact.equals(spread) and list(exact.columns) == list(OUTPUT_COLUMNS)
    # Version 1 is weather-blind (seasonal naive): it needs only dates, extra columns are fine.
    blind = mlflow.pyfunc.load_model(f"models:/{NAME}/1")
    assert blind.metadata.get_input_schema().input_names() == ["date"]  # type: ignore[union-attr]
    assert len(blind.predict(frame)) == 7
    assert len(blind.predict(frame[["date"]])) == 7


def test_pyfunc_rejects_bad_input_with_clear_errors(life: Lifecycle) -> None:
    tracking.configure(life.uri)
    wrapped = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").unwrap_python_model()
    frame = _future(wrapped, life.data_a)
    late = frame.assign(date=frame["date"] + pd.Timedelta(days=3))
    with pytest.raises(InputError, match="the day after the model's last training day"):
        wrapped.predict(None, late)
    with pytest.raises(InputError, match="lacks weather column"):
        wrapped.predict(None, frame.drop(columns=["wind_mean_ms"]))
    with pytest.raises(InputError, match="at most 14 days"):
        wrapped.predict(None, _future(wrapped, life.data_a, days=15))
    with pytest.raises(InputError, match="weather_uncertainty must be one of forecast, none"):
        wrapped.predict(None, frame, {"weather_uncertainty": "maybe"})


def test_failed_alias_move_leaves_no_promotion_record(
    life: Lifecycle, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking.configure(life.uri)
    before = tracking.promotion_history(NAME)
    champion = champion_version(life.uri)

    def broken(self: MlflowClient, name: str, alias: str, version: str) -> None:
        raise ConnectionError("tracking server went away")

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", broken)
    with pytest.raises(ConnectionError):
        tracking.promote(NAME, "3", {"old_version": champion})
    monkeypatch.undo()
    assert tracking.promotion_history(NAME) == before
    assert champion_version(life.uri) == champion


def test_unreachable_server_fails_fast_before_any_run(life: Lifecycle) -> None:
    cfg = parse_config(small_config("main", PREFIX))
    with pytest.raises(tracking.TrackingUnavailable, match=r"127\.0\.0\.1.*unreachable"):
        train(cfg, life.data_a, tracking_uri=f"http://127.0.0.1:{free_port()}")


def test_bad_data_fails_before_any_run(life: Lifecycle, tmp_path: Path) -> None:
    cfg = parse_config(small_config("nodata", PREFIX))
    with pytest.raises(InputError, match=r"missing arrivals\.parquet"):
        train(cfg, tmp_path, tracking_uri=life.uri)
    late = small_config("late", PREFIX)
    late["backtest"] = {**late["backtest"], "n_origins": None, "start": "2023-01-01"}
    late["backtest"]["end"] = "2030-01-01"
    with pytest.raises(ConfigError, match=r"backtest\.end"):
        train(parse_config(late), life.data_a, tracking_uri=life.uri)
    client = MlflowClient(life.uri, life.uri)
    assert client.get_experiment_by_name("crossings-nodata") is None
    assert client.get_experiment_by_name("crossings-late") is None


def test_cli_train_and_config_errors(life: Lifecycle, tmp_path: Path, store_template: Path) -> None:
    runner = CliRunner()
    uri = fresh_store(store_template, tmp_path / "store")
    bad = small_config("bad", "cli", {"hurdle": {"history_dayz": 300}})
    res = runner.invoke(
        app,
        ["train", "--config", str(write_config(tmp_path, bad)), "--data", str(life.data_a)],
        env={"MLFLOW_TRACKING_URI": uri},
    )
    assert res.exit_code == 2
    assert "models.hurdle.history_dayz: unknown hyperparameter" in res.output
    client = MlflowClient(uri, uri)
    assert client.get_experiment_by_name("crossings-bad") is None
    good = write_config(tmp_path, small_config("good", "cli", {"climatology": {}}))
    res = runner.invoke(
        app,
        ["train", "--config", str(good), "--data", str(life.data_a), "--tracking-uri", uri],
        env={"CROSSINGS_ARTIFACT_ROOT": str(tmp_path / "art")},
    )
    assert res.exit_code == 0, res.output
    assert "cli-people v1 → champion" in res.output
    res = runner.invoke(
        app,
        ["train", "--config", str(good), "--data", str(life.data_a)],
        env={"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}"},
    )
    assert res.exit_code == 4
    assert "unreachable" in res.output


def test_data_fingerprint_ignores_where_the_sources_lay(life: Lifecycle, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    a, w = write_sources(moved)
    result = ingest(a, w, tmp_path / "data")
    original = load_data(life.data_a)
    assert result.manifest != original.manifest  # the source paths differ
    assert data_fingerprint(result.manifest) == original.fingerprint
    assert original.fingerprint != load_data(life.data_b).fingerprint
