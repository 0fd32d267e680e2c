"""The forecasting core of the API: the issue date, weather inputs, caching and archiving.

Every forecast is made by `forecasting.issuing.issue_forecast`, the function the backtest
validates: the champion's fitted parameters stay as they are, and its state comes from the
newest arrivals in the data directory at predict time (no refit). The service only decides
what to ask it.

- **The issue date T** is today when the newest arrivals end at most MAX_BRIDGE_DAYS days
  before it (those days are bridged: simulated along each path); otherwise T is the day after
  the newest arrivals, a *hindcast*. A caller may ask for any past T with `as_of`. The asked
  days run from `start` (default T) for `horizon` days, within T..T+13.
- **Weather from T on** (`weather_mode`): ``forecast`` (default) takes, per day, the caller's
  scenario, else the live provider's forecast at the champion's own point (only for a forecast
  issued today: a hindcast cannot know a forecast made later), else an issued forecast
  simulated from the stored observations (what the backtest's forecast mode uses at origin
  T), else climatology, with the spread by lead around it; ``observed`` is hindsight, labelled
  so; ``climatology``. Days before T are observed.
- **Seeds**: every forecast uses seed 0 and weather draw 0, the backtest's streams, so a
  hindcast at T equals the backtest's forecast-mode draw-0 forecast at origin T, and the same
  request always gets the same numbers (a day's numbers do not depend on the horizon asked).

A value the service cannot serve raises `InvalidInput` naming the field (``start``,
``as_of``, ``weather_mode``, or day ``i``'s variable of a scenario); api/errors.py answers it
with a 422 whose `loc` says where the request carried it. Renderings live in api/issued.py.

Default-weather forecasts are cached per (target, issue date, weather mode, start, horizon,
champion version, data version) for `forecast_cache_seconds`. A cached forecast is one issued
forecast: it is archived once, and every response built from it carries its `issued_at`. A
forecast's id is a key of what it was computed from, so a forecast computed again (after its
cache entry expired, or by another worker or replica sharing the outbox or the archive) is the
same forecast: it keeps the archive's first `issued_at` and answers with it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import pandas as pd

from api.archive.store import ForecastArchive
from api.champion import Champion, ChampionStore
from api.data import Observed, ObservedStore
from api.issued import Issued
from api.reading import Reading
from api.settings import ApiSettings
from forecasting.contract import DEFAULT_HORIZON, MAX_BRIDGE_DAYS
from forecasting.errors import InputError
from forecasting.issuing import CannotIssue, IssuedForecast, IssueSpec, issue_forecast
from forecasting.providers.live import LiveForecast
from forecasting.weather.future import WeatherInputs, WeatherUnavailable
from forecasting.weather.source import WeatherSource

log = logging.getLogger(__name__)

SEED: Final = 0  # the backtest's seed: a hindcast equals the backtest's forecast at origin T
DRAW: Final = 0  # the backtest's first weather draw
SIMULATION_QUEUE_SECONDS: Final = 0.5  # the longest a forecast waits for its simulation turn

Scenario = dict[date, dict[str, float]]  # the caller's weather: day -> variable -> value


class InvalidInput(ValueError):
    """A request value the service cannot serve. `field` names it in the service's terms:
    ``("start",)``, ``("as_of",)``, ``("weather",)`` or ``("weather", i, var)``."""

    def __init__(self, field: Sequence[str | int], message: str, kind: str = "value_error"):
        super().__init__(message)
        self.field = tuple(field)
        self.message = message
        self.kind = kind


class NotReady(RuntimeError):
    """No champion (or no observed data) is loaded for the request (answered with 503)."""


@dataclass(frozen=True)
class Ask:
    """What a request asks for, in the service's terms (GET parameters or a POST body)."""

    start: date | None = None
    horizon: int = DEFAULT_HORIZON
    as_of: date | None = None
    weather_mode: str = "forecast"


@dataclass(frozen=True)
class IssueDate:
    """The day a forecast is issued on, and whether that is a day before today."""

    day: date
    hindcast: bool


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
        self._lag_checked: str | None = None  # the snapshot whose weather lag was logged
        # One forecast simulated at a time per process: the simulation is CPU-bound under
        # the GIL, and threads interleaving it only add switches (4 concurrent scenario
        # POSTs ran at 59 req/s, against 84 on one connection, before this). A caller waits
        # at most SIMULATION_QUEUE_SECONDS for its turn, then runs alongside, so one slow
        # forecast never holds the others up.
        self._simulating = threading.Lock()

    @property
    def generation(self) -> tuple[int, int, int]:
        """Changes whenever a champion or the observed data is swapped, or the day turns."""
        return (self.store.generation, self.observed.generation, self.today().toordinal())

    def fresh_until(self, issued: Issued) -> float:
        """Monotonic time until which `issued` may be served from a cache."""
        return issued.created + self.settings.forecast_cache_seconds

    def today(self) -> date:
        """Today's date (settings may pin it)."""
        return self.settings.current_date()

    # -- what to issue ---------------------------------------------------------------------
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

    def observed_data(self) -> Observed:
        """The observed snapshot, or NotReady."""
        obs = self.observed.get()
        if obs is None:
            raise NotReady(
                f"no observed data loaded from {self.settings.data_dir} "
                f"({self.observed.error or 'not read yet'}); run `crossings ingest`"
            )
        if self._lag_checked != obs.version:
            self.weather_lag_warning(obs)  # logs once per snapshot
        return obs

    def weather_lag_warning(self, obs: Observed) -> str | None:
        """The weather-lag warning for a snapshot (`forecasting.weather.lag`), logged
        once per snapshot: forecast days past the weather rely on a provider or climatology."""
        from forecasting.weather.lag import weather_lag

        message = weather_lag(obs.arrivals, obs.weather).message()
        if message is not None and self._lag_checked != obs.version:
            log.warning("weather lag: %s", message)
        self._lag_checked = obs.version
        return message

    def issue_date(self, obs: Observed, as_of: date | None) -> IssueDate:
        """T: `as_of` when given (not after today), else today when the newest arrivals end
        at most MAX_BRIDGE_DAYS days before it, else the day after them (a hindcast)."""
        today = self.today()
        if as_of is not None:
            if as_of > today:
                raise InvalidInput(
                    ("as_of",),
                    f"as_of {as_of} is after today ({today}): a forecast is issued on a day "
                    "that has come. Leave it out for a forecast issued today",
                )
            return IssueDate(as_of, as_of != today)
        if (today - obs.last_date).days - 1 <= MAX_BRIDGE_DAYS:
            return IssueDate(today, False)
        return IssueDate(obs.last_date + timedelta(days=1), True)

    def _spec(self, issue: IssueDate, ask: Ask, n_samples: int) -> IssueSpec:
        start = None if ask.start is None else pd.Timestamp(ask.start)
        return IssueSpec(
            pd.Timestamp(issue.day), ask.horizon, start, n_samples, SEED, ask.weather_mode, DRAW
        )

    # -- default-weather forecasts (cached) -------------------------------------------------
    def _key(self, champ: Champion, ask: Ask) -> tuple[tuple[Any, ...], Observed, IssueDate]:
        obs = self.observed_data()
        issue = self.issue_date(obs, ask.as_of)
        key = (
            champ.target,
            issue.day,
            issue.hindcast,
            ask.weather_mode,
            ask.start or issue.day,
            ask.horizon,
            champ.version,
            id(champ),
            obs.version,
            self.live.generation,  # a new live answer makes a new forecast
        )
        return key, obs, issue

    def cached(self, champ: Champion, ask: Ask) -> Issued | None:
        """The cached default forecast, if fresh (cheap: no computation)."""
        key, _, _ = self._key(champ, ask)
        hit = self._cache.get(key)
        if (
            hit is not None
            and time.monotonic() - hit.created < self.settings.forecast_cache_seconds
        ):
            return hit
        return None

    def default_forecast(self, champ: Champion, ask: Ask) -> Issued:
        """The forecast with the weather chain of `ask.weather_mode`, cached or computed now."""
        key, obs, issue = self._key(champ, ask)
        ttl = self.settings.forecast_cache_seconds
        with self._cache_lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:  # one computation per key; concurrent callers wait for it
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit.created < ttl:
                return hit
            spec = self._spec(issue, ask, self.settings.n_samples)
            issued = self._compute("default", champ, obs, spec, issue)
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
        ask: Ask,
        weather: Sequence[Mapping[str, Any]],
        uncertainty: bool = True,
    ) -> Issued:
        """A forecast under the caller's weather for the days given, taken as a forecast
        issued on T (spread by lead) or, without `uncertainty`, exactly; other days from the
        chain. Seeded like every forecast: the same request gets the same answer."""
        obs = self.observed_data()
        issue = self.issue_date(obs, ask.as_of)
        spec = self._spec(issue, ask, self.settings.scenario_samples)
        requested = _scenario(champ, spec, weather)
        return self._compute("scenario", champ, obs, spec, issue, requested, uncertainty)

    def issue_as(self, kind: str, champ: Champion, ask: Ask) -> Issued:
        """Issue `ask` with `champ` exactly as a default forecast is (same issue date, spec,
        seed and weather chain), uncached, archived as `kind`: the track record's reissued
        hindcasts and climatology references (api/verification.py)."""
        obs = self.observed_data()
        issue = self.issue_date(obs, ask.as_of)
        spec = self._spec(issue, ask, self.settings.n_samples)
        return self._compute(kind, champ, obs, spec, issue)

    # -- the computation -----------------------------------------------------------------
    def _compute(
        self,
        kind: str,
        champ: Champion,
        obs: Observed,
        spec: IssueSpec,
        issue: IssueDate,
        requested: Scenario | None = None,
        uncertainty: bool = True,
    ) -> Issued:
        """Issue one forecast with `issue_forecast`, and archive it."""
        point = self._live_point(champ, spec, issue, requested)
        live = self.live.get(*point) if point is not None else None
        inputs = WeatherInputs(live=live, requested=requested, uncertainty=uncertainty)
        try:
            turn = self._simulating.acquire(timeout=SIMULATION_QUEUE_SECONDS)
            try:
                fc = issue_forecast(
                    champ.forecaster, obs.arrivals, obs.weather_history, spec, inputs
                )
            finally:
                if turn:
                    self._simulating.release()
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
        issued = Issued(
            forecast_id=uuid.uuid4().hex,
            kind=kind,
            champion=champ,
            issued=fc,
            hindcast=issue.hindcast,
            issued_at=datetime.now(UTC),
            reading=Reading.from_settings(self.settings),
            weather_fetched_at=None if point is None else self.live.fetched_at(*point),
            weather_note=self.weather_note(champ, obs),
        )
        self.computed += 1
        if self.archive is not None:
            record = self._record(issued, obs, point, requested, uncertainty)
            # content-addressed: the same forecast (same question, model and data), issued
            # again or by another worker or replica, is archived once
            issued.forecast_id = issued.content_key(record)
            # ... and answers with the time it was first issued, whichever worker asks
            first = self.archive.first_issued(issued.forecast_id)
            if first is not None:
                issued.issued_at = first
            self.archive.submit(issued.archive_record(record))
        log.debug(
            "issued %s %s forecast on %s for %s..%s (model %s v%s, %d days bridged)",
            kind,
            champ.target,
            spec.issue_date.date(),
            spec.asked[0].date(),
            spec.asked[-1].date(),
            champ.model_name,
            champ.version,
            fc.bridged_days,
        )
        return issued

    def live_points(self) -> set[tuple[float, float]]:
        """The weather points of the loaded champions the live provider serves (to prefetch)."""
        points = set()
        for target in self.store.targets:
            champ = self.store.get(target)
            if champ is not None and (point := self.live_point_of(champ)) is not None:
                points.add(point)
        return points

    def live_point_of(self, champ: Champion) -> tuple[float, float] | None:
        """The point at which the live provider can serve `champ`: the one it learned on, when
        it learned on that provider's weather; None otherwise (it is then served without the
        live forecast, or was refused at load when the operator asked for the provider)."""
        if not self.live.enabled or not champ.forecaster.uses_weather:
            return None
        source = WeatherSource.from_metadata(champ.metadata)
        if source.live_mismatch(self.live.provider) is not None:
            return None
        assert source.lat is not None and source.lon is not None  # no mismatch: a known point
        return (source.lat, source.lon)

    def weather_note(self, champ: Champion, obs: Observed) -> str | None:
        """Where `champ`'s weather ahead comes from, in words (None if it uses no weather)."""
        if not champ.forecaster.uses_weather:
            return None
        source = WeatherSource.from_metadata(champ.metadata)
        if self.live_point_of(champ) is not None:
            return f"weather: the live {self.live.provider} forecast for {source.place}"
        end = pd.Timestamp(obs.weather["date"].iloc[-1]).date()
        why = (
            "the live provider is off"
            if not self.live.enabled
            else f"no live forecast for this source (the live provider is {self.live.provider})"
        )
        return (
            f"weather: simulated from {source.place} observations to {end}, else climatology; {why}"
        )

    def _live_point(
        self, champ: Champion, spec: IssueSpec, issue: IssueDate, requested: Scenario | None
    ) -> tuple[float, float] | None:
        """The champion's weather point when the live provider should be asked: a forecast
        issued today, in forecast mode, for a model using weather, with days the scenario
        does not cover."""
        if issue.hindcast or spec.mode != "forecast" or not self.live.enabled:
            return None
        if not champ.forecaster.uses_weather:
            return None
        days = (spec.asked[-1] - spec.issue_date).days + 1
        if requested is not None and len(requested) >= days:
            return None
        return self.live_point_of(champ)

    def _record(
        self,
        issued: Issued,
        obs: Observed,
        point: tuple[float, float] | None,
        requested: Scenario | None,
        uncertainty: bool,
    ) -> dict[str, Any]:
        """What a forecast was computed from, as archived with it."""
        fc: IssuedForecast = issued.issued
        fw = fc.weather
        inputs: dict[str, Any] = {
            "issue_date": fc.spec.issue_date.date().isoformat(),
            "hindcast": issued.hindcast,
            "weather_mode": fc.spec.mode,
            "bridged_days": fc.bridged_days,
            "data_end": fc.data_end.date().isoformat(),
            "seed": fc.spec.seed,
            "weather_draw": fc.spec.draw,
            "weather_uncertainty": "forecast" if uncertainty else "none",
            "weather_sources": [] if fw is None else list(fw.sources),
            "weather_dates": [] if fw is None else [d.date().isoformat() for d in fw.dates],
            "weather_mean": {}
            if fw is None
            else {
                c: [round(float(x), 3) for x in fw.values[:, :, j].mean(axis=0)]
                for j, c in enumerate(fw.columns)
            },
            "weather_point": None if point is None else list(point),
            "observed_version": obs.version,
            "forecast_provider_error": None if point is None else self.live.error_at(*point),
        }
        if requested:
            inputs["scenario"] = {d.isoformat(): v for d, v in requested.items()}
        return inputs

    def clear_cache(self) -> None:
        """Forget cached forecasts (after a reload they are keyed out anyway)."""
        with self._cache_lock:
            self._cache.clear()
            self._key_locks.clear()


def _refused_field(spec: IssueSpec, requested: Scenario | None) -> str:
    """The field to name when the model refuses its weather: the scenario's, the hindsight
    mode's, else the asked days'."""
    if requested:
        return "weather"
    return "weather_mode" if spec.mode != "forecast" else "start"


def _scenario(champ: Champion, spec: IssueSpec, weather: Sequence[Mapping[str, Any]]) -> Scenario:
    """The caller's weather by day; InvalidInput on a day outside the issue date..last asked
    day, or one that lacks a variable the model needs."""
    needed = champ.forecaster.weather_variables
    first, last = spec.issue_date.date(), spec.asked[-1].date()
    requested: Scenario = {}
    for i, day in enumerate(weather):
        d = day["date"]
        if not first <= d <= last:
            raise InvalidInput(
                ("weather", i, "date"),
                f"weather day {d} is outside the forecast days {first}..{last} (a scenario is "
                f"a weather forecast issued on {first}, the issue date)",
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
