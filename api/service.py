"""The forecasting core of the API: forecast windows, weather, caching and archiving.

It speaks the service's own terms: a value it cannot serve raises `InvalidInput` naming the
field (``start``, ``weather``, or day ``i``'s variable of a scenario), and the HTTP layer
(api/errors.py) answers it with a 422 whose `loc` says where the request carried it.
Renderings of an issued forecast live in api/issued.py.

Start dates: a champion forecasts from the day after its training data ends (its *origin*)
for at most `MAX_HORIZON` days. The default start is the day after the last observed day. A
request is refused when

- `start` is before the origin (the model cannot forecast days it was fitted on),
- the window ends more than `MAX_HORIZON` days after the origin, or
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
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from api.archive import ForecastArchive
from api.champion import Champion, ChampionStore
from api.data import Observed, ObservedStore
from api.issued import Issued, Window
from api.settings import ApiSettings
from forecasting.contract import MAX_HORIZON
from forecasting.errors import InputError
from forecasting.forecast import Forecast
from forecasting.models.base import Model
from forecasting.providers.live import LiveForecast
from forecasting.weather.paths import FutureWeather
from forecasting.weather.serving import build_weather

log = logging.getLogger(__name__)

Scenario = dict[date, dict[str, float]]  # the caller's weather: day -> variable -> value


class InvalidInput(ValueError):
    """A request value the service cannot serve. `field` names it in the service's terms:
    ``("start",)``, ``("weather",)`` or ``("weather", i, var)`` for day `i` of a scenario."""

    def __init__(self, field: Sequence[str | int], message: str, kind: str = "value_error"):
        super().__init__(message)
        self.field = tuple(field)
        self.message = message
        self.kind = kind


class NotReady(RuntimeError):
    """No champion (or no observed data) is loaded for the request (answered with 503)."""


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
    ) -> Window:
        """Check the asked days against what the champion can forecast (see module doc);
        InvalidInput on `start` when it cannot."""
        last_fit = champ.last_fit_date
        origin = last_fit + timedelta(days=1)
        last_obs = observed.last_date if observed is not None else None
        known = max(last_obs, last_fit) if last_obs is not None else last_fit
        asked = start
        if start is None:
            start = known + timedelta(days=1)
        if start < origin:
            raise InvalidInput(
                ("start",),
                f"start {start} is before {origin}, the first day the {champ.target} champion "
                f"(version {champ.version}) forecasts: it was fitted on data up to {last_fit}. "
                "Ask for a later start; forecasts issued for past days are at "
                "/v1/forecasts/issued",
            )
        lead = (start - origin).days
        if lead + horizon > MAX_HORIZON:
            last_ok = origin + timedelta(days=MAX_HORIZON - horizon)
            raise InvalidInput(
                ("start",),
                f"the {champ.target} champion forecasts at most {MAX_HORIZON} days after its "
                f"data ends ({last_fit}); with horizon {horizon} the latest start is {last_ok}, "
                f"got {start}",
            )
        if lead > 0 and last_obs is not None and last_obs >= origin:
            where = "the default start" if asked is None else f"start {start}"
            raise InvalidInput(
                ("start",),
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
        win = self.window(champ, obs, start, horizon)
        requested = _scenario(champ, win, weather)
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
        requested: Scenario | None,
    ) -> Issued:
        """Build the weather paths, predict, issue and archive one forecast."""
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
            history=obs.weather_history if obs is not None else None,
            live=live,
            requested=requested,
        )
        forecast = _predict(model, win, weather, n_samples, rng, scenario=bool(requested))
        sl = slice(win.lead, win.total)
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
            inputs = self._inputs(weather, win, obs, seed, live is not None, requested)
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

    def _inputs(
        self,
        weather: FutureWeather,
        win: Window,
        obs: Observed | None,
        seed: int | None,
        used_live: bool,
        requested: Scenario | None,
    ) -> dict[str, Any]:
        """What a forecast was computed from, as archived with it."""
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
            "forecast_provider_error": None if used_live else self.live.last_error,
        }
        if requested:
            inputs["scenario"] = {d.isoformat(): v for d, v in requested.items()}
        return inputs

    def clear_cache(self) -> None:
        """Forget cached forecasts (after a reload they are keyed out anyway)."""
        with self._cache_lock:
            self._cache.clear()
            self._key_locks.clear()


def _scenario(champ: Champion, win: Window, weather: Sequence[Mapping[str, Any]]) -> Scenario:
    """The caller's weather by day; InvalidInput on a day outside the window or one that
    lacks a variable the model needs."""
    needed = champ.forecaster.weather_variables
    first, last = win.dates[0].date(), win.dates[-1].date()
    requested: Scenario = {}
    for i, day in enumerate(weather):
        d = day["date"]
        if not first <= d <= last:
            raise InvalidInput(
                ("weather", i, "date"),
                f"weather day {d} is outside the forecast days {first}..{last}",
            )
        for var in needed:
            if day.get(var) is None:
                raise InvalidInput(
                    ("weather", i, var),
                    f"weather day {d} lacks '{var}', which the {champ.target} model "
                    f"needs (it uses {', '.join(needed)})",
                    kind="missing",
                )
        requested[d] = {v: float(day[v]) for v in needed}
    return requested


def _predict(
    model: Model,
    win: Window,
    weather: FutureWeather,
    n_samples: int,
    rng: np.random.Generator,
    scenario: bool,
) -> Forecast:
    """The model's paths over the window's asked days: the gap days from the origin to the
    start are simulated, then dropped. A model refusing its input is InvalidInput on the
    scenario's weather, or else on `start`."""
    try:
        full = model.predict(win.total, weather if model.uses_weather else None, n_samples, rng)
    except InputError as exc:
        raise InvalidInput(("weather",) if scenario else ("start",), str(exc)) from exc
    sl = slice(win.lead, win.total)
    return Forecast(full.dates[sl], full.samples[:, sl], full.target, full.model)


def _data_as_of(champ: Champion, obs: Observed | None) -> date:
    """The last day known when the forecast was issued: observed, or fitted on."""
    last_fit = champ.last_fit_date
    return last_fit if obs is None else max(obs.last_date, last_fit)
