"""Future weather for one issued forecast: the single builder for backtests, training and serving.

Every forecast has an issue date T. Weather for days before T (the bridge between the newest
arrivals and T) is observed; days the stored observations do not reach take the live
provider's analysis of past days (``forecast``) where it has one, else ``climatology``.
From T on it depends on the weather mode:

- ``forecast``: per day, the caller's scenario (``request``), else the live provider
  (``forecast``), else an issued forecast simulated from the observed weather (``simulated``,
  what a backtest or a hindcast has), else ``climatology``. The sample paths spread around
  that forecast with the error model by lead (lead 1 is day T), exactly as in a backtest.
  A scenario taken exactly (``uncertainty=False``) is not spread.
- ``issued``: archived real forecasts issued the day before T (``issued``), spread the same way.
- ``observed``: the weather that happened (``hindsight``); only when asked for explicitly.
- ``climatology``: the same days of past years, drawn from weather before the first day.

Random draws come from named streams (`WeatherStreams`), so one seed, issue date and draw give
the same weather wherever it is built.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from forecasting.contract import DEFAULT_WEATHER_MODE, WeatherMode, WeatherSource
from forecasting.errors import InputError
from forecasting.weather.climatology import draw_analogues
from forecasting.weather.error_model import ForecastErrorModel
from forecasting.weather.history import DayRows, WeatherHistory
from forecasting.weather.paths import FutureWeather, every_day


class WeatherUnavailable(RuntimeError):
    """No source can supply weather for a day (no provider, no observed table)."""


def stream(seed: int, day: pd.Timestamp, *names: str) -> np.random.Generator:
    """A random stream fixed by the seed, a day (the issue date) and names (purpose, model,
    mode, draw), so a model's numbers do not depend on what else is computed alongside."""
    keys = [zlib.crc32(n.encode()) for n in names]
    return np.random.default_rng([seed, pd.Timestamp(day).toordinal(), *keys])


@dataclass(frozen=True)
class WeatherStreams:
    """The named random streams of one issued forecast (seed, issue date, mode, draw).

    Draw 0 of every mode keeps the stream names the backtest has always used, so observed and
    climatology results do not move; later draws add the draw number.
    """

    seed: int
    issue_date: pd.Timestamp
    mode: WeatherMode = DEFAULT_WEATHER_MODE
    draw: int = 0

    def _names(self, *names: str) -> tuple[str, ...]:
        return (*names, f"draw{self.draw}") if self.draw else names

    def weather(self) -> np.random.Generator:
        """The sample paths' weather: spread around the forecast, climatology draws."""
        return stream(self.seed, self.issue_date, *self._names("weather", self.mode))

    def issued(self) -> np.random.Generator:
        """The one simulated issued forecast, shared by every path (and every model)."""
        return stream(self.seed, self.issue_date, "issued", f"draw{self.draw}")

    def predict(self, model: str) -> np.random.Generator:
        """A model's own draws (parameters, counts)."""
        return stream(self.seed, self.issue_date, *self._names("predict", model, self.mode))

    def pit(self, model: str) -> np.random.Generator:
        """The randomised PIT of a backtest score."""
        return stream(self.seed, self.issue_date, *self._names("pit", model, self.mode))


@dataclass(frozen=True)
class WeatherInputs:
    """What a forecast's weather can come from besides the observed history."""

    live: pd.DataFrame | None = None  # the live provider's forecast, indexed by date
    requested: Mapping[date, Mapping[str, float]] | None = None  # a caller's scenario days
    uncertainty: bool = True  # spread around a scenario (False: exactly the scenario)
    issued: pd.DataFrame | None = None  # archived forecasts: issue_date, valid_date, lead, ...
    error_model: ForecastErrorModel | None = None


def build_future_weather(
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    streams: WeatherStreams,
    history: WeatherHistory,
    n_paths: int,
    inputs: WeatherInputs | None = None,
) -> FutureWeather:
    """Weather paths over `dates` (the bridge, then the days from the issue date) for a model
    needing `variables`, with each day's source. See the module doc for the rules."""
    inputs = inputs or WeatherInputs()
    if not variables:
        return FutureWeather(
            dates, np.zeros((1, len(dates), 0)), (), every_day("observed", len(dates))
        )
    t = pd.Timestamp(streams.issue_date)
    sources, fixed, centre = _plan_days(variables, dates, t, streams, history, inputs)
    spread = [i for i, s in enumerate(sources) if i in centre]
    random_days = len(fixed) < len(dates)
    paths = n_paths if random_days else 1
    values = np.empty((paths, len(dates), len(variables)))
    rng = streams.weather()
    if "climatology" in sources:
        values[:] = _climatology(history, variables, dates, paths, rng)
    if spread:
        model = inputs.error_model or ForecastErrorModel()
        after = [int(i) for i in np.flatnonzero(dates >= t)]
        nan_row = np.full(len(variables), np.nan)
        block = _fill_rows(np.stack([centre.get(i, nan_row) for i in after]))
        drawn = model.spread(block, variables, paths, rng, leads=np.arange(1, len(after) + 1))
        for k, i in enumerate(after):
            if i in centre:
                values[:, i, :] = drawn[:, k, :]
    for i, row in fixed.items():
        values[:, i, :] = row
    leads = np.zeros(len(dates), dtype=np.int64)
    middle = np.full((len(dates), len(variables)), np.nan)
    for i, row in centre.items():  # the issued forecast each spread day rests on, and its lead
        leads[i] = (dates[i] - t).days + 1
        middle[i] = row
    return FutureWeather(dates, values, variables, tuple(sources), leads, middle)


def _plan_days(
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    t: pd.Timestamp,
    streams: WeatherStreams,
    history: WeatherHistory,
    inputs: WeatherInputs,
) -> tuple[list[WeatherSource], dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Each day's source, the values of days taken as they are, and the centres of the days
    spread around a forecast (all by position in `dates`)."""
    mode = streams.mode
    observed = history.observed_days(variables)
    sources: list[WeatherSource] = []
    fixed: dict[int, np.ndarray] = {}
    centre: dict[int, np.ndarray] = {}
    truth_days = [i for i, d in enumerate(dates) if d >= t and d in observed.at]
    simulated = _simulated(variables, dates, truth_days, observed, streams, inputs, mode)
    issued = _issued_rows(variables, dates, t, inputs) if mode == "issued" else {}
    requested = inputs.requested or {}
    live = _complete(inputs.live, variables) if mode == "forecast" else None
    for i, ts in enumerate(dates):
        if ts < t:
            src = _observed_or_climatology(i, ts, observed, fixed)
            if src == "climatology" and live is not None and ts in live.index:
                fixed[i] = live.loc[ts].to_numpy(dtype=float)  # the provider's analysis
                src = "forecast"
        elif mode == "observed":
            src = _hindsight(i, ts, observed, fixed)
        elif mode == "climatology":
            src = "climatology"
        elif ts.date() in requested:
            row = np.array([float(requested[ts.date()][v]) for v in variables])
            (centre if inputs.uncertainty else fixed)[i] = row
            src = "request"
        elif live is not None and ts in live.index:
            centre[i] = live.loc[ts].to_numpy(dtype=float)
            src = "forecast"
        elif i in issued:
            centre[i] = issued[i]
            src = "issued"
        elif i in simulated:
            centre[i] = simulated[i]
            src = "simulated"
        else:
            src = "climatology"
        sources.append(src)
    return sources, fixed, centre


def _observed_or_climatology(
    i: int, ts: pd.Timestamp, observed: DayRows, fixed: dict[int, np.ndarray]
) -> WeatherSource:
    row = observed.get(ts)
    if row is not None:
        fixed[i] = row
        return "observed"
    return "climatology"


def _hindsight(
    i: int, ts: pd.Timestamp, observed: DayRows, fixed: dict[int, np.ndarray]
) -> WeatherSource:
    row = observed.get(ts)
    if row is None:
        last = observed.last.date() if observed.last is not None else "nowhere"
        raise InputError(
            f"observed weather mode needs weather for every forecast day; none for "
            f"{ts.date()} (the weather ends {last})",
            column="wind_mean_ms",
            hint="Use the forecast or climatology weather mode, an earlier window, or newer "
            "weather",
        )
    fixed[i] = row
    return "hindsight"


def _simulated(
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    truth_days: list[int],
    observed: DayRows,
    streams: WeatherStreams,
    inputs: WeatherInputs,
    mode: WeatherMode,
) -> dict[int, np.ndarray]:
    """One issued forecast simulated from the observed weather of the days from T on (the
    longest run of them from T), shared by every path: by position in `dates`."""
    if mode != "forecast" or not truth_days:
        return {}
    run = [truth_days[0]]
    for i in truth_days[1:]:
        if i != run[-1] + 1:
            break
        run.append(i)
    truth = observed.values[observed.at.get_indexer(dates[run])]
    model = inputs.error_model or ForecastErrorModel()
    issued = model.issue(truth, variables, streams.issued())
    return {i: issued[k] for k, i in enumerate(run)}


def _issued_rows(
    variables: tuple[str, ...], dates: pd.DatetimeIndex, t: pd.Timestamp, inputs: WeatherInputs
) -> dict[int, np.ndarray]:
    """The archived forecast issued the day before T for each day from T on."""
    table = inputs.issued
    if table is None:
        raise InputError(
            "the issued weather mode needs archived forecasts",
            hint="Fetch them with `crossings fetch-weather --provider "
            "open-meteo-previous-runs` and pass the file",
        )
    issue_day = t - pd.Timedelta(days=1)
    rows = table.loc[pd.to_datetime(table["issue_date"]) == issue_day]
    rows = rows.set_index(pd.DatetimeIndex(pd.to_datetime(rows["valid_date"])))
    missing = [v for v in variables if v not in rows.columns]
    out: dict[int, np.ndarray] = {}
    for i, ts in enumerate(dates):
        if ts >= t and ts in rows.index and not missing:
            row = rows.loc[ts, list(variables)].to_numpy(dtype=float)
            if not np.isnan(row).any():
                out[i] = row
    return out


def _complete(frame: pd.DataFrame | None, variables: tuple[str, ...]) -> pd.DataFrame | None:
    if frame is None or frame.empty or any(v not in frame.columns for v in variables):
        return None
    rows = frame.loc[:, list(variables)].dropna()
    return rows if not rows.empty else None


def _fill_rows(block: np.ndarray) -> np.ndarray:
    """Centres for days without a forecast (spread is drawn for every day from T on so that
    the draws keep their order): the nearest earlier forecast day's, else the next one's."""
    out = np.array(block, dtype=float)
    for i in range(1, len(out)):  # forward fill
        gap = np.isnan(out[i])
        out[i, gap] = out[i - 1, gap]
    for i in range(len(out) - 2, -1, -1):  # then backward fill
        gap = np.isnan(out[i])
        out[i, gap] = out[i + 1, gap]
    return np.nan_to_num(out, nan=0.0)


def _climatology(
    history: WeatherHistory,
    variables: tuple[str, ...],
    dates: pd.DatetimeIndex,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(n_paths, days, variables) weather drawn from the same days of past years, using only
    the weather before the first day."""
    first = pd.Timestamp(dates[0])
    table = history.filled_before(variables, first)
    if tuple(table.columns) != variables:
        missing = sorted(set(variables) - set(table.columns))
        raise WeatherUnavailable(f"the observed weather has no {', '.join(missing)}")
    try:
        pos = history.analogue_positions_before(variables, first, len(dates))
    except ValueError as exc:
        raise WeatherUnavailable(str(exc)) from exc
    return draw_analogues(table.to_numpy(), pos, len(dates), n_paths, rng)


__all__ = [
    "WeatherInputs",
    "WeatherStreams",
    "WeatherUnavailable",
    "build_future_weather",
    "stream",
]
