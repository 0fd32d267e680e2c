"""A forecast's simulation (`issue_forecast`), one at a time per process.

The simulation is CPU-bound under the GIL, and threads interleaving it only add switches (4
concurrent scenario POSTs ran at 59 req/s, against 84 on one connection, before the turn). A
caller waits at most SIMULATION_QUEUE_SECONDS for its turn, then runs alongside, so one slow
forecast never holds the others up. What cannot be issued from the request's values is
refused as `InvalidInput` naming the field.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date
from typing import Final

from api.champion import Champion
from api.data import Observed
from api.issue_date import IssueDate
from api.refusals import InvalidInput
from forecasting.errors import InputError
from forecasting.issuing import CannotIssue, IssuedForecast, IssueSpec, issue_forecast
from forecasting.weather.future import WeatherInputs, WeatherUnavailable

SIMULATION_QUEUE_SECONDS: Final = 0.5  # the longest a forecast waits for its simulation turn


class Simulation:
    """Runs `issue_forecast` in turns (one process-wide lock, waited on for a bounded time)."""

    def __init__(self) -> None:
        self._turn = threading.Lock()

    def issue(
        self,
        champ: Champion,
        obs: Observed,
        spec: IssueSpec,
        issue: IssueDate,
        inputs: WeatherInputs,
        requested: Mapping[date, Mapping[str, float]] | None,
    ) -> IssuedForecast:
        """`champ`'s forecast for `spec` from the observed data, or InvalidInput."""
        try:
            turn = self._turn.acquire(timeout=SIMULATION_QUEUE_SECONDS)
            try:
                return issue_forecast(
                    champ.forecaster, obs.arrivals, obs.weather_history, spec, inputs
                )
            finally:
                if turn:
                    self._turn.release()
        except CannotIssue as exc:
            raise InvalidInput((exc.field,), str(exc)) from exc
        except InputError as exc:  # the model refused its weather
            raise InvalidInput((_refused_field(spec, requested),), str(exc)) from exc
        except WeatherUnavailable as exc:
            if not issue.hindcast:  # today's forecast: the server's data lacks it (503)
                raise
            # a hindcast too close to the start of the stored weather: nothing to retry
            raise InvalidInput(
                ("as_of",), f"{exc}: the stored weather is too short before it; issue it later"
            ) from exc


def _refused_field(spec: IssueSpec, requested: Mapping[date, Mapping[str, float]] | None) -> str:
    """The field to name when the model refuses its weather: the scenario's, the hindsight
    mode's, else the asked days'."""
    if requested:
        return "weather"
    return "weather_mode" if spec.mode != "forecast" else "start"
