"""The forecasting core of the API: forecast windows, weather, caching, rendering, archiving.

Start dates: a champion forecasts from the day after its training data ends (its *origin*)
for at most 14 days. The default start is the day after the last observed day. A request is
answered with 422 when

- `start` is before the origin (the model cannot forecast days it was fitted on),
- the window ends more than 14 days after the origin, or
- `start` is after the origin while arrivals are observed beyond the model's training data:
  the model would have to simulate days that are already known instead of conditioning on
  them. This is also what the default start meets when the champion is older than the data;
  the message says to retrain (or to ask for ``start=<origin>``, a hindcast).

When `start` is after the origin and nothing is observed in between, the model simulates the
gap days along each path (their weather comes from the same chain) and only the asked days
are returned.

Default-weather forecasts are cached per (target, start, horizon, champion version, data
version) for `forecast_cache_seconds`, and each cached forecast keeps its rendered JSON per
set of levels, so the hot path is a dict lookup. A cached forecast is one issued forecast:
it is archived once, and every response built from it carries its `issued_at`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np
import orjson
import pandas as pd

from api.archive import ArchiveRecord, ForecastArchive
from api.champion import Champion, ChampionStore
from api.data import Observed, ObservedStore
from api.schemas import level_key
from api.settings import ApiSettings
from forecasting.errors import InputError
from forecasting.forecast import Forecast
from forecasting.models.base import MAX_HORIZON
from forecasting.weather.serving import LiveForecast, build_weather

log = logging.getLogger(__name__)

ARCHIVE_LEVELS: Final = (50.0, 80.0, 95.0)


class FieldError(ValueError):
    """A request value that cannot be served; `loc` names the field (answered with 422)."""

    def __init__(self, loc: Sequence[str | int], message: str, kind: str = "value_error"):
        super().__init__(message)
        self.loc = list(loc)
        self.message = message
        self.kind = kind


class NotReady(RuntimeError):
    """No champion is loaded for the target (answered with 503)."""


@dataclass(frozen=True)
class Window:
    """The days a forecast covers, and the origin the model simulates from."""

    origin: date
    start: date
    horizon: int

    @property
    def lead(self) -> int:
        """Days between the origin and the first asked day."""
        return (self.start - self.origin).days

    @property
    def total(self) -> int:
        """Days the model simulates (gap days plus asked days)."""
        return self.lead + self.horizon

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Every simulated day."""
        return pd.date_range(pd.Timestamp(self.origin), periods=self.total, freq="D")


@dataclass(eq=False)
class Issued:
    """An issued forecast: the sample paths over the asked days and where they came from."""

    forecast_id: str
    kind: str
    target: str
    window: Window
    forecast: Forecast
    sources: tuple[str, ...]
    champion: Champion
    data_as_of: date | None
    issued_at: datetime
    n_samples: int
    created: float = field(default_factory=time.monotonic)
    _rendered: dict[tuple[float, ...], bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def model_ref(self) -> dict[str, Any]:
        """The `model` object of a response."""
        return {
            "name": self.champion.model_name,
            "version": self.champion.version,
            "trained_at": self.champion.trained_at,
        }

    def payload(self, levels: Sequence[float]) -> dict[str, Any]:
        """The forecast response as a dict (see ForecastResponse)."""
        f = self.forecast
        median = f.median()
        mean = f.mean()
        p_any = f.p_any()
        bands = {level_key(lv): f.interval(lv) for lv in levels}
        days = []
        for i, ts in enumerate(f.dates):
            days.append(
                {
                    "date": ts.date().isoformat(),
                    "median": _count(median[i]),
                    "mean": round(float(mean[i]), 3),
                    "p_any": round(float(p_any[i]), 4),
                    "bands": {
                        k: {"lo": _count(lo[i]), "hi": _count(hi[i])}
                        for k, (lo, hi) in bands.items()
                    },
                    "weather_source": self.sources[i],
                }
            )
        total_bands = {}
        for lv in levels:
            lo_t, hi_t = f.total_interval(lv)
            total_bands[level_key(lv)] = {"lo": _count(lo_t), "hi": _count(hi_t)}
        return {
            "target": self.target,
            "start": self.window.start.isoformat(),
            "horizon": self.window.horizon,
            "days": days,
            "week_total": {
                "median": _count(f.total_quantiles([0.5]).iloc[0]),
                "bands": total_bands,
            },
            "model": self.model_ref(),
            "data_as_of": None if self.data_as_of is None else self.data_as_of.isoformat(),
            "issued_at": _iso(self.issued_at),
        }

    def rendered(self, levels: Sequence[float]) -> bytes:
        """The JSON response body for `levels`, computed once per set of levels."""
        key = tuple(levels)
        body = self._rendered.get(key)
        if body is None:
            body = orjson.dumps(self.payload(levels))
            with self._lock:
                if len(self._rendered) < 32:
                    self._rendered[key] = body
        return body

    def exceedance(self, thresholds: Sequence[int]) -> dict[str, Any]:
        """The exceedance response as a dict (see ExceedanceResponse)."""
        f = self.forecast
        probs = {str(int(k)): f.p_at_least(k) for k in thresholds}
        return {
            "target": self.target,
            "start": self.window.start.isoformat(),
            "horizon": self.window.horizon,
            "thresholds": list(thresholds),
            "days": [
                {
                    "date": ts.date().isoformat(),
                    "p_at_least": {k: round(float(p[i]), 4) for k, p in probs.items()},
                    "weather_source": self.sources[i],
                }
                for i, ts in enumerate(f.dates)
            ],
            "model": self.model_ref(),
            "data_as_of": None if self.data_as_of is None else self.data_as_of.isoformat(),
            "issued_at": _iso(self.issued_at),
        }

    def archive_record(self, inputs: dict[str, Any]) -> ArchiveRecord:
        """The archive rows of this forecast."""
        payload = self.payload(ARCHIVE_LEVELS)
        days = [
            {
                "forecast_id": self.forecast_id,
                "target": self.target,
                "date": date.fromisoformat(d["date"]),
                "lead_days": self.window.lead + i + 1,
                "median": d["median"],
                "mean": d["mean"],
                "p_any": d["p_any"],
                "bands": d["bands"],
                "weather_source": d["weather_source"],
            }
            for i, d in enumerate(payload["days"])
        ]
        row = {
            "forecast_id": self.forecast_id,
            "issued_at": self.issued_at,
            "target": self.target,
            "kind": self.kind,
            "start": self.window.start,
            "horizon": self.window.horizon,
            "n_samples": self.n_samples,
            "model_name": self.champion.model_name,
            "model_version": self.champion.version,
            "registered_model": self.champion.registered_name,
            "model_trained_at": self.champion.trained_at,
            "data_as_of": self.data_as_of,
            "inputs": inputs,
            "response": payload,
        }
        return ArchiveRecord(row, days)


def _count(x: Any) -> int:
    return max(0, round(float(x)))


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ForecastService:
    """Computes, caches and archives forecasts for the routes."""

    def __init__(
        self,
        settings: ApiSettings,
        store: ChampionStore,
        observed: ObservedStore,
        live: LiveForecast,
        archive: ForecastArchive | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.observed = observed
        self.live = live
        self.archive = archive
        self._cache: OrderedDict[tuple[Any, ...], Issued] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self.latest: dict[str, Issued] = {}
        self.computed = 0

    @property
    def generation(self) -> tuple[int, int]:
        """Changes whenever a champion or the observed data is swapped."""
        return (self.store.generation, self.observed.generation)

    def fresh_until(self, issued: Issued) -> float:
        """Monotonic time until which `issued` may be served from a cache."""
        return issued.created + self.settings.forecast_cache_seconds

    # -- windows -------------------------------------------------------------------------
    def champion(self, target: str) -> Champion:
        """The champion for `target`, or NotReady."""
        champ = self.store.get(target)
        if champ is None:
            raise NotReady(
                f"no {target} model is loaded yet (registered model "
                f"'{self.settings.registered_name(target)}', alias "
                f"'{self.settings.champion_alias}'); see /readyz"
            )
        return champ

    def window(
        self,
        champ: Champion,
        observed: Observed | None,
        start: date | None,
        horizon: int,
        loc: Sequence[str] = ("query", "start"),
    ) -> Window:
        """Check the asked days against what the champion can forecast (see module doc)."""
        last_fit = champ.last_fit_date
        origin = last_fit + timedelta(days=1)
        last_obs = observed.last_date if observed is not None else None
        known = max(last_obs, last_fit) if last_obs is not None else last_fit
        asked = start
        if start is None:
            start = known + timedelta(days=1)
        if start < origin:
            raise FieldError(
                loc,
                f"start {start} is before {origin}, the first day the {champ.target} champion "
                f"(version {champ.version}) forecasts: it was fitted on data up to {last_fit}. "
                "Ask for a later start; forecasts issued for past days are at "
                "/v1/forecasts/issued",
            )
        lead = (start - origin).days
        if lead + horizon > MAX_HORIZON:
            last_ok = origin + timedelta(days=MAX_HORIZON - horizon)
            raise FieldError(
                loc,
                f"the {champ.target} champion forecasts at most {MAX_HORIZON} days after its "
                f"data ends ({last_fit}); with horizon {horizon} the latest start is {last_ok}, "
                f"got {start}",
            )
        if lead > 0 and last_obs is not None and last_obs >= origin:
            where = "the default start" if asked is None else f"start {start}"
            raise FieldError(
                loc,
                f"the {champ.target} champion (version {champ.version}) was fitted on data up "
                f"to {last_fit}, but arrivals are observed up to {last_obs}: it cannot condition "
                f"on the newer days, so {where} cannot be forecast. Retrain and promote a new "
                f"champion (`crossings retrain`), or ask for start={origin} (a hindcast)",
            )
        return Window(origin, start, horizon)

    # -- default-weather forecasts (cached) -------------------------------------------------
    def _key(
        self, champ: Champion, start: date | None, horizon: int
    ) -> tuple[tuple[Any, ...], Observed | None, Window]:
        obs = self.observed.get()
        win = self.window(champ, obs, start, horizon)
        key = (
            champ.target,
            win.start,
            horizon,
            champ.version,
            id(champ),
            obs.version if obs else None,
        )
        return key, obs, win

    def cached(self, champ: Champion, start: date | None, horizon: int) -> Issued | None:
        """The cached default forecast, if fresh (cheap: no computation)."""
        key, _, _ = self._key(champ, start, horizon)
        hit = self._cache.get(key)
        if (
            hit is not None
            and time.monotonic() - hit.created < self.settings.forecast_cache_seconds
        ):
            return hit
        return None

    def default_forecast(self, champ: Champion, start: date | None, horizon: int) -> Issued:
        """The forecast with provider-chain weather, from the cache or computed now."""
        key, obs, win = self._key(champ, start, horizon)
        ttl = self.settings.forecast_cache_seconds
        with self._cache_lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; concurrent callers wait for it
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit.created < ttl:
                return hit
            seed = zlib.crc32(repr(key[:4]).encode())
            issued = self._compute(
                "default", champ, obs, win, self.settings.n_samples, seed, requested=None
            )
            with self._cache_lock:
                self._cache[key] = issued
                self._cache.move_to_end(key)
                while len(self._cache) > self.settings.forecast_cache_size:
                    old, _ = self._cache.popitem(last=False)
                    self._key_locks.pop(old, None)
            self.latest[champ.target] = issued
        return issued

    # -- scenarios -------------------------------------------------------------------------
    def scenario_forecast(
        self,
        champ: Champion,
        start: date | None,
        horizon: int,
        weather: Sequence[Mapping[str, Any]],
    ) -> Issued:
        """A forecast under the caller's weather for the days given (others from the chain)."""
        obs = self.observed.get()
        win = self.window(champ, obs, start, horizon, loc=("body", "start"))
        needed = champ.forecaster.weather_variables
        first, last = win.dates[0].date(), win.dates[-1].date()
        requested: dict[date, dict[str, float]] = {}
        for i, day in enumerate(weather):
            d = day["date"]
            if not first <= d <= last:
                raise FieldError(
                    ("body", "weather", i, "date"),
                    f"weather day {d} is outside the forecast days {first}..{last}",
                )
            for var in needed:
                if day.get(var) is None:
                    raise FieldError(
                        ("body", "weather", i, var),
                        f"weather day {d} lacks '{var}', which the {champ.target} model "
                        f"needs (it uses {', '.join(needed)})",
                        kind="missing",
                    )
            requested[d] = {v: float(day[v]) for v in needed}
        return self._compute(
            "scenario",
            champ,
            obs,
            win,
            self.settings.scenario_samples,
            seed=None,
            requested=requested,
        )

    # -- the computation -----------------------------------------------------------------
    def _compute(
        self,
        kind: str,
        champ: Champion,
        obs: Observed | None,
        win: Window,
        n_samples: int,
        seed: int | None,
        requested: dict[date, dict[str, float]] | None,
    ) -> Issued:
        rng = np.random.default_rng(seed)
        model = champ.forecaster
        live = None
        if requested is None or len(requested) < win.total:
            live = self.live.get()
        weather = build_weather(
            tuple(model.weather_variables),
            win.dates,
            n_paths=n_samples,
            rng=rng,
            observed=obs,
            live=live,
            requested=requested,
        )
        try:
            full = model.predict(win.total, weather if model.uses_weather else None, n_samples, rng)
        except InputError as exc:
            raise FieldError(
                ("body", "weather") if requested else ("query", "start"), str(exc)
            ) from exc
        sl = slice(win.lead, win.total)
        forecast = Forecast(full.dates[sl], full.samples[:, sl], full.target, full.model)
        issued = Issued(
            forecast_id=uuid.uuid4().hex,
            kind=kind,
            target=champ.target,
            window=win,
            forecast=forecast,
            sources=weather.sources[sl],
            champion=champ,
            data_as_of=_data_as_of(champ, obs),
            issued_at=datetime.now(UTC),
            n_samples=n_samples,
        )
        self.computed += 1
        if self.archive is not None:
            inputs: dict[str, Any] = {
                "weather_sources": list(weather.sources),
                "weather_dates": [d.date().isoformat() for d in weather.dates],
                "weather_mean": {
                    c: [round(float(x), 3) for x in weather.values[:, :, j].mean(axis=0)]
                    for j, c in enumerate(weather.columns)
                },
                "origin": win.origin.isoformat(),
                "seed": seed,
                "observed_version": obs.version if obs else None,
                "forecast_provider_error": self.live.last_error if live is None else None,
            }
            if requested:
                inputs["scenario"] = {d.isoformat(): v for d, v in requested.items()}
            self.archive.submit(issued.archive_record(inputs))
        log.debug(
            "issued %s %s forecast %s..%s (model %s v%s)",
            kind,
            champ.target,
            win.start,
            win.start + timedelta(days=win.horizon - 1),
            champ.model_name,
            champ.version,
        )
        return issued

    def clear_cache(self) -> None:
        """Forget cached forecasts (after a reload they are keyed out anyway)."""
        with self._cache_lock:
            self._cache.clear()
            self._key_locks.clear()


def _data_as_of(champ: Champion, obs: Observed | None) -> date:
    last_fit = champ.last_fit_date
    return last_fit if obs is None else max(obs.last_date, last_fit)
