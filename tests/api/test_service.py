"""The service core without HTTP: it names bad values in its own terms (`InvalidInput.field`),
and the HTTP layer places them in the request (`request_loc`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from api.errors import request_loc
from api.issue_date import IssueDate
from api.main import build_service
from api.service import Ask, ForecastService, InvalidInput
from forecasting.contract import MAX_HORIZON


@pytest.fixture
def service(settings: Any, registry: Any) -> Iterator[ForecastService]:
    """A service with data and champions loaded, no archive and no HTTP."""
    svc = build_service(settings.model_copy(update={"archive_url": ""}), registry)
    svc.observed.reload_if_changed()
    svc.store.refresh()
    yield svc
    svc.store.stop_polling()


def test_issue_date_rules(service: ForecastService, origin: date) -> None:
    obs = service.observed.get()
    assert obs is not None and obs.last_date == origin - timedelta(days=1)
    assert service.issue_date(obs, None) == IssueDate(origin, False)  # today (pinned)
    past = origin - timedelta(days=9)
    assert service.issue_date(obs, past) == IssueDate(past, True)
    with pytest.raises(InvalidInput) as info:
        service.issue_date(obs, origin + timedelta(days=1))
    assert info.value.field == ("as_of",)
    later = service.settings.model_copy(update={"today": origin + timedelta(days=40)})
    service.settings = later
    assert service.issue_date(obs, None) == IssueDate(origin, True)  # old data: a hindcast


def test_window_refusals_name_the_field(service: ForecastService, origin: date) -> None:
    champ = service.champion("people")
    for start, horizon in ((origin - timedelta(days=1), 7), (origin + timedelta(days=8), 7)):
        with pytest.raises(InvalidInput) as info:
            service.default_forecast(champ, Ask(start, horizon))
        assert info.value.field == ("start",) and info.value.kind == "value_error"
    issued = service.default_forecast(champ, Ask(None, MAX_HORIZON))
    assert (issued.issue_date, issued.start, issued.horizon) == (origin, origin, MAX_HORIZON)


def test_scenario_refusals_name_the_day_and_variable(
    service: ForecastService, origin: date
) -> None:
    champ = service.champion("people")
    outside = [{"date": origin - timedelta(days=3), "wind_mean_ms": 1.0}]
    with pytest.raises(InvalidInput) as info:
        service.scenario_forecast(champ, Ask(), outside)
    assert info.value.field == ("weather", 0, "date")
    needed = champ.forecaster.weather_variables
    lacking = [{"date": origin, **{v: 1.0 for v in needed[1:]}}]
    with pytest.raises(InvalidInput) as info:
        service.scenario_forecast(champ, Ask(), lacking)
    assert info.value.field == ("weather", 0, needed[0]) and info.value.kind == "missing"
    assert needed[0] in str(info.value)


@pytest.mark.parametrize(
    ("method", "field", "loc"),
    [
        ("GET", ("start",), ["query", "start"]),
        ("POST", ("start",), ["body", "start"]),
        ("GET", ("as_of",), ["query", "as_of"]),
        ("POST", ("as_of",), ["body", "as_of"]),
        ("POST", ("weather",), ["body", "weather"]),
        ("POST", ("weather", 3, "wind_mean_ms"), ["body", "weather", 3, "wind_mean_ms"]),
    ],
)
def test_request_loc(method: str, field: tuple[Any, ...], loc: list[Any]) -> None:
    assert request_loc(method, field) == loc
