"""The season outlook: cumulative arrivals from the newest data to a day up to a year ahead.

Capacity and budget planning ask "how many by the end of the summer, or the year?". The
outlook answers with sample paths, like every forecast here: the fitted model takes its state
from the newest arrivals (`Model.condition`, no refit) and simulates every day from the day
after them (`start`) to `until`, so the cumulative total is summed along each path and its
bands, mean and P(total ≥ X) are coherent. Weather beyond the weather forecast's range is
climatology: the outlook simulates through the tail every forecast shares
(`forecasting.issuing.simulate_days`: the one weather builder, here in `climatology` mode,
i.e. runs of the same days of past years drawn per path from the weather before `start`).
The first week of a season total hangs little on the weather forecast, so the outlook does
not splice one in.

The year-end total is the year-to-date actual (1 January to the newest data) plus the
simulated days to 31 December; the paths always reach it, whatever `until` is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import DEFAULT_LEVELS_PCT, MAX_OUTLOOK_DAYS, level_name
from forecasting.forecast import Forecast, band, sample_quantiles
from forecasting.issuing import CannotIssue, conditioned, simulate_days
from forecasting.models.base import Model
from forecasting.weather.future import WeatherStreams
from forecasting.weather.history import WeatherHistory

log = logging.getLogger(__name__)

# Models whose paths can run a year (sarimax and the prophets precompute at most the served
# horizon or have no long-run state); the registry names.
OUTLOOK_MODELS: Final[tuple[str, ...]] = ("hurdle", "climatology", "seasonal_naive")
# The weather mode of every day from `start` on.
OUTLOOK_WEATHER_MODE: Final = "climatology"
# P(total ≥ X) is reported for these fractions of the median total when no X is given.
DEFAULT_EXCEEDANCE_FRACTIONS: Final[tuple[float, ...]] = (0.8, 1.0, 1.2)


def outlook_window(
    data_end: pd.Timestamp, until: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, until): the outlook runs from the day after `data_end` to `until`, which must
    be from `start` to MAX_OUTLOOK_DAYS − 1 days after it. Raises CannotIssue('until')."""
    start = pd.Timestamp(data_end).normalize() + pd.Timedelta(days=1)
    until = pd.Timestamp(until).normalize()
    latest = start + pd.Timedelta(days=MAX_OUTLOOK_DAYS - 1)
    if until < start:
        raise CannotIssue(
            "until",
            f"until {until.date()} is before the outlook's first day {start.date()} (the data "
            f"ends {pd.Timestamp(data_end).date()}); give a day from {start.date()} to "
            f"{latest.date()}",
        )
    if until > latest:
        raise CannotIssue(
            "until",
            f"the outlook reaches at most {MAX_OUTLOOK_DAYS} days, to {latest.date()}; "
            f"got until {until.date()}",
        )
    return start, until


@dataclass(frozen=True, eq=False)
class Outlook:
    """Daily sample paths from `start` to at least `until` and to 31 December of `start`'s
    year, the year-to-date actual, and the summaries planners read."""

    target: str
    start: pd.Timestamp
    until: pd.Timestamp
    forecast: Forecast  # one column per day from `start`
    year_to_date: int  # observed from 1 January of start's year to the day before start
    model: str

    @property
    def year(self) -> int:
        """The calendar year the year-to-date and year-end totals are for."""
        return int(self.start.year)

    def daily(self) -> Forecast:
        """The daily paths from `start` to `until`."""
        f = self.forecast
        n = (self.until - self.start).days + 1
        return Forecast(f.dates[:n], f.samples[:, :n], f.target, f.model)

    def totals(self) -> np.ndarray:
        """Samples of the cumulative total from `start` to `until` (one per path)."""
        return self.daily().total_samples()

    def year_end_totals(self) -> np.ndarray:
        """Samples of the calendar-year total: year to date plus the paths to 31 December."""
        end = pd.Timestamp(year=self.year, month=12, day=31)
        n = (end - self.start).days + 1
        return self.year_to_date + self.forecast.samples[:, :n].sum(axis=1)

    def summary(
        self,
        levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT,
        thresholds: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """The outlook as plain data (the API's and CLI's JSON): target, from, until, total,
        year_to_date, year_end and exceedance (P(total ≥ X) for each X)."""
        totals = self.totals()
        xs = default_thresholds(totals) if thresholds is None else sorted(set(thresholds))
        return {
            "target": self.target,
            "from": self.start.date().isoformat(),
            "until": self.until.date().isoformat(),
            "days": int((self.until - self.start).days + 1),
            "model": self.model,
            "total": distribution(totals, levels_pct),
            "year_to_date": {
                "year": self.year,
                "through": (self.start - pd.Timedelta(days=1)).date().isoformat(),
                "actual": int(self.year_to_date),
            },
            "year_end": {"year": self.year, **distribution(self.year_end_totals(), levels_pct)},
            "exceedance": [
                {"at_least": int(x), "probability": round(float((totals >= x).mean()), 4)}
                for x in xs
            ],
        }


def distribution(samples: np.ndarray, levels_pct: Sequence[float]) -> dict[str, Any]:
    """Median, mean and bands (by level name) of samples of a total."""
    arr = np.asarray(samples)
    bands = {}
    for lv in sorted(levels_pct):
        lo, hi = band(arr, lv)
        bands[level_name(lv)] = {"lo": int(lo), "hi": int(hi)}
    median = sample_quantiles(arr, [0.5])[0]
    return {"median": int(median), "mean": round(float(arr.mean()), 1), "bands": bands}


def default_thresholds(totals: np.ndarray) -> list[int]:
    """Round numbers near 80%, 100% and 120% of the median total (two significant figures)."""
    median = float(np.median(totals))
    out = sorted({_round2(median * f) for f in DEFAULT_EXCEEDANCE_FRACTIONS})
    return [x for x in out if x > 0] or [1]


def _round2(x: float) -> int:
    if x < 1:
        return 0
    digits = int(np.floor(np.log10(x))) - 1
    return int(round(x, -digits))


def year_to_date(arrivals: pd.DataFrame, target: str, start: pd.Timestamp) -> int:
    """Observed arrivals from 1 January of `start`'s year to the day before `start`."""
    jan1 = pd.Timestamp(year=start.year, month=1, day=1)
    dates = pd.to_datetime(arrivals[schema.DATE])
    rows = arrivals.loc[(dates >= jan1) & (dates < start), target]
    return int(rows.sum())


def simulate_outlook(
    model: Model,
    arrivals: pd.DataFrame,
    history: WeatherHistory,
    until: pd.Timestamp,
    n_samples: int = 1000,
    seed: int = 0,
) -> Outlook:
    """The outlook of a fitted `model` from the newest `arrivals` to `until` (see module doc).

    Raises CannotIssue('until') for a window outside 1..MAX_OUTLOOK_DAYS days and
    CannotIssue('model') for a model whose paths cannot run that long."""
    if model.name not in OUTLOOK_MODELS:
        raise CannotIssue(
            "model",
            f"{model.name} cannot simulate a season; the outlook runs with one of "
            f"{', '.join(OUTLOOK_MODELS)}",
        )
    last = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    start, until = outlook_window(last, until)
    m = conditioned(model, arrivals, history, start)
    year_end = pd.Timestamp(year=start.year, month=12, day=31)
    dates = pd.date_range(m.last_date_ + pd.Timedelta(days=1), max(until, year_end), freq="D")
    streams = WeatherStreams(seed, start, OUTLOOK_WEATHER_MODE)
    full, _ = simulate_days(m, dates, streams, history, n_samples, max_days=len(dates))
    keep = slice(len(dates) - ((dates[-1] - start).days + 1), len(dates))
    forecast = Forecast(full.dates[keep], full.samples[:, keep], full.target, full.model)
    ytd = year_to_date(arrivals, model.target, start)
    log.debug(
        "outlook %s %s..%s: %d days simulated", model.name, start.date(), until.date(), len(dates)
    )
    return Outlook(model.target, start, until, forecast, ytd, model.name)


def pooled(outlooks: Sequence[Outlook]) -> Outlook:
    """An equal-weight mixture of outlooks for the same window: their paths taken together
    (the benchmark's `mix` of models)."""
    first = outlooks[0]
    width = min(o.forecast.horizon for o in outlooks)
    samples = np.concatenate([o.forecast.samples[:, :width] for o in outlooks], axis=0)
    name = "+".join(o.model for o in outlooks)
    forecast = Forecast(first.forecast.dates[:width], samples, first.target, name)
    return Outlook(first.target, first.start, first.until, forecast, first.year_to_date, name)


__all__ = [
    "DEFAULT_EXCEEDANCE_FRACTIONS",
    "OUTLOOK_MODELS",
    "Outlook",
    "default_thresholds",
    "distribution",
    "outlook_window",
    "pooled",
    "simulate_outlook",
    "year_to_date",
]
