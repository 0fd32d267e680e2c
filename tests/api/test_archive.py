"""The forecast archive: every issued forecast with its inputs, and /v1/forecasts/issued.

The PostgreSQL test runs against the server on 127.0.0.1:5432 (trust auth, user postgres) in a
throwaway database; it skips when none is reachable unless CROSSINGS_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.archive.store import ForecastArchive, engine_url
from api.schemas import IssuedResponse
from tests.api.conftest import ADMIN_TOKEN, build_app, extend, write_processed
from tests.support.archive import make_record

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def test_every_issued_forecast_is_archived(
    tmp_path: Path, synthetic: Any, settings: Any, registry: Any, origin: date
) -> None:
    d = write_processed(tmp_path / "data", *synthetic)
    s = settings.model_copy(update={"data_dir": d})
    day = origin + timedelta(days=1)
    with TestClient(build_app(s, registry)) as c:
        f = c.get("/v1/forecast").json()
        c.get("/v1/forecast", params={"levels": "90"})  # the same issued forecast (cached)
        scen = c.post(  # the same question as the GET: its baseline is that cached forecast
            "/v1/forecast",
            json={
                "horizon": 7,
                "weather": [
                    {
                        "date": day.isoformat(),
                        "wind_mean_ms": 1,
                        "wind_max_hourly_ms": 2,
                        "gust_max_ms": 3,
                        "wind_dir_deg": 90,
                        "precip_mm": 0,
                    }
                ],
            },
        )
        assert scen.status_code == 200
        svc = c.app.state.service  # type: ignore[attr-defined]
        svc.archive.flush()
        assert svc.archive.written == 2 and svc.archive.failures == 0

        r = c.get("/v1/forecasts/issued", params={"date": day.isoformat()})
        assert r.status_code == 200, r.text
        body = r.json()
        IssuedResponse.model_validate(body)
        assert body["actual"] is None  # not observed yet
        [issued] = body["forecasts"]
        assert issued["kind"] == "default" and issued["lead_days"] == 2
        assert issued["model"] == f["model"]
        assert issued["median"] == f["days"][1]["median"]
        assert issued["bands"] == f["days"][1]["bands"]
        assert issued["issued_at"].replace("Z", "+00:00")[:19] == f["issued_at"][:19]
        both = c.get("/v1/forecasts/issued", params={"date": day.isoformat(), "kind": "all"})
        assert {x["kind"] for x in both.json()["forecasts"]} == {"default", "scenario"}
        assert issued["issue_date"] == origin.isoformat() and issued["hindcast"] is False
        assert issued["weather_mode"] == "forecast"
        row = svc.archive.get(issued["forecast_id"])
        assert row["model_version"] == "1" and row["inputs"]["weather_sources"][0] == "climatology"
        assert row["response"]["start"] == origin.isoformat()
        assert row["response"]["issue_date"] == origin.isoformat()
        inputs = row["inputs"]
        assert (inputs["issue_date"], inputs["hindcast"], inputs["bridged_days"]) == (
            origin.isoformat(),
            False,
            0,
        )
        assert (inputs["seed"], inputs["weather_draw"], inputs["weather_mode"]) == (
            0,
            0,
            "forecast",
        )
        [scen_id] = [x["forecast_id"] for x in both.json()["forecasts"] if x["kind"] == "scenario"]
        scen_inputs = svc.archive.get(scen_id)["inputs"]
        assert scen_inputs["scenario"][day.isoformat()]["wind_mean_ms"] == 1.0
        assert scen_inputs["weather_sources"][:2] == ["climatology", "request"]

        # the Home Office publishes the day: the actual appears next to the forecast
        write_processed(d, *extend(*synthetic, days=2, people=321))
        assert (
            c.post(
                "/v1/admin/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
            ).status_code
            == 200
        )
        body = c.get("/v1/forecasts/issued", params={"date": day.isoformat()}).json()
        assert body["actual"] == 321 and len(body["forecasts"]) == 1


def test_issued_bad_input(client: TestClient) -> None:
    r = client.get("/v1/forecasts/issued")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "date"]
    r = client.get("/v1/forecasts/issued", params={"date": "2023-06-20", "kind": "guess"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "kind"]
    r = client.get("/v1/forecasts/issued", params={"date": "1999-01-01"})
    assert r.status_code == 200 and r.json()["forecasts"] == []


def _roundtrip(archive: ForecastArchive) -> None:
    archive.start()
    try:
        day = date(2026, 5, 15)
        for v in ("5", "6"):
            archive.submit(make_record(day, v))
        archive.flush()
        rows = archive.issued_for("people", day, ("default",))
        assert [r["model_version"] for r in rows] == ["6", "5"]
        assert rows[0]["bands"] == {"80": {"lo": 0, "hi": 9}}
        assert rows[0]["issued_at"] is not None and rows[0]["lead_days"] == 1
        assert archive.issued_for("boats", day, ("default",)) == []
        assert archive.get(rows[0]["forecast_id"])["inputs"] == {"weather_sources": ["forecast"]}
    finally:
        archive.close()


def test_sqlite_archive_roundtrip(tmp_path: Path) -> None:
    _roundtrip(ForecastArchive(f"sqlite:///{tmp_path / 'a.db'}"))


def test_postgres_urls_use_psycopg3() -> None:
    assert engine_url("postgresql://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"


@pytest.mark.postgres
def test_postgres_archive_roundtrip(pg_url: str) -> None:
    _roundtrip(ForecastArchive(pg_url))


@pytest.mark.postgres
def test_service_archives_to_postgres(pg_url: str, settings: Any, registry: Any) -> None:
    with TestClient(build_app(settings.model_copy(update={"archive_url": pg_url}), registry)) as c:
        f = c.get("/v1/forecast", params={"horizon": 2}).json()
        c.app.state.service.archive.flush()  # type: ignore[attr-defined]
        body = c.get("/v1/forecasts/issued", params={"date": f["start"]}).json()
        assert len(body["forecasts"]) == 1
        assert body["forecasts"][0]["median"] == f["days"][0]["median"]
