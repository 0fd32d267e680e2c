"""The next days' forecast every model's run logs, issued as the API issues it.

The model is refit on all the data and its forecast is issued with
`forecasting.issuing.issue_forecast` on T, the day after the newest arrivals, in the `forecast`
weather mode. The weather builder decides each day's source: where the stored observations
already cover a day (the weather file often runs ahead of the arrivals) the day gets an issued
forecast simulated from them, exactly as a backtest origin or an API hindcast at T does
(``simulated``); otherwise ``climatology``. The chart and ``forecast/next_week.csv`` say which,
and call the forecast a hindcast when any day's weather was simulated from observations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.contract import NO_WEATHER, WeatherSource
from forecasting.issuing import IssuedForecast, IssueSpec, issue_forecast
from forecasting.models import Model
from forecasting.tracking.pyfunc import summarise
from forecasting.training.plan import NextDays
from forecasting.training.provenance import TrainingData
from forecasting.weather.history import WeatherHistory

# The weather source of days whose forecast was simulated from the observed weather.
SIMULATED: Final[WeatherSource] = "simulated"
_SOURCE_WORDS: dict[WeatherSource, str] = {NO_WEATHER: "not used"}  # a weather-blind model's days


@dataclass(frozen=True, eq=False)
class NextWeek:
    """An issued next-days forecast and what it rests on."""

    issued: IssuedForecast

    @property
    def issue_date(self) -> pd.Timestamp:
        """The issue date T (the day after the newest arrivals)."""
        return self.issued.spec.issue_date

    @property
    def hindcast(self) -> bool:
        """Whether any day's weather forecast was simulated from observed weather."""
        return SIMULATED in self.issued.sources

    def label(self) -> str:
        """What the forecast is, in words, with each weather source's day count, e.g.
        ``hindcast issued 2026-05-15, weather simulated ×5, climatology ×2`` (``simulated``: a
        forecast simulated from the observed weather, as at a backtest origin)."""
        kind = "hindcast" if self.hindcast else "forecast"
        counts = Counter(self.issued.sources)
        parts = ", ".join(
            f"{_SOURCE_WORDS.get(s, s)} ×{n}"
            for s, n in sorted(counts.items(), key=lambda x: -x[1])
        )
        return f"{kind} issued {self.issue_date.date()}, weather {parts}"

    def table(self) -> pd.DataFrame:
        """The per-day summary (the pyfunc's output columns) with the issue date, the lead
        day and each day's weather source."""
        out = summarise(self.issued.forecast)
        out.insert(1, "issue_date", self.issue_date)
        first = 1 + self.issued.lead_offset  # lead 1 is the issue date
        out.insert(2, "lead", range(first, first + len(out)))
        out.insert(3, "weather", list(self.issued.sources))
        out.insert(4, "hindcast", self.hindcast)
        return out

    def example(self) -> pd.DataFrame:
        """The asked days' weather as one frame (the mean of the weather paths): the saved
        model's input example, a scenario it can be asked for. Dates only for a weather-blind
        model."""
        dates = self.issued.forecast.dates
        fw = self.issued.weather
        if fw is None:
            return pd.DataFrame({schema.DATE: dates})
        frame = fw.mean_frame()
        if "wind_dir_deg" in fw.columns:  # directions average on the circle
            rad = np.deg2rad(fw.column("wind_dir_deg"))
            mean = np.arctan2(np.sin(rad).mean(axis=0), np.cos(rad).mean(axis=0))
            frame["wind_dir_deg"] = np.mod(np.rad2deg(mean), 360.0)
        return frame.loc[frame[schema.DATE].isin(dates)].reset_index(drop=True)


def issue_next_week(model: Model, data: TrainingData, nd: NextDays) -> NextWeek:
    """Issue `model` (fitted on all of `data`) for the `nd.horizon` days from the day after
    the newest arrivals, in the forecast weather mode (see module doc)."""
    spec = IssueSpec(
        issue_date=data.last_date + pd.Timedelta(days=1),
        horizon=nd.horizon,
        n_samples=nd.n_samples,
        seed=nd.seed,
        mode="forecast",
    )
    history = WeatherHistory(data.weather, version=data.manifest_sha256)
    return NextWeek(issue_forecast(model, data.arrivals, history, spec))


__all__ = ["NextWeek", "issue_next_week"]
