"""Issued forecasts and their renderings: the forecast and exceedance JSON, and a scenario
paired with its baseline (the archive record is `api.archiving`).

An `Issued` wraps one `forecasting.issuing.IssuedForecast` (the asked days' sample paths and
what they rest on) with the champion that made it; every response built from it (and its
archive rows) carries its `forecast_id`, `issued_at` and issue date.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import cached_property
from typing import Any, Final

import orjson

from api.champion import Champion
from api.reading import Reading, band_coverage, if_crossing
from forecasting import contract
from forecasting.contract import DEFAULT_LEVELS_PCT, level_name
from forecasting.forecast import Forecast
from forecasting.issuing import IssuedForecast
from forecasting.weather.source import WeatherSource

ARCHIVE_LEVELS: Final = DEFAULT_LEVELS_PCT  # the bands every archived forecast keeps
_MAX_RENDERINGS: Final = 32  # sets of levels whose JSON one forecast keeps


@dataclass(eq=False)
class Issued:
    """A served forecast: the issued forecast's sample paths over the asked days, what they
    rest on (issue date, data end, bridged days, each day's weather) and who made it."""

    forecast_id: str
    kind: str
    champion: Champion
    issued: IssuedForecast
    hindcast: bool
    issued_at: datetime
    reading: Reading = field(default_factory=Reading)
    weather_fetched_at: datetime | None = None  # when the live forecast used was fetched
    weather_note: str | None = None  # where the weather ahead comes from, in words
    created: float = field(default_factory=time.monotonic)
    _rendered: dict[tuple[float, ...], bytes] = field(default_factory=dict)
    _archived: dict[str, Any] | None = None  # the payload at ARCHIVE_LEVELS, built once
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def target(self) -> str:
        """people or boats."""
        return self.champion.target

    @property
    def forecast(self) -> Forecast:
        """The asked days' sample paths."""
        return self.issued.forecast

    @property
    def sources(self) -> tuple[contract.WeatherSource, ...]:
        """Each asked day's weather source (contract.WEATHER_SOURCES)."""
        return self.issued.sources

    @property
    def n_samples(self) -> int:
        """Sample paths per day."""
        return self.issued.spec.n_samples

    @property
    def start(self) -> date:
        """The first asked day."""
        return self.issued.spec.first_day.date()

    @property
    def horizon(self) -> int:
        """The number of asked days."""
        return self.issued.spec.horizon

    @property
    def issue_date(self) -> date:
        """The day the forecast is issued on (T)."""
        return self.issued.spec.issue_date.date()

    @property
    def data_as_of(self) -> date:
        """The newest arrival day the model's state comes from."""
        return self.issued.data_end.date()

    @cached_property
    def day_weather(self) -> list[dict[str, float] | None]:
        """Per asked day, the mean over the weather paths of each variable the model used
        (None for a model that uses no weather)."""
        fw = self.issued.weather
        if fw is None:
            return [None] * self.horizon
        means = fw.values[:, -self.horizon :, :].mean(axis=0)
        return [
            {c: round(float(means[i, j]), 2) for j, c in enumerate(fw.columns)}
            for i in range(self.horizon)
        ]

    @cached_property
    def weather_place(self) -> str | None:
        """Where the weather is for: the champion's weather point or station (None for a
        model that uses no weather)."""
        if self.issued.weather is None:
            return None
        place = WeatherSource.from_metadata(self.champion.metadata).place
        return None if place == "unknown" else place

    def weather_issued_at(self, source: contract.WeatherSource) -> str | None:
        """When the weather forecast a day used was issued: the live forecast's fetch time, the
        issue date for a scenario or a simulated forecast, the day before it for an archived
        one; None for weather that is no forecast (observed, hindsight, climatology, none)."""
        t = datetime.combine(self.issue_date, clock_time(), tzinfo=UTC)
        if source == "forecast":
            return _iso(self.weather_fetched_at) if self.weather_fetched_at else None
        if source in ("request", "simulated"):
            return _iso(t)
        if source == "issued":
            return _iso(t - _ONE_DAY)
        return None

    def model_ref(self) -> dict[str, Any]:
        """The `model` object of a response."""
        return {
            "name": self.champion.model_name,
            "version": self.champion.version,
            "trained_at": self.champion.trained_at,
        }

    @cached_property
    def _provenance(self) -> dict[str, Any]:
        """The closing fields of every response: the issue date and what the forecast rests
        on, the model, data_as_of and issued_at."""
        return {
            "model": self.model_ref(),
            "data_as_of": self.data_as_of.isoformat(),
            "issued_at": _iso(self.issued_at),
            "issue_date": self.issue_date.isoformat(),
            "hindcast": self.hindcast,
            "bridged_days": self.issued.bridged_days,
            "weather_mode": self.issued.spec.mode,
        }

    @cached_property
    def _day_parts(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Per asked day, what every rendering shares, before and after the bands: date,
        median, mean, P(any) and its risk; the count if crossings happen, P(≥ k) and the
        weather assumed (source, means, place, issue time). Computed once per forecast."""
        f = self.forecast
        median = f.median().tolist()
        mean = f.mean().tolist()
        p_any = [round(p, 4) for p in f.p_any().tolist()]
        ks = self.reading.thresholds(self.target)
        p_at_least = {str(k): f.p_at_least(k).tolist() for k in ks}
        weather = self.day_weather
        return [
            (
                {
                    "date": ts.date().isoformat(),
                    "median": _count(median[i]),
                    "mean": round(mean[i], 3),
                    "p_any": p_any[i],
                    "risk": self.reading.risk(p_any[i]),
                },
                {
                    "if_crossing": if_crossing(_day_samples(f, i)),
                    "p_at_least": {k: round(p[i], 4) for k, p in p_at_least.items()},
                    "weather_source": self.sources[i],
                    "weather": weather[i],
                    "weather_place": self.weather_place if weather[i] is not None else None,
                    "weather_issued_at": self.weather_issued_at(self.sources[i]),
                },
            )
            for i, ts in enumerate(f.dates)
        ]

    def _days(self, levels: Sequence[float]) -> list[dict[str, Any]]:
        """One entry per asked day: the shared parts (`_day_parts`) with the bands at
        `levels` between them."""
        bands = [
            (level_name(lv), [_count(x) for x in lo.tolist()], [_count(x) for x in hi.tolist()])
            for lv, (lo, hi) in zip(levels, self.forecast.intervals(levels), strict=True)
        ]
        return [
            {
                **head,
                "bands": {name: {"lo": lo[i], "hi": hi[i]} for name, lo, hi in bands},
                **tail,
            }
            for i, (head, tail) in enumerate(self._day_parts)
        ]

    @cached_property
    def _week_mean(self) -> float:
        return round(float(self.forecast.total_samples().mean()), 3)

    def _week_total(self, levels: Sequence[float]) -> dict[str, Any]:
        """The median and bands of the total over the asked days."""
        f = self.forecast
        total_bands = {}
        for lv in levels:  # lookups in the sorted totals
            lo_t, hi_t = f.total_interval(lv)
            total_bands[level_name(lv)] = {"lo": _count(lo_t), "hi": _count(hi_t)}
        return {
            "median": _count(f.total_quantile_values([0.5])[0]),
            "mean": self._week_mean,
            "bands": total_bands,
        }

    def payload(self, levels: Sequence[float]) -> dict[str, Any]:
        """The forecast response as a dict (see ForecastResponse). The one at ARCHIVE_LEVELS
        (the default bands) is built once and shared by the archive record and the answer;
        callers get a shallow copy, so adding a key (the page's history) stays theirs."""
        if tuple(levels) != tuple(ARCHIVE_LEVELS):
            return self._build_payload(levels)
        if self._archived is None:
            self._archived = self._build_payload(ARCHIVE_LEVELS)
        return dict(self._archived)

    def _build_payload(self, levels: Sequence[float]) -> dict[str, Any]:
        return {
            "target": self.target,
            "start": self.start.isoformat(),
            "horizon": self.horizon,
            "days": self._days(levels),
            "week_total": self._week_total(levels),
            "risk_thresholds": self.reading.describe(),
            "band_coverage": band_coverage(self.champion.metadata, levels),
            **self._provenance,
            "weather_note": self.weather_note,
        }

    def rendered(self, levels: Sequence[float]) -> bytes:
        """The JSON response body for `levels`, computed once per set of levels."""
        key = tuple(levels)
        body = self._rendered.get(key)
        if body is None:
            body = orjson.dumps(self.payload(levels))
            with self._lock:
                if len(self._rendered) < _MAX_RENDERINGS:
                    self._rendered[key] = body
        return body

    def exceedance(self, thresholds: Sequence[int]) -> dict[str, Any]:
        """The exceedance response as a dict (see ExceedanceResponse)."""
        f = self.forecast
        probs = {str(int(k)): f.p_at_least(k) for k in thresholds}
        return {
            "target": self.target,
            "start": self.start.isoformat(),
            "horizon": self.horizon,
            "thresholds": list(thresholds),
            "days": [
                {
                    "date": ts.date().isoformat(),
                    "p_at_least": {k: round(float(p[i]), 4) for k, p in probs.items()},
                    "weather_source": self.sources[i],
                }
                for i, ts in enumerate(f.dates)
            ],
            **self._provenance,
        }


def paired_payload(scenario: Issued, baseline: Issued, levels: Sequence[float]) -> dict[str, Any]:
    """The scenario's forecast response (see ScenarioResponse): `scenario.payload(levels)`
    unchanged, with its baseline beside each day and the week's total, read from the
    baseline's own payload at the same levels (what GET /v1/forecast serves for it), and the
    difference, scenario minus baseline."""
    out = scenario.payload(levels)  # a shallow copy: its days are shared, so built anew here
    base = baseline.payload(levels)
    days = []
    for s, b in zip(out["days"], base["days"], strict=True):
        if s["date"] != b["date"]:  # the same spec asks the same days
            raise ValueError(f"scenario day {s['date']} paired with baseline day {b['date']}")
        days.append(
            {
                **s,
                "baseline": {k: b[k] for k in ("p_any", "median", "mean", "bands")},
                "difference": {
                    "p_any": round(s["p_any"] - b["p_any"], 4),
                    "median": s["median"] - b["median"],
                    "mean": round(s["mean"] - b["mean"], 3),
                },
            }
        )
    s_tot, b_tot = out["week_total"], base["week_total"]
    out["days"] = days
    out["week_total"] = {
        **s_tot,
        "baseline": {k: b_tot[k] for k in ("median", "mean", "bands")},
        "difference": {
            "median": s_tot["median"] - b_tot["median"],
            "mean": round(s_tot["mean"] - b_tot["mean"], 3),
        },
    }
    return out


_ONE_DAY: Final = timedelta(days=1)


def _day_samples(f: Forecast, i: int) -> Any:
    """Day i's samples, sorted when the forecast keeps them so (the same values)."""
    return f.samples[:, i] if f.sorted_days is None else f.sorted_days[i]


def _count(x: Any) -> int:
    """A sample statistic as a non-negative whole count."""
    return max(0, round(float(x)))


def _iso(ts: datetime) -> str:
    """A UTC timestamp written with a trailing Z."""
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
