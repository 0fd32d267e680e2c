"""The service core without HTTP: it names bad values in its own terms (`InvalidInput.field`),
and the HTTP layer places them in the request (`request_loc`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from api.errors import request_loc
from api.main import build_service
from api.service import ForecastService, InvalidInput
from forecasting.contract import MAX_HORIZON


@pytest.fixture
def service(settings: Any, registry: Any) -> Iterator[ForecastService]:
    """A service with data and champions loaded, no archive and no HTTP."""
    svc = build_service(settings.model_copy(update={"archive_url": ""}), registry)
    svc.observed.reload_if_changed()
    svc.store.refresh()
    yield svc
    svc.store.stop_polling()


def test_window_refusals_name_start(service: ForecastService, origin: date) -> None:
    champ = service.champion("people")
    obs = service.observed.get()
    for start, horizon in ((origin - timedelta(days=1), 7), (origin + timedelta(days=8), 7)):
        with pytest.raises(InvalidInput) as info:
            service.window(champ, obs, start, horizon)
        assert info.value.field == ("start",) and info.value.kind == "value_error"
    win = service.window(champ, obs, None, MAX_HORIZON)
    assert (win.origin, win.start, win.total) == (origin, origin, MAX_HORIZON)


def test_scenario_refusals_name_the_day_and_variable(
    service: ForecastService, origin: date
) -> None:
    champ = service.champion("people")
    outside = [{"date": origin - timedelta(days=3), "wind_mean_ms": 1.0}]
    with pytest.raises(InvalidInput) as info:
        service.scenario_forecast(champ, None, 7, outside)
    assert info.value.field == ("weather", 0, "date")
    needed = champ.forecaster.weather_variables
    lacking = [{"date": origin, **{v: 1.0 for v in needed[1:]}}]
    with pytest.raises(InvalidInput) as info:
        service.scenario_forecast(champ, None, 7, lacking)
    assert info.value.field == ("weather", 0, needed[0]) and info.value.kind == "missing"
    assert needed[0] in str(info.value)


@pytest.mark.parametrize(
    ("method", "field", "loc"),
    [
        ("GET", ("start",), ["query", "start"]),
        ("POST", ("start",), ["body", "start"]),
        ("POST", ("weather",), ["body", "weather"]),
        ("POST", ("weather", 3, "wind_mean_ms"), ["body", "weather", 3, "wind_mean_ms"]),
    ],
)
def test_request_loc(method: str, field: tuple[Any, ...], loc: list[Any]) -> None:
    assert request_loc(method, field) == loc
