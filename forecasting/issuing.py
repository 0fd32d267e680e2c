"""Issue a forecast: the one function behind backtests, the training job's charts and gate, the
saved model and the API, so that what a planner is served is what the backtest validated.

A forecast is issued on a day T (the issue date) for `horizon` days from `start` (default T).
The model's fitted parameters are used as they are; its series state comes from the newest
arrivals before T (`Model.condition`). When those end before T − 1, the model simulates the
days in between (the bridge, at most MAX_BRIDGE_DAYS) along each path, with the weather
observed on them. Weather from T on is built by `forecasting.weather.future`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from forecasting import schema
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_WEATHER_MODE,
    MAX_BRIDGE_DAYS,
    MAX_HORIZON,
    MAX_SIMULATED_DAYS,
    MIN_HORIZON,
    NO_WEATHER,
    WEATHER_MODES,
    WeatherMode,
    WeatherSource,
)
from forecasting.forecast import Forecast
from forecasting.weather.climatology import normals
from forecasting.weather.future import (
    WeatherInputs,
    WeatherStreams,
    build_future_weather,
)
from forecasting.weather.history import WeatherHistory
from forecasting.weather.paths import FutureWeather

if TYPE_CHECKING:  # the Model interface only as a type: models' own inner origins issue here
    from forecasting.models.base import Model

log = logging.getLogger(__name__)

# Days of weather before the newest arrival a model reads to take its state.
_STATE_WEATHER_DAYS = 60


class CannotIssue(ValueError):
    """The forecast cannot be issued as asked; `field` names what to change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class IssueSpec:
    """What to forecast: the issue date, the asked days, the samples and the weather mode.

    `seed` and `draw` fix the random streams (`WeatherStreams`), so the same spec gives the
    same forecast in a backtest, a training chart and the API.
    """

    issue_date: pd.Timestamp
    horizon: int = DEFAULT_HORIZON
    start: pd.Timestamp | None = None
    n_samples: int = 1000
    seed: int = 0
    mode: WeatherMode = DEFAULT_WEATHER_MODE
    draw: int = 0

    def __post_init__(self) -> None:
        """Refuse a spec no forecast can meet (CannotIssue naming the field, or ValueError
        for the sample count) and normalise the dates."""
        if not MIN_HORIZON <= self.horizon <= MAX_HORIZON:
            raise CannotIssue(
                "horizon",
                f"horizon must be between {MIN_HORIZON} and {MAX_HORIZON} days, got {self.horizon}",
            )
        if self.n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {self.n_samples}")
        if self.mode not in WEATHER_MODES:
            raise CannotIssue(
                "weather_mode",
                f"unknown weather mode {self.mode!r}; use one of {', '.join(WEATHER_MODES)}",
            )
        object.__setattr__(self, "issue_date", pd.Timestamp(self.issue_date).normalize())
        if self.start is not None:
            object.__setattr__(self, "start", pd.Timestamp(self.start).normalize())

    @property
    def first_day(self) -> pd.Timestamp:
        """The first asked day."""
        return self.issue_date if self.start is None else self.start

    @cached_property
    def asked(self) -> pd.DatetimeIndex:
        """The asked days."""
        return pd.date_range(self.first_day, periods=self.horizon, freq="D")

    @property
    def streams(self) -> WeatherStreams:
        """The named random streams of this forecast."""
        return WeatherStreams(self.seed, self.issue_date, self.mode, self.draw)


@dataclass(frozen=True, eq=False)
class IssuedForecast:
    """An issued forecast: the asked days' sample paths, and what they rest on."""

    spec: IssueSpec
    forecast: Forecast
    sources: tuple[WeatherSource, ...]  # each asked day's weather source
    data_end: pd.Timestamp  # the last observed day the model's state comes from
    weather: FutureWeather | None = field(default=None, repr=False)  # every simulated day

    @property
    def bridged_days(self) -> int:
        """Days between the newest arrivals and the issue date that the model simulated."""
        return max(0, (self.spec.issue_date - self.data_end).days - 1)

    @property
    def lead_offset(self) -> int:
        """Days from the issue date to the first asked day (0 when it starts on T)."""
        return (self.spec.first_day - self.spec.issue_date).days


def check_window(spec: IssueSpec, data_end: pd.Timestamp) -> None:
    """Raise CannotIssue when the asked days cannot be forecast from `data_end`."""
    t = spec.issue_date
    if spec.first_day < t:
        raise CannotIssue(
            "start", f"start {spec.first_day.date()} is before the issue date {t.date()}"
        )
    last = spec.asked[-1]
    if last > t + pd.Timedelta(days=MAX_HORIZON - 1):
        latest = t + pd.Timedelta(days=MAX_HORIZON - spec.horizon)
        raise CannotIssue(
            "start",
            f"forecasts reach at most {MAX_HORIZON} days from the issue date {t.date()}; "
            f"with horizon {spec.horizon} the latest start is {latest.date()}",
        )
    bridge = (t - data_end).days - 1
    if bridge > MAX_BRIDGE_DAYS:
        raise CannotIssue(
            "as_of",
            f"the arrivals end {data_end.date()}, {bridge} days before the issue date "
            f"{t.date()}; at most {MAX_BRIDGE_DAYS} days can be bridged. Ingest newer data "
            "or issue the forecast earlier",
        )


def conditioned(
    model: Model, arrivals: pd.DataFrame, history: WeatherHistory, issue_date: pd.Timestamp
) -> Model:
    """`model` with its state from the newest arrivals before `issue_date` (see module doc).

    A model that cannot move its state keeps the one it was fitted with when that is older
    (the bridge covers the rest); a forecast issued before its last fitted day is refused.
    """
    known = _before(arrivals, issue_date)
    if known.empty:
        raise CannotIssue("as_of", f"no arrivals before {issue_date.date()} to start from")
    last = pd.Timestamp(known[schema.DATE].iloc[-1])
    if last == model.last_date_:
        return model
    weather = state_weather(history, last) if model.uses_weather else None
    try:
        return model.condition(known, weather)
    except NotImplementedError as exc:
        if last > model.last_date_:
            log.info("%s keeps its fitted state (%s); the bridge is simulated", model.name, exc)
            return model
        raise CannotIssue(
            "as_of",
            f"{model.name} was fitted on data up to {model.last_date_.date()} and cannot "
            f"forecast as of {issue_date.date()}",
        ) from exc


def state_weather(history: WeatherHistory, last: pd.Timestamp) -> pd.DataFrame:
    """The weather a model reads to take its state on the arrivals ending `last`: the observed
    days of the _STATE_WEATHER_DAYS up to `last`. Stored weather usually ends before the
    arrivals (the normal state of a live service); the days it does not reach take their
    climatological normals (`climatology.normals`), so any lag gives a state."""
    rows = history.frame
    dates = pd.to_datetime(rows[schema.DATE])
    first = last - pd.Timedelta(days=_STATE_WEATHER_DAYS - 1)
    observed = rows.loc[(dates <= last) & (dates >= first)]
    weather_end = dates.max() if len(dates) else first - pd.Timedelta(days=1)
    if weather_end >= last:
        return observed
    gap = pd.date_range(max(first, weather_end + pd.Timedelta(days=1)), last, freq="D")
    numeric = [
        c for c in rows.columns if c != schema.DATE and pd.api.types.is_numeric_dtype(rows[c])
    ]
    table = rows.set_index(pd.DatetimeIndex(dates))[numeric]
    filled = normals(table, gap).rename_axis(schema.DATE).reset_index()
    log.info(
        "state weather: the observations end %s; %d days to %s take climatological normals",
        weather_end.date(),
        len(gap),
        last.date(),
    )
    return pd.concat([observed, filled], ignore_index=True)


def _before(table: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The rows of a canonical table dated before `day` (a slice when the dates are in order,
    as canonical tables are: no copy of the table per forecast)."""
    dates = table[schema.DATE]
    if dates.is_monotonic_increasing:
        try:
            return table.iloc[: int(dates.searchsorted(day, side="left"))]
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            pass  # a day outside the column's unit's range: compare instead
    return table.loc[dates < day]


def simulate_days(
    model: Model,
    dates: pd.DatetimeIndex,
    streams: WeatherStreams,
    history: WeatherHistory,
    n_samples: int,
    *,
    inputs: WeatherInputs | None = None,
    weather: FutureWeather | None = None,
    max_days: int = MAX_SIMULATED_DAYS,
) -> tuple[Forecast, FutureWeather | None]:
    """The paths of a conditioned `model` over `dates` (every day after its newest arrival):
    the weather built in the streams' mode (unless `weather` is given), then the model's own
    draws. The tail of every forecast: `issue_forecast` and the season outlook."""
    fw = weather
    if model.uses_weather and fw is None:
        fw = build_future_weather(
            tuple(model.weather_variables), dates, streams, history, n_samples, inputs
        )
    full = model.predict(
        len(dates),
        fw if model.uses_weather else None,
        n_samples,
        streams.predict(model.name),
        max_days=max_days,
    )
    return full, fw


def issue_forecast(
    model: Model,
    arrivals: pd.DataFrame,
    history: WeatherHistory,
    spec: IssueSpec,
    inputs: WeatherInputs | None = None,
    weather: FutureWeather | None = None,
) -> IssuedForecast:
    """Issue `spec` with `model`: condition on the arrivals before the issue date, build the
    weather (unless `weather` covering every simulated day is given, as a backtest shares one
    weather draw among its models), simulate the bridge and the asked days, and keep the asked
    days. Raises CannotIssue when the window cannot be forecast."""
    m = conditioned(model, arrivals, history, spec.issue_date)
    data_end = pd.Timestamp(m.last_date_)
    check_window(spec, data_end)
    dates = pd.date_range(data_end + pd.Timedelta(days=1), spec.asked[-1], freq="D")
    full, fw = simulate_days(
        m, dates, spec.streams, history, spec.n_samples, inputs=inputs, weather=weather
    )
    keep = slice(len(dates) - spec.horizon, len(dates))
    forecast = Forecast(full.dates[keep], full.samples[:, keep], full.target, full.model)
    sources = fw.sources[keep] if fw is not None else (NO_WEATHER,) * spec.horizon
    return IssuedForecast(spec, forecast, tuple(sources), data_end, fw)


__all__ = [
    "CannotIssue",
    "IssueSpec",
    "IssuedForecast",
    "check_window",
    "conditioned",
    "issue_forecast",
    "simulate_days",
    "state_weather",
]
