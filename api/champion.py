"""The served champions: loaded per target from a registry, polled, swapped atomically.

The registry is a `Registry` (the MLflow one is `forecasting.tracking.MlflowRegistry`, built
in `api.deps.get_registry`; tests pass fakes).

A `ChampionStore` holds one immutable `Champion` per target in a dict that is replaced as a
whole on reload, so a request that has taken its champion keeps using that object to the end
while new requests see the new one. When the registry cannot be reached (or the alias points
at something that does not load), the store keeps the last good champion and records the
error; `status()` then reports the model as stale.

A `check` passed to the store may refuse a champion (`ChampionRefused`, e.g. one that learned
on another weather source than the live provider serves). A refused version is never served:
the store keeps the last good champion, records the refusal as the target's error (so it
reports stale, with the message) and does not load that version again until the alias moves
or a forced reload. At start-up there is no last good champion, and the app refuses to start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from forecasting.models.base import Model
from forecasting.providers.live import LiveForecast
from forecasting.weather.source import WeatherSource

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Champion:
    """A fitted forecaster as served: what the registry says about it and when we loaded it."""

    forecaster: Model
    metadata: dict[str, Any]
    version: str
    loaded_at: datetime
    registered_name: str = ""

    @property
    def target(self) -> str:
        """people or boats."""
        return str(self.metadata.get("target") or self.forecaster.target)

    @property
    def model_name(self) -> str:
        """The model family (e.g. hurdle)."""
        return str(self.metadata.get("model_name") or self.forecaster.name)

    @property
    def trained_at(self) -> str | None:
        """When it was trained, as the registry metadata says (ISO 8601)."""
        value = self.metadata.get("trained_at")
        return None if value is None else str(value)


class Registry(Protocol):
    """Where champions come from: the current version behind the alias, and loading one."""

    def champion_version(self, name: str) -> str:
        """The version the champion alias of registered model `name` points at."""
        ...

    def load(self, name: str, version: str) -> tuple[Model, dict[str, Any]]:
        """The fitted forecaster and metadata of version `version` of `name`."""
        ...


class ChampionRefused(RuntimeError):
    """A champion that must not be served; the message says why and how to fix it."""


@dataclass
class TargetStatus:
    """What the store knows about one target's registry entry."""

    registered_name: str
    last_check_at: datetime | None = None
    last_success_at: datetime | None = None
    last_success_mono: float | None = None
    error: str | None = None
    refused: str | None = None  # why the alias's version was refused (None: not refused)
    refused_version: str | None = None


@dataclass(frozen=True)
class ReloadOutcome:
    """What one refresh did for one target."""

    target: str
    previous: str | None
    current: str | None
    changed: bool
    error: str | None = None


@dataclass
class _Poller:
    thread: threading.Thread
    stop: threading.Event = field(default_factory=threading.Event)


class ChampionStore:
    """Champions per target, refreshed from a `Registry`; safe to read from any thread."""

    def __init__(
        self,
        registry: Registry,
        names: dict[str, str],
        *,
        stale_after: float = float("inf"),
        clock: Callable[[], float] = time.monotonic,
        check: Callable[[Champion], None] | None = None,
    ) -> None:
        self.registry = registry
        self.check = check
        self.names = dict(names)
        self.stale_after = stale_after
        self._clock = clock
        self._champions: dict[str, Champion] = {}
        self._status = {t: TargetStatus(n) for t, n in self.names.items()}
        self._refresh_lock = threading.Lock()
        self._poller: _Poller | None = None
        self.on_change: list[Callable[[Champion], None]] = []
        self.generation = 0  # bumped on every swap

    # -- reading -------------------------------------------------------------------------
    def get(self, target: str) -> Champion | None:
        """The champion now served for `target`, or None if none was ever loaded."""
        return self._champions.get(target)

    def champions(self) -> dict[str, Champion]:
        """A snapshot of every loaded champion."""
        return self._champions

    @property
    def targets(self) -> tuple[str, ...]:
        """The targets this store serves."""
        return tuple(self.names)

    def status(self, target: str) -> TargetStatus:
        """Registry status of one target."""
        return self._status[target]

    def is_stale(self, target: str) -> bool:
        """True when the last registry check failed or none succeeded for too long."""
        st = self._status[target]
        if st.error is not None:
            return True
        if st.last_success_mono is None:
            return self.get(target) is not None
        return self._clock() - st.last_success_mono > self.stale_after

    # -- writing -------------------------------------------------------------------------
    def put(self, target: str, champion: Champion) -> None:
        """Serve `champion` for `target` (swaps the whole dict: readers never see a mix)."""
        new = dict(self._champions)
        new[target] = champion
        self._champions = new
        self.generation += 1
        for hook in self.on_change:
            hook(champion)

    def refresh(
        self, force: bool = False, targets: Iterable[str] | None = None
    ) -> list[ReloadOutcome]:
        """Ask the registry for each target's champion version; load it when it moved (or
        always, with `force`). Failures are recorded and the last good champion stays."""
        with self._refresh_lock:
            return [self._refresh_one(t, force) for t in (targets or self.names)]

    def _refresh_one(self, target: str, force: bool) -> ReloadOutcome:
        name = self.names[target]
        st = self._status[target]
        current = self.get(target)
        previous = current.version if current else None
        st.last_check_at = datetime.now(UTC)
        try:
            version = self.registry.champion_version(name)
            if not force and version == st.refused_version:
                return ReloadOutcome(target, previous, previous, False, st.error)
            changed = force or previous != version
            if changed:
                forecaster, metadata = self.registry.load(name, version)
                champion = Champion(
                    forecaster=forecaster,
                    metadata=metadata,
                    version=version,
                    loaded_at=datetime.now(UTC),
                    registered_name=name,
                )
                if self.check is not None:
                    self.check(champion)
                self.put(target, champion)
                log.info("serving %s version %s (was %s)", name, version, previous)
        except ChampionRefused as exc:
            st.error = st.refused = str(exc)
            st.refused_version = version
            log.error("%s version %s refused; still serving %s: %s", name, version, previous, exc)
            return ReloadOutcome(target, previous, previous, False, st.error)
        except Exception as exc:  # any registry or load failure: keep serving what we have
            st.error = f"{type(exc).__name__}: {exc}".strip()[:500]
            log.warning(
                "registry check for %s failed; still serving version %s: %s",
                name,
                previous,
                st.error,
            )
            return ReloadOutcome(target, previous, previous, False, st.error)
        st.error = st.refused = st.refused_version = None
        st.last_success_at = datetime.now(UTC)
        st.last_success_mono = self._clock()
        return ReloadOutcome(target, previous, version, changed)

    # -- polling -------------------------------------------------------------------------
    def start_polling(self, interval: float, also: Callable[[], object] | None = None) -> None:
        """Refresh every `interval` seconds on a daemon thread (and call `also` each time)."""
        if interval <= 0 or self._poller is not None:
            return
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.refresh()
                    if also is not None:
                        also()
                except Exception:  # never let the poller die
                    log.exception("champion poll failed")

        thread = threading.Thread(target=loop, name="champion-poller", daemon=True)
        self._poller = _Poller(thread, stop)
        thread.start()

    def stop_polling(self) -> None:
        """Stop the poller thread and wait for it."""
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.stop.set()
            poller.thread.join(timeout=30)


def live_check(live: LiveForecast, required: bool = True) -> Callable[[Champion], None]:
    """The store's check: refuse a weather-driven champion that did not learn on the live
    provider's weather at a known point, while the live provider is on and `required` (the
    operator set it). Otherwise such a champion is served without the live forecast."""

    def check(champion: Champion) -> None:
        if not required or not live.enabled or not champion.forecaster.uses_weather:
            return
        source = WeatherSource.from_metadata(champion.metadata)
        why = source.live_mismatch(live.provider)
        if why is None:
            return
        lat = source.lat if source.lat is not None else live.lat
        lon = source.lon if source.lon is not None else live.lon
        raise ChampionRefused(
            f"{champion.registered_name} version {champion.version} cannot be served with the "
            f"live weather forecast: {why}. A model must be served with the weather source and "
            "place it learned from. Either train it on Open-Meteo weather for its point "
            f"(`crossings fetch-weather --provider open-meteo-archive --lat {lat:.2f} --lon "
            f"{lon:.2f} --start <first day> --end <last day> --out data/raw/point.csv`, then "
            "`crossings ingest --weather data/raw/point.csv` and `crossings train`), or serve "
            "without the live forecast (leave CROSSINGS_OPEN_METEO_URL unset, and the champions "
            "that did not learn on Open-Meteo weather are served without it; or set "
            "CROSSINGS_OPEN_METEO_URL= empty for none)"
        )

    return check
