"""The served forecast is the validated forecast: a hindcast equals the backtest's forecast-mode
row at that origin, newer data moves the forecast without a refit (also through the poller),
and a scenario's forecast grows less sure with lead."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from forecasting import models, schema
from forecasting.contract import MAX_BRIDGE_DAYS, hi_col, lo_col
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from tests.api.conftest import FakeRegistry, build_app, make_champion, wait_for, write_processed

HISTORY_DAYS = 730
ISSUE = pd.Timestamp("2023-05-01")  # inside the synthetic series (2021-01-01 .. 2023-06-19)
WINDY = {  # a windy but not stormy day, every variable the hurdle needs
    "wind_mean_ms": 5.0,
    "wind_max_hourly_ms": 7.5,
    "gust_max_ms": 10.0,
    "wind_dir_deg": 200,
    "precip_mm": 0,
    "temp_mean_c": 14,
    "pressure_hpa": 1020,
}


STORMY = {**WINDY, "wind_mean_ms": 8.0, "wind_max_hourly_ms": 11.0, "gust_max_ms": 16.0}


def _fit(arrivals: pd.DataFrame, weather: pd.DataFrame, before: pd.Timestamp) -> Any:
    """A people hurdle fitted on the days before `before`, as a backtest origin fits it."""
    a = arrivals.loc[arrivals[schema.DATE] < before]
    w = weather.loc[weather[schema.DATE] < before]
    return models.create("hurdle", target="people", history_days=HISTORY_DAYS).fit(a, w)


def _registry(model: Any) -> FakeRegistry:
    reg = FakeRegistry()
    reg.add(make_champion(model, "1"))
    return reg


def _client(settings: Any, registry: Any, **changes: Any) -> TestClient:
    changes.setdefault("targets", ("people",))
    return TestClient(build_app(settings.model_copy(update=changes), registry))


def test_a_hindcast_is_the_backtests_forecast(settings: Any, synthetic: Any) -> None:
    """Served as of T with a model fitted to T − 1, the forecast equals the backtest's
    forecast-mode, draw-0 forecast at origin T, day by day."""
    arrivals, weather = synthetic
    n = settings.n_samples
    with _client(settings, _registry(_fit(arrivals, weather, ISSUE))) as c:
        r = c.get("/v1/forecast", params={"as_of": ISSUE.date().isoformat(), "horizon": 7})
    assert r.status_code == 200, r.text
    served = r.json()
    assert served["hindcast"] is True and served["issue_date"] == ISSUE.date().isoformat()
    assert {d["weather_source"] for d in served["days"]} == {"simulated"}
    cfg = BacktestConfig(
        models=["hurdle"],
        start=ISSUE,
        end=ISSUE,
        horizon=7,
        weather_modes=("forecast",),
        weather_draws=1,
        n_samples=n,
        seed=0,
        n_jobs=1,
        model_params={"hurdle": {"history_days": HISTORY_DAYS}},
    )
    rows = run_backtest(arrivals, weather, cfg).rows.sort_values("lead")
    assert len(rows) == 7 and set(rows["weather_draw"]) == {0}
    for day, row in zip(served["days"], rows.to_dict("records"), strict=True):
        assert day["date"] == pd.Timestamp(row["date"]).date().isoformat()
        assert day["median"] == round(row["median"])
        assert day["mean"] == pytest.approx(row["mean"], abs=1e-3)
        assert day["p_any"] == pytest.approx(row["p_any"], abs=1e-4)
        for level, band in day["bands"].items():
            assert band["lo"] == round(row[lo_col(float(level))])
            assert band["hi"] == round(row[hi_col(float(level))])
    assert len({d["median"] for d in served["days"]} | {d["p_any"] for d in served["days"]}) > 2


def test_serving_newer_data_without_a_refit(tmp_path: Path, settings: Any, synthetic: Any) -> None:
    """Trained on data to D, served with data to D + 14: the same model version answers for
    the week after D + 14, from the new days (not as it would with data to D)."""
    arrivals, weather = synthetic
    end = pd.Timestamp(arrivals[schema.DATE].iloc[-1])  # D + 14
    d = end - pd.Timedelta(days=MAX_BRIDGE_DAYS)
    registry = _registry(_fit(arrivals, weather, d + pd.Timedelta(days=1)))
    today = (end + pd.Timedelta(days=1)).date()
    old_a = arrivals.loc[arrivals[schema.DATE] <= d]
    old_w = weather.loc[weather[schema.DATE] <= d]
    bodies = {}
    for name, (a, w) in {"new": (arrivals, weather), "old": (old_a, old_w)}.items():
        folder = write_processed(tmp_path / name, a, w)
        with _client(settings, registry, data_dir=folder, today=today) as c:
            r = c.get("/v1/forecast")
            assert r.status_code == 200, r.text
            bodies[name] = r.json()
    new, old = bodies["new"], bodies["old"]
    assert new["model"]["version"] == old["model"]["version"] == "1"
    assert new["start"] == old["start"] == today.isoformat()
    assert new["data_as_of"] == end.date().isoformat() and new["bridged_days"] == 0
    assert old["data_as_of"] == d.date().isoformat() and old["bridged_days"] == MAX_BRIDGE_DAYS
    assert [x["mean"] for x in new["days"]] != [x["mean"] for x in old["days"]]


def test_a_running_server_picks_up_a_new_ingest(
    tmp_path: Path, settings: Any, registry: Any, synthetic: Any, origin: date
) -> None:
    """No restart, no reload call: the poller notices the manifest changed and the next
    forecast starts from the new days."""
    arrivals, weather = synthetic
    cut = pd.Timestamp(origin) - pd.Timedelta(days=5)
    folder = write_processed(
        tmp_path / "data",
        arrivals.loc[arrivals[schema.DATE] < cut],
        weather.loc[weather[schema.DATE] < cut],
    )
    with _client(settings, registry, data_dir=folder, poll_seconds=0.05) as c:
        first = c.get("/v1/forecast").json()
        assert first["data_as_of"] == (cut - pd.Timedelta(days=1)).date().isoformat()
        assert first["bridged_days"] == 5
        write_processed(folder, arrivals, weather)  # a new ingest
        want = (origin - timedelta(days=1)).isoformat()
        assert wait_for(lambda: c.get("/v1/forecast").json()["data_as_of"] == want)
        second = c.get("/v1/forecast").json()
        assert second["bridged_days"] == 0 and second["issue_date"] == first["issue_date"]
        assert second["model"] == first["model"]


def test_a_stormy_week_grows_less_sure(settings: Any, registry: Any, origin: date) -> None:
    """The same stormy forecast every day: as a forecast issued on T its error grows with
    lead, so calm days become likelier and P(any) rises above the same week taken exactly
    ("weather_uncertainty": "none", read as known) by more on day 7 than on day 1. The gap,
    not P(any) itself, isolates the lead: weekday and path state move both alike. Here on
    synthetic data; benchmarks/coherence_checks.py runs it on the real data."""
    days = [{"date": (origin + timedelta(days=i)).isoformat(), **STORMY} for i in range(7)]
    p_any = {}
    with _client(settings, registry, n_samples=10_000) as c:
        for uncertainty in ("forecast", "none"):
            body = {"horizon": 7, "weather": days, "weather_uncertainty": uncertainty}
            r = c.post("/v1/forecast", json=body)
            assert r.status_code == 200, r.text
            p_any[uncertainty] = [d["p_any"] for d in r.json()["days"]]
    gap = [f - k for f, k in zip(p_any["forecast"], p_any["none"], strict=True)]
    assert gap[6] - gap[0] >= 0.04, p_any
