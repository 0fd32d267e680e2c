"""The track record: `api.reissue` backfills a temporary SQLite archive on synthetic data, and
`GET /v1/verification` scores it; the scores are checked against an independent computation
straight from the archive's tables."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.archive.store import ARCHIVE_QUANTILE_PROBS
from api.main import build_service
from api.reissue import refit, reissue
from api.service import Ask, ForecastService
from api.settings import ApiSettings
from crossings.app import app as cli_app
from forecasting import models
from tests.api.conftest import FakeRegistry, build_app, make_champion

HORIZON = 7
N_ISSUE = 14


@pytest.fixture
def service(settings: ApiSettings, registry: FakeRegistry) -> Iterator[ForecastService]:
    svc = build_service(settings, registry)
    svc.observed.reload_if_changed()
    svc.store.refresh()
    yield svc
    if svc.archive is not None:
        svc.archive.close()


def _window(origin: date) -> tuple[date, date]:
    """Issue dates whose 7 days all have actuals (the data end the day before `origin`)."""
    last = origin - timedelta(days=HORIZON + 1)
    return last - timedelta(days=N_ISSUE - 1), last


@pytest.fixture
def reissued(service: ForecastService, origin: date) -> tuple[date, date]:
    first, last = _window(origin)
    done = reissue(service, ["people"], first, last, horizon=HORIZON, refit_every=0)
    assert [(s.issued, s.skipped) for s in done] == [(N_ISSUE, 0)]
    return first, last


Rows = dict[tuple[str, str], tuple[Any, ...]]


def _independent(db: Path, target: str, first: date, last: date) -> dict[str, Rows]:
    """The newest archived figures per side and (issue date, day), read with plain SQL."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "select f.kind, json_extract(f.inputs, '$.issue_date'), d.date, d.median, d.p_any, "
        "json_extract(d.bands, '$.\"80\".lo'), json_extract(d.bands, '$.\"80\".hi'), "
        "q.quantiles from issued_forecast_days d join issued_forecasts f using (forecast_id) "
        "join issued_forecast_quantiles q on q.forecast_id = d.forecast_id and q.date = d.date "
        "where d.target = ? and d.date between ? and ? order by f.issued_at",
        (target, first.isoformat(), last.isoformat()),
    ).fetchall()
    con.close()
    sides: dict[str, Rows] = {"forecast": {}, "clim": {}}
    for kind, t, d, med, p, lo, hi, q in rows:
        side = "clim" if kind == "reference" else "forecast"
        sides[side][(t, d)] = (med, p, lo, hi, q)
    return sides


def _scores(rows: Rows, actual: dict[str, int]) -> dict[str, float]:
    """CRPS (a plain pinball loop), Brier and 80% coverage of `rows`."""
    crps, brier, cover = [], [], []
    for (_, d), (_, p, lo, hi, q) in rows.items():
        y = actual[d]
        qs = json.loads(q)
        pin = [
            (a * (y - x) if y >= x else (1 - a) * (x - y))
            for a, x in zip(ARCHIVE_QUANTILE_PROBS, qs, strict=True)
        ]
        crps.append(2 * sum(pin) / len(pin))
        brier.append((p - (1.0 if y > 0 else 0.0)) ** 2)
        cover.append(1.0 if lo <= y <= hi else 0.0)
    return {
        "crps": float(np.mean(crps)),
        "brier": float(np.mean(brier)),
        "coverage_80": float(np.mean(cover)),
    }


def test_verification_matches_an_independent_computation(
    service: ForecastService,
    reissued: tuple[date, date],
    settings: ApiSettings,
    registry: FakeRegistry,
    synthetic: Any,
    origin: date,
) -> None:
    first, _ = reissued
    days = (origin - first).days  # the window reaches back to the first issue date
    with TestClient(build_app(settings, registry)) as client:
        body = client.get("/v1/verification", params={"days": days, "target": "people"}).json()
    arrivals, _ = synthetic
    actual = {
        d.date().isoformat(): int(v)
        for d, v in zip(arrivals["date"], arrivals["people"], strict=True)
    }
    db = Path(settings.archive_url.removeprefix("sqlite:///"))
    ref = _independent(db, "people", first, origin)
    assert len(ref["forecast"]) == N_ISSUE * HORIZON == len(ref["clim"])
    assert body["n_forecasts"] == N_ISSUE
    for name, side in (("forecast", "forecast"), ("climatology", "clim")):
        got, want = body["scores"][name], _scores(ref[side], actual)
        assert got["n"] == got["n_crps"] == N_ISSUE * HORIZON
        assert got["crps"] == pytest.approx(want["crps"], abs=1e-5)
        assert got["brier"] == pytest.approx(want["brier"], abs=1e-5)
        assert got["coverage"]["80"] == pytest.approx(want["coverage_80"], abs=1e-5)
    # the hurdle knows the weather; climatology does not: the scores must differ
    assert body["scores"]["forecast"]["crps"] != body["scores"]["climatology"]["crps"]
    assert [b["lead"] for b in body["by_lead"]] == list(range(HORIZON))
    assert sum(b["n"] for b in body["reliability"]["forecast"]) == N_ISSUE * HORIZON
    series = body["series"]
    assert len(series) == N_ISSUE + HORIZON - 1
    assert all(s["actual"] == actual[s["date"]] for s in series)
    assert series[-1]["lead"] == HORIZON - 1 and series[0]["lead"] == 0


def test_reissued_forecasts_are_what_the_service_serves(
    service: ForecastService, reissued: tuple[date, date], settings: ApiSettings
) -> None:
    first, _ = reissued
    assert service.archive is not None
    rows = service.archive.verifiable(
        "people", first, first + timedelta(days=HORIZON), ("reissue",)
    )
    mine = {r["date"]: r for r in rows if r["inputs"]["issue_date"] == first.isoformat()}
    assert all(r["inputs"]["hindcast"] and r["kind"] == "reissue" for r in mine.values())
    ask = Ask(horizon=HORIZON, as_of=first)
    served = service.default_forecast(service.champion("people"), ask).payload((50, 80, 95))
    for day in served["days"]:
        r = mine[date.fromisoformat(day["date"])]
        assert (r["median"], r["p_any"], r["bands"]) == (day["median"], day["p_any"], day["bands"])
    # a second run finds them archived and issues nothing
    again = reissue(service, ["people"], first, first + timedelta(days=2), refit_every=0)
    assert [(s.issued, s.skipped) for s in again] == [(0, 3)]


def test_missing_references_are_issued_on_demand(
    settings: ApiSettings, registry: FakeRegistry, origin: date
) -> None:
    with TestClient(build_app(settings, registry)) as client:
        t = (origin - timedelta(days=10)).isoformat()
        ok = client.get("/v1/forecast", params={"as_of": t, "horizon": 7})
        assert ok.status_code == 200
        client.app.state.service.archive.flush()  # type: ignore[attr-defined]
        body = client.get("/v1/verification", params={"days": 14}).json()
    assert body["n_forecasts"] == 1
    assert body["scores"]["climatology"]["n"] == body["scores"]["forecast"]["n"] == 7


def test_refit_sees_only_the_days_before(service: ForecastService, synthetic: Any) -> None:
    arrivals, _ = synthetic
    champ = make_champion(models.create("seasonal_naive").fit(arrivals), "4")
    day = date(2023, 3, 1)
    refitted = refit(champ, service, day)
    assert refitted.forecaster.last_date_.date() == day - timedelta(days=1)
    assert refitted.version == "4+refit-2023-03-01"


@pytest.mark.parametrize(
    "params",
    [{"days": 0}, {"days": 367}, {"days": "x"}, {"target": "cats"}, {"days": -3}],
)
def test_bad_parameters_get_422(client: TestClient, params: dict[str, Any]) -> None:
    r = client.get("/v1/verification", params=params)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] in params


def test_empty_archive_scores_nothing(client: TestClient) -> None:
    body = client.get("/v1/verification").json()
    assert body["n_forecasts"] == 0 and body["scores"]["forecast"]["crps"] is None
    assert body["series"] == []


def test_openapi_has_the_operation_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/verification"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"days", "target"}
    assert spec["components"]["schemas"]["VerificationResponse"]["examples"]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--from", "2023-05-02", "--to", "2023-05-01"], "--from"),
        (["--from", "2023-05-x", "--to", "2023-05-01"], "--from"),
        (["--from", "2023-05-01", "--to", "2023-05-02", "--targets", "cats"], "--targets"),
        (["--from", "2023-05-01", "--to", "2023-05-02", "--weeks", "8"], "--weeks"),
        (["--from", "2023-05-01"], "--weeks"),
        ([], "--weeks"),
    ],
)
def test_reissue_flags(args: list[str], flag: str) -> None:
    result = CliRunner().invoke(cli_app, ["reissue", *args])
    assert result.exit_code == 2
    assert flag in result.output
