"""The config resolved once: per-target backtests, the gate policy, and one provenance record
from which run params, version tags and the saved model's metadata are all derived."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from forecasting.evaluation.backtest import BacktestConfig
from forecasting.ingest import ingest
from forecasting.training.config import parse_config
from forecasting.training.gate import decide, gate_key
from forecasting.training.plan import GatePolicy, resolve
from forecasting.training.provenance import TrainingData, git_commit, load_data
from forecasting.training.results import ModelRun
from forecasting.weather.source import WeatherSource
from tests.lifecycle import small_config, write_sources

# The keys other tools read (MLflow UI filters, dashboards, the API's /model): pinned.
RUN_PARAMS = [  # the order they were written in before the split; MLflow keeps no order
    "data.vintage",
    "data.manifest_sha256",
    "data.fingerprint",
    "data.first_date",
    "data.last_date",
    "data.arrivals_sha256",
    "weather.source",
    "weather.location",
    "weather.vintage",
    "git_commit",
    "config.name",
    "config.sha256",
    "backtest.start",
    "backtest.end",
    "backtest.step",
    "backtest.horizon",
    "backtest.weather_modes",
    "backtest.n_samples",
    "backtest.seed",
    "backtest.weather_draws",
    "gate.metric",
    "gate.weather_mode",
]
# Short tags only (issue 9); the hashes and the full window are in `Provenance.record`, logged
# as each version's provenance.json.
VERSION_TAGS = {
    "config_name",
    "gate.metric",
    "gate.weather_mode",
    "backtest.window",
    "data.vintage",
    "git.short_sha",
}
METADATA = [
    "model_name",
    "target",
    "params",
    "trained_at",
    "data_vintage",
    "manifest_sha256",
    "weather_source",
    "weather_location",
    "weather_provider",
    "weather_lat",
    "weather_lon",
    "backtest_metrics",
    "gate",
    "config_name",
    "run_id",
    "git_commit",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> TrainingData:
    root = tmp_path_factory.mktemp("plan")
    a, w = write_sources(root / "src")
    ingest(a, w, root / "data")
    return load_data(root / "data")


def _cfg(**over: object) -> dict:
    return small_config("plan", "unit", targets=["people", "boats"], **over)


def test_resolve_per_target(data: TrainingData) -> None:
    cfg = parse_config(_cfg())
    plan = resolve(cfg, data, "abc123")
    assert [t.target for t in plan.targets] == ["people", "boats"]
    assert [t.registered_name for t in plan.targets] == ["unit-people", "unit-boats"]
    start, end = cfg.window(data.arrivals)
    for tp in plan.targets:
        bt = tp.backtest
        assert bt.target == tp.target and (bt.start, bt.end) == (start, end)
        assert list(bt.models) == ["hurdle", "seasonal_naive"]
        assert bt.model_params == {"hurdle": {"history_days": 365}, "seasonal_naive": {}}
    assert plan.gate == GatePolicy("crps", "forecast", 0.005)
    assert (plan.next_days.horizon, plan.next_days.n_samples, plan.next_days.seed) == (7, 100, 0)
    unregistered = resolve(parse_config(_cfg(registry={"register": False})), data, "abc")
    assert [t.registered_name for t in unregistered.targets] == [None, None]
    assert plan.register and not unregistered.register


def test_one_provenance_record(data: TrainingData) -> None:
    cfg = parse_config(_cfg())
    prov = resolve(cfg, data, "abc123").provenance
    params = prov.run_params()
    assert sorted(params) == sorted(RUN_PARAMS)
    start, end = cfg.window(data.arrivals)
    assert params["backtest.start"] == str(start.date()) and params["backtest.end"] == str(
        end.date()
    )
    assert params["backtest.weather_modes"] == "forecast" and params["git_commit"] == "abc123"
    assert params["backtest.weather_draws"] == 2  # small_config's
    assert params["config.sha256"] == cfg.sha256()
    assert params["data.fingerprint"] == data.fingerprint
    tags = prov.version_tags()
    assert set(tags) == VERSION_TAGS
    for key in VERSION_TAGS & set(params):
        assert tags[key] == params[key]
    assert tags["git.short_sha"] == "abc123" and tags["backtest.window"] == prov.backtest_window
    record = prov.record()
    assert record["config_sha256"] == cfg.sha256() and record["git_commit"] == "abc123"
    assert record["data_fingerprint"] == data.fingerprint
    run = ModelRun(
        target="people",
        model="hurdle",
        params={"history_days": 365},
        run_id="r1",
        gate_score=1.5,
        metrics={"forecast/crps": 1.5, "forecast/mae": 2.0, "observed/crps": 1.0},
        fit_seconds_median=0.1,
    )
    meta = prov.model_metadata(run, "2026-01-01T00:00:00+00:00")
    assert list(meta) == METADATA
    assert meta["backtest_metrics"] == {"crps": 1.5, "mae": 2.0}
    assert meta["gate"] == {
        "metric": "crps",
        "weather_mode": "forecast",
        "score": 1.5,
        "start": params["backtest.start"],
        "end": params["backtest.end"],
        "step": 7,
        "horizon": 7,
        "weather_draws": 2,
    }
    # Where the weather came from, as the API reads it to ask the live provider for the
    # model's own point (write_sources' synthetic weather has no point).
    assert WeatherSource.from_metadata(meta) == prov.weather
    assert (meta["manifest_sha256"], meta["git_commit"]) == (data.manifest_sha256, "abc123")
    assert prov.backtest_window == f"{start.date()}..{end.date()} every 7d"


def test_model_metadata_records_the_weather_point(data: TrainingData) -> None:
    prov = resolve(parse_config(_cfg()), data, "abc").provenance
    knmi = dataclasses.replace(
        prov, weather_source="KNMI etmgeg station 340 WOENSDRECHT", weather_location="51.45N 4.34E"
    )
    run = ModelRun("people", "hurdle", {}, "r1", 1.0, {}, 0.1)
    meta = knmi.model_metadata(run, "t")
    assert meta["weather_provider"] == "knmi"
    assert (meta["weather_lat"], meta["weather_lon"]) == (51.45, 4.34)
    assert meta["weather_source"] == "KNMI etmgeg station 340 WOENSDRECHT"
    # An explicit point in the ingest manifest wins over the location label.
    point = dataclasses.replace(
        knmi, weather_source="open-meteo-archive", weather_lat=51.0, weather_lon=1.5
    )
    meta = point.model_metadata(run, "t")
    assert (meta["weather_provider"], meta["weather_lat"], meta["weather_lon"]) == (
        "open-meteo",
        51.0,
        1.5,
    )
    assert WeatherSource.from_metadata(meta).same_place(51.0, 1.5)
    # The point comes from the ingest manifest when the weather file names it.
    weather = {**data.manifest["sources"]["weather"], "latitude": 51.0, "longitude": 1.5}
    manifest = {**data.manifest, "sources": {**data.manifest["sources"], "weather": weather}}
    placed = dataclasses.replace(data, manifest=manifest)
    prov = resolve(parse_config(_cfg()), placed, "abc").provenance
    assert (prov.weather.lat, prov.weather.lon) == (51.0, 1.5)


def test_git_commit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSINGS_GIT_COMMIT", "deadbeef")
    assert git_commit() == "deadbeef"


def test_gate_key_is_stable() -> None:
    # Registered versions carry this key: it must not change with the code's layout.
    bt = BacktestConfig(
        models=["hurdle"],
        start="2022-03-07",
        end="2022-04-25",
        target="boats",
        weather_modes=("forecast",),
        n_samples=500,
    )
    gate = GatePolicy("crps", "forecast", 0.005)
    # Changed on purpose in issue 14: the forecast mode now scores `weather_draws` issued
    # forecasts per origin instead of paths centred on the observed weather, so no score
    # from before is comparable (the key was 8a71ad88a82fbc313d514b6d).
    assert gate_key(gate, bt, "abc") == "20287af8c7ddc891eedc957b"
    fewer = dataclasses.replace(bt, weather_draws=2)
    assert gate_key(gate, fewer, "abc") != gate_key(gate, bt, "abc")
    observed = GatePolicy("crps", "observed", 0.005)  # one weather draw whatever K is
    assert gate_key(observed, fewer, "abc") == gate_key(observed, bt, "abc")
    assert gate_key(GatePolicy("mae", "forecast", 0.005), bt, "abc") != gate_key(gate, bt, "abc")


def test_decide_and_score() -> None:
    gate = GatePolicy("crps", "forecast", 0.01)
    assert decide(gate, 5.0, None) == (True, "no comparable champion")
    assert decide(gate, 5.0, float("nan"))[0]
    promoted, reason = decide(gate, 9.8, 10.0)
    assert promoted and reason.startswith("crps 9.8 beats the champion's 10 by more than 1.0%")
    assert "no paired test" in reason
    kept, reason = decide(gate, 9.95, 10.0)
    assert not kept and reason.startswith("crps 9.95 does not beat the champion's 10 by more")
    summary = pd.DataFrame(
        {
            "model": ["a", "a", "b"],
            "weather_mode": ["forecast", "observed", "observed"],
            "crps": [1.0, 2.0, 3.0],
        }
    )
    assert gate.score(summary, "a") == 1.0
    assert pd.isna(gate.score(summary, "b"))
