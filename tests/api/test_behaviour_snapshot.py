"""What planners are served does not move when the code is only moved: a snapshot of the
responses (both targets; the default forecast, a hindcast, observed and climatology weather, a
scenario, CSV, exceedance) and of the archive rows they leave, on the synthetic series, is
compared with the one stored in tests/api/snapshots/forecasts.json.

A refactor must leave it identical. A change meant to move the numbers (a model change)
regenerates it, and the diff is reviewed with the change:

    CROSSINGS_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/api/test_behaviour_snapshot.py
"""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.settings import ApiSettings
from forecasting.contract import TARGETS
from tests.api.conftest import FakeRegistry, build_app

SNAPSHOT = Path(__file__).with_name("snapshots") / "forecasts.json"
# Wall-clock times, and the archive's forecast id, which hashes the data files' version (their
# modification time): both differ from run to run with the same numbers.
VOLATILE = {"issued_at", "created_at", "written_at", "forecast_id"}


def _stable(value: Any) -> Any:
    """`value` without wall-clock fields, floats rounded to 9 digits (JSON round trips)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    return value


def _asks(origin: date) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, path, query or body) of every response in the snapshot."""
    past = (origin - timedelta(days=60)).isoformat()
    gets: list[tuple[str, str, dict[str, Any]]] = []
    for t in TARGETS:
        gets += [
            (f"{t} default", "/v1/forecast", {"target": t}),
            (f"{t} hindcast", "/v1/forecast", {"target": t, "as_of": past}),
            (
                f"{t} observed",
                "/v1/forecast",
                {"target": t, "as_of": past, "weather_mode": "observed"},
            ),
            (f"{t} climatology", "/v1/forecast", {"target": t, "weather_mode": "climatology"}),
            (f"{t} csv", "/v1/forecast", {"target": t, "format": "csv", "levels": "50,90"}),
            (f"{t} exceedance", "/v1/forecast/exceedance", {"target": t, "thresholds": "1,50,200"}),
        ]
    return gets


def _scenario(origin: date) -> dict[str, Any]:
    """Three planner days from calm to windy."""
    days = [
        {
            "date": (origin + timedelta(days=i)).isoformat(),
            "wind_mean_ms": w,
            "wind_max_hourly_ms": w * 1.5,
            "gust_max_ms": w * 2,
            "wind_dir_deg": 240,
            "precip_mm": 0.0,
        }
        for i, w in enumerate((2.0, 6.0, 11.0))
    ]
    return {"target": "people", "horizon": 3, "weather": days}


def snapshot(settings: ApiSettings, registry: FakeRegistry, origin: date) -> dict[str, Any]:
    """Every response of `_asks` and the scenario, and the archive rows they left."""
    out: dict[str, Any] = {}
    with TestClient(build_app(settings, registry)) as client:
        for name, path, params in _asks(origin):
            r = client.get(path, params=params)
            assert r.status_code == 200, (name, r.text)
            out[name] = r.text if params.get("format") == "csv" else r.json()
        r = client.post("/v1/forecast", json=_scenario(origin))
        assert r.status_code == 200, r.text
        out["people scenario"] = r.json()
        client.app.state.service.archive.flush()
        for t in TARGETS:
            r = client.get("/v1/forecasts/issued", params={"date": origin.isoformat(), "target": t})
            assert r.status_code == 200, r.text
            out[f"{t} archived"] = r.json()
    return _stable(out)


def test_served_forecasts_match_the_snapshot(
    settings: ApiSettings, registry: FakeRegistry, origin: date
) -> None:
    got = snapshot(settings, registry, origin)
    if os.environ.get("CROSSINGS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(SNAPSHOT.read_text())
    assert sorted(got) == sorted(want)
    for name in want:  # one response at a time, so a failure names it
        assert got[name] == want[name], f"{name} differs from the snapshot"
