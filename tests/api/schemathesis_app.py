"""The app the schemathesis tests run against: its schema read at import with harmless
settings, then served with fitted champions, real data and a temporary archive; and the
served data's window, the rules of the API no JSON Schema keyword can state.

A day must lie where the data and the model can answer: `as_of` between the first arrivals
and today (for `weather_mode=observed`, early enough that the observed weather covers the
asked days), `start` from the issue date to 13 days after it, a scenario day between the
issue date and the last asked day, `until` within 366 days after the newest data, a history
`from` not after `to` (or, without `to`, the newest data). The parameters' descriptions say
so, in words: the window moves with the data every day, and JSON Schema has no date bounds
and cannot compare two fields. Nor can it say a scenario day's wind_max_hourly_ms and
gust_max_ms reach its wind_mean_ms (WeatherDay's description does); such days are handled
the same way. So the tests check a schema-valid request outside that window gets the
documented 422 (naming the day or the wind), then move it into the window and run every
check on it, `positive_data_acceptance` included: the schema's every other rule (levels,
thresholds, horizon, weather ranges ...) must then be enough for a 2xx.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import pandas as pd
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import get_registry
from api.main import create_app
from api.settings import ApiSettings, get_settings
from forecasting.contract import MAX_HORIZON, MAX_OUTLOOK_DAYS
from tests.api.conftest import SCHEMATHESIS_CASES, FakeRegistry, make_champion
from tests.api.leaks import assert_no_leak

# The loc of a documented data-window refusal ends in one of these (or it names a weather
# variable a scenario day lacks, or a day given twice with different weather, or a wind below
# the day's mean wind).
DAY_FIELDS: Final = frozenset({"start", "as_of", "until", "date", "weather_mode", "from"})
_FASTER: Final = ("wind_max_hourly_ms", "gust_max_ms")  # never below wind_mean_ms
YEAR: Final = 366  # days of stored weather a hindcast's climatology needs before it
# Typical values for the weather a scenario day lacks (api/schemas/examples.py's scenario).
_FILL: Final = {
    "wind_mean_ms": 1.5,
    "wind_max_hourly_ms": 3.0,
    "gust_max_ms": 5.0,
    "wind_dir_deg": 200.0,
    "precip_mm": 0.0,
    "temp_mean_c": 14.0,
    "pressure_hpa": 1020.0,
    "visibility_min_m": 20000.0,
    "cloud_octas": 3.0,
}


def app_and_schema(prefix: str) -> tuple[FastAPI, Any]:
    """A fresh app and its OpenAPI schema. Reading the schema runs the app's lifespan, so it
    gets harmless settings (a temporary folder, no registry, no archive, no provider)."""
    app = create_app()
    harmless = ApiSettings(
        data_dir=Path(tempfile.mkdtemp(prefix=prefix)),
        archive_url="",
        open_meteo_url="",
        poll_seconds=0,
    )
    app.dependency_overrides[get_settings] = lambda: harmless
    app.dependency_overrides[get_registry] = lambda *_: FakeRegistry()
    return app, schemathesis.openapi.from_asgi("/openapi.json", app)


@contextmanager
def serving(
    app: FastAPI, fitted: Any, data_dir: Path, tmp: Path, n_samples: int
) -> Iterator[DataWindow]:
    """Serve `app` with the fitted champions, the data in `data_dir` and an archive in `tmp`
    (today pinned to the day after the data; no rate limit, so every case is answered);
    yields the served data's window."""
    registry = FakeRegistry()
    needs: set[str] = set()
    for model in fitted.values():
        registry.add(make_champion(model, "1"))
        needs.update(model.weather_variables)
    window = DataWindow.of(data_dir, tuple(sorted(needs)))
    settings_ = ApiSettings(
        data_dir=data_dir,
        archive_url=f"sqlite:///{tmp / 'archive.db'}",
        admin_token="schemathesis-token",
        open_meteo_url="",
        poll_seconds=0,
        n_samples=n_samples,  # scenarios too: each is paired with the default forecast
        scenario_rate_limit="",  # hundreds of POSTs: test the schema, not the rate limit
        today=window.today,
    )
    app.dependency_overrides[get_settings] = lambda: settings_
    app.dependency_overrides[get_registry] = lambda *_: registry
    try:
        with TestClient(app):
            yield window
    finally:
        app.dependency_overrides.clear()


@dataclass(frozen=True)
class DataWindow:
    """The days the served data and models can answer (see the module docstring)."""

    first: date  # the first arrivals day
    last: date  # the newest arrivals and observed-weather day
    needs: tuple[str, ...]  # the weather variables a served model needs

    @classmethod
    def of(cls, data_dir: Path, needs: tuple[str, ...]) -> DataWindow:
        """The window of the processed tables in `data_dir`."""
        days = pd.to_datetime(
            pd.read_parquet(data_dir / "arrivals.parquet", columns=["date"])["date"]
        )
        return cls(days.min().date(), days.max().date(), needs)

    @property
    def today(self) -> date:
        """The pinned today: the day after the data (a forecast issued with fresh data)."""
        return self.last + timedelta(days=1)

    def moved(self, label: str, query: Any, body: Any) -> tuple[Any, Any] | None:
        """The query and body of a case with its days moved into the window, or None when
        they are inside it already."""
        if label in ("GET /v1/forecast", "GET /v1/forecast/exceedance") and query:
            new_query = self._issue(query, observed=query.get("weather_mode") == "observed")
            return None if new_query == query else (new_query, body)
        until = _day(query.get("until")) if label == "GET /v1/outlook" and query else None
        if until is not None:
            until = _inside(until, self.today, self.last + timedelta(MAX_OUTLOOK_DAYS))
            new_query = {**query, "until": until.isoformat()}
            return None if new_query == query else (new_query, body)
        if label == "GET /v1/history" and query and _day(query.get("from")) is not None:
            end = _day(query.get("to")) or self.last
            if _day(query["from"]) > end:
                return {**query, "from": end.isoformat()}, body
            return None
        if label == "POST /v1/forecast" and isinstance(body, dict):
            new_body = self._scenario(body)
            return None if new_body == body else (query, new_body)
        return None

    def _issue(self, ask: dict[str, Any], observed: bool) -> dict[str, Any]:
        """`as_of` and `start` moved to days that can be forecast (observed: days the
        observed weather covers)."""
        out = dict(ask)
        horizon = _horizon(ask.get("horizon"))
        lo = self.first + timedelta(days=YEAR)  # climatology draws on a year before it
        hi = self.last - timedelta(days=MAX_HORIZON - 1) if observed else self.today
        as_of = _day(ask.get("as_of"))
        if as_of is None and observed and "as_of" not in ask:
            as_of = hi  # observed weather for days issued today does not exist yet
        if as_of is not None:
            as_of = _inside(as_of, lo, hi)
            out["as_of"] = as_of.isoformat()
        issue = as_of or self.today
        start = _day(ask.get("start"))
        if start is not None and horizon is not None:
            last_start = issue + timedelta(days=MAX_HORIZON - horizon)
            out["start"] = _inside(start, issue, last_start).isoformat()
        return out

    def _scenario(self, body: dict[str, Any]) -> dict[str, Any]:
        """A scenario body with its days in the window, each day once, and every variable
        the models need."""
        out = self._issue(body, observed=False)
        horizon = _horizon(body.get("horizon", 7))
        days = body.get("weather")
        if horizon is None or not isinstance(days, list):
            return out
        issue = _day(out.get("as_of")) or self.today
        first = _day(out.get("start")) or issue
        last = first + timedelta(days=horizon - 1)
        seen: dict[str, dict[str, Any]] = {}
        for day in days:
            d = _day(day.get("date")) if isinstance(day, dict) else None
            if d is None:
                return out
            moved = {**day, "date": _inside(d, issue, last).isoformat()}
            for var in self.needs:
                if moved.get(var) is None:
                    moved[var] = _FILL[var]
            mean = moved.get("wind_mean_ms")
            for var in _FASTER:
                if isinstance(mean, int | float) and isinstance(moved.get(var), int | float):
                    moved[var] = max(moved[var], mean)
            seen.setdefault(moved["date"], moved)
        out["weather"] = list(seen.values())
        return out


def _inside(d: date, lo: date, hi: date) -> date:
    """`d` itself when in lo..hi, else a day in lo..hi that depends on `d`."""
    if lo <= d <= hi:
        return d
    return lo + timedelta(days=d.toordinal() % ((hi - lo).days + 1))


def _day(value: Any) -> date | None:
    """A YYYY-MM-DD day, or None for anything else."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _horizon(value: Any) -> int | None:
    """The asked number of days (7 when not given), or None when it is not one."""
    if value is None:
        return 7
    try:
        h = float(str(value).strip())
    except ValueError:
        return None
    return int(h) if h.is_integer() and 1 <= h <= MAX_HORIZON else None


def documented_refusal(response: Any) -> bool:
    """True for the documented answer to a day outside the data window: a 422 whose every
    error names a day, a weather variable a scenario day lacks, or a day given twice."""
    if response.status_code != 422:
        return False
    detail = response.json().get("detail")
    if not isinstance(detail, list) or not detail:
        return False
    return all(
        str(e["loc"][-1]) in DAY_FIELDS
        or (e["type"] == "missing" and "weather" in e["loc"])
        or "twice; give each day once" in e["msg"]
        or (str(e["loc"][-1]) in _FASTER and "is below wind_mean_ms" in e["msg"])
        for e in detail
    )


def check_case(case: Any, window: DataWindow) -> bool:
    """For a schema-valid case with a day outside `window`: send it as generated, check it
    gets the documented refusal (or an answer: the window here is the safe part), then move
    its days into the window for the checks. True when it was outside."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return False
    moved = window.moved(case.operation.label, case.query, case.body)
    if moved is None:
        return False
    response = case.call()
    assert response.status_code < 400 or documented_refusal(response), (
        f"schema-valid request refused for a rule other than the data window: {case.query} "
        f"{case.body} -> {response.status_code} {response.text[:300]}"
    )
    assert_no_leak(response.text)
    case.query, case.body = moved
    return True


def run_case(case: Any, window: DataWindow) -> bool:
    """One schemathesis case as both runs check it: counted for the closing summary, moved
    into the data window when it fell outside (after its documented refusal), then sent with
    every built-in check; no 5xx, and no error body leaks. True when it was outside."""
    label = case.operation.label
    SCHEMATHESIS_CASES[label] = SCHEMATHESIS_CASES.get(label, 0) + 1
    outside = check_case(case, window)
    response = case.call_and_validate()  # every built-in check, positive and negative data
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_no_leak(response.text)
    return outside
