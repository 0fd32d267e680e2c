"""The forecasting core of the API: the issue date, weather inputs, caching and archiving.

Every forecast is made by `forecasting.issuing.issue_forecast`, the function the backtest
validates: the champion's fitted parameters stay as they are, and its state comes from the
newest arrivals in the data directory at predict time (no refit). The service only decides
what to ask it.

- **The issue date T** is today, or a *hindcast* when the data is too old, or any past day
  asked with `as_of` (api/issue_date.py). The asked days run from `start` (default T) for
  `horizon` days, within T..T+MAX_HORIZON−1.
- **Weather from T on** (`weather_mode`): ``forecast`` (default) takes, per day, the caller's
  scenario, else the live provider's forecast at the champion's own point (only for a forecast
  issued today: a hindcast cannot know a forecast made later), else an issued forecast
  simulated from the stored observations (what the backtest's forecast mode uses at origin
  T), else climatology, with the spread by lead around it; ``observed`` is hindsight, labelled
  so; ``climatology``. Days before T are observed. The live point: api/live_weather.py.
- **Seeds**: every forecast uses seed 0 and weather draw 0, the backtest's streams, so a
  hindcast at T equals the backtest's forecast-mode draw-0 forecast at origin T, and the same
  request always gets the same numbers (a day's numbers do not depend on the horizon asked).
  One forecast is simulated at a time per process (api/simulation.py).
- **Scenarios are paired** with their baseline, the default forecast of the same request
  (served from its cache): the same spec (sample paths, seed, draw), so the two differ only by
  the weather the caller gave (`paired_scenario`; POST /v1/forecast answers both).

A value the service cannot serve raises `InvalidInput` naming the field (``start``,
``as_of``, ``weather_mode``, or day ``i``'s variable of a scenario; api/refusals.py);
api/errors.py answers it with a 422 whose `loc` says where the request carried it.
Renderings live in api/rendering.py.

Default-weather forecasts are cached (api/forecast_cache.py). A forecast's id is a key of what
it was computed from (api/archive/record.py), so a forecast computed again (after its cache
entry expired, or by another worker or replica sharing the outbox or the archive) is the same
forecast: it keeps the archive's first `issued_at` and answers with it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import pandas as pd

from api import live_weather
from api.archive.store import ForecastArchive
from api.archiving import archive_issued
from api.champion import Champion, ChampionStore
from api.data import Observed, ObservedStore
from api.forecast_cache import ForecastCache, Key, forecast_key
from api.issue_date import IssueDate, choose_issue_date
from api.reading import Reading
from api.refusals import InvalidInput, NotReady  # also imported from here by their users
from api.rendering import Issued
from api.settings import ApiSettings
from api.simulation import Simulation
from forecasting.contract import DEFAULT_HORIZON, DEFAULT_WEATHER_MODE, ServedWeatherMode
from forecasting.issuing import IssueSpec
from forecasting.providers.live import LiveForecast
from forecasting.weather.future import WeatherInputs

log = logging.getLogger(__name__)

SEED: Final = 0  # the backtest's seed: a hindcast equals the backtest's forecast at origin T
DRAW: Final = 0  # the backtest's first weather draw

Scenario = dict[date, dict[str, float]]  # the caller's weather: day -> variable -> value


@dataclass(frozen=True)
class Ask:
    """What a request asks for, in the service's terms (GET parameters or a POST body)."""

    start: date | None = None
    horizon: int = DEFAULT_HORIZON
    as_of: date | None = None
    weather_mode: ServedWeatherMode = DEFAULT_WEATHER_MODE


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
        self.cache = ForecastCache(lambda: self.settings)  # default-weather forecasts
        self.latest: dict[str, Issued] = {}
        self.computed = 0
        self._lag_checked: str | None = None  # the snapshot whose weather lag was logged
        self._simulation = Simulation()  # one forecast simulated at a time per process

    @property
    def generation(self) -> tuple[int, int, int]:
        """Changes whenever a champion or the observed data is swapped, or the day turns."""
        return (self.store.generation, self.observed.generation, self.today().toordinal())

    def fresh_until(self, issued: Issued) -> float:
        """Monotonic time until which `issued` may be served from a cache."""
        return self.cache.fresh_until(issued)

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
        return choose_issue_date(self.today(), obs.last_date, as_of)

    def _spec(self, issue: IssueDate, ask: Ask, n_samples: int) -> IssueSpec:
        start = None if ask.start is None else pd.Timestamp(ask.start)
        return IssueSpec(
            pd.Timestamp(issue.day), ask.horizon, start, n_samples, SEED, ask.weather_mode, DRAW
        )

    # -- default-weather forecasts (cached) -------------------------------------------------
    def _asked(self, ask: Ask) -> tuple[Observed, IssueDate]:
        """The observed snapshot and the issue date `ask` is answered from."""
        obs = self.observed_data()
        return obs, self.issue_date(obs, ask.as_of)

    def _key(self, champ: Champion, ask: Ask, obs: Observed, issue: IssueDate) -> Key:
        return forecast_key(
            champ,
            issue,
            ask.weather_mode,
            ask.start,
            ask.horizon,
            obs.version,
            self.live.generation,
        )

    def cached(self, champ: Champion, ask: Ask) -> Issued | None:
        """The cached default forecast, if fresh (cheap: no computation)."""
        return self.cache.get(self._key(champ, ask, *self._asked(ask)))

    def default_forecast(self, champ: Champion, ask: Ask) -> Issued:
        """The forecast with the weather chain of `ask.weather_mode`, cached or computed now."""
        return self._default(champ, ask, *self._asked(ask))

    def _default(self, champ: Champion, ask: Ask, obs: Observed, issue: IssueDate) -> Issued:
        """`default_forecast` from a given snapshot and issue date."""
        key = self._key(champ, ask, obs, issue)
        lock = self.cache.key_lock(key)
        try:
            with lock:  # one computation per key; concurrent callers wait
                hit = self.cache.get(key)
                if hit is not None:
                    return hit
                spec = self._spec(issue, ask, self.settings.n_samples)
                issued = self._compute("default", champ, obs, spec, issue)
                self.cache.put(key, issued)
                self.latest[champ.target] = issued
        finally:
            self.cache.release(key, lock)  # stored, or failed: the lock is not kept
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
        chain. Issued like the default forecast of the same `ask` (the same spec: sample
        paths, seed and draw), so the two differ only by the weather given."""
        obs, issue, spec, requested = self._scenario_inputs(champ, ask, weather)
        return self._compute("scenario", champ, obs, spec, issue, requested, uncertainty)

    def paired_scenario(
        self,
        champ: Champion,
        ask: Ask,
        weather: Sequence[Mapping[str, Any]],
        uncertainty: bool = True,
    ) -> tuple[Issued, Issued]:
        """The scenario (`scenario_forecast`) and its baseline: the default forecast of the
        same `ask` (`default_forecast`, through its cache, so exactly what GET /v1/forecast
        serves), both from the same observed snapshot and issue date. The scenario's weather
        is checked before anything is computed."""
        obs, issue, spec, requested = self._scenario_inputs(champ, ask, weather)
        baseline = self._default(champ, ask, obs, issue)
        scenario = self._compute("scenario", champ, obs, spec, issue, requested, uncertainty)
        return scenario, baseline

    def _scenario_inputs(
        self, champ: Champion, ask: Ask, weather: Sequence[Mapping[str, Any]]
    ) -> tuple[Observed, IssueDate, IssueSpec, Scenario]:
        """What a scenario is issued from: the default forecast's snapshot, issue date and
        spec (same paths, seed and draw), and the caller's weather by day (checked)."""
        obs, issue = self._asked(ask)
        spec = self._spec(issue, ask, self.settings.n_samples)
        return obs, issue, spec, _scenario(champ, spec, weather)

    def issue_as(self, kind: str, champ: Champion, ask: Ask) -> Issued:
        """Issue `ask` with `champ` exactly as a default forecast is (same issue date, spec,
        seed and weather chain), uncached, archived as `kind`: the track record's reissued
        hindcasts and climatology references (api/verification.py)."""
        obs, issue = self._asked(ask)
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
        point = live_weather.live_point_for(self.live, champ, spec, issue, requested)
        live = self.live.get(*point) if point is not None else None
        inputs = WeatherInputs(live=live, requested=requested, uncertainty=uncertainty)
        fc = self._simulation.issue(champ, obs, spec, issue, inputs, requested)
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
        if self.archive is not None:  # api/archiving.py
            archive_issued(
                self.archive,
                issued,
                observed_version=obs.version,
                point=point,
                provider_error=None if point is None else self.live.error_at(*point),
                requested=requested,
                uncertainty=uncertainty,
            )
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
        champions = (self.store.get(t) for t in self.store.targets)
        return live_weather.live_points(self.live, champions)

    def live_point_of(self, champ: Champion) -> tuple[float, float] | None:
        """The point at which the live provider can serve `champ`: the one it learned on, when
        it learned on that provider's weather; None otherwise (it is then served without the
        live forecast, or was refused at load when the operator asked for the provider)."""
        return live_weather.live_point_of(self.live, champ)

    def weather_note(self, champ: Champion, obs: Observed) -> str | None:
        """Where `champ`'s weather ahead comes from, in words (None if it uses no weather)."""
        return live_weather.weather_note(self.live, champ, obs)

    def clear_cache(self) -> None:
        """Forget cached forecasts (after a reload they are keyed out anyway)."""
        self.cache.clear()


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
