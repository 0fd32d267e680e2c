"""Prometheus metrics: request counts and latencies (pure ASGI middleware), model versions,
forecast age, registry and archive health. One registry per app, so tests can build many;
with several workers, prometheus_client's multiprocess mode aggregates them all."""

from __future__ import annotations

import atexit
import os
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bounded import CacheStats

if TYPE_CHECKING:
    from api.service import ForecastService

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Method label values: anything else (a client may send any token as its method) is "other",
# so made-up methods cannot grow the series, and routes are templates or "unmatched".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def multiprocess_dir() -> str | None:
    """The prometheus_client multiprocess directory, when the server runs several workers
    (`crossings serve --workers N` sets PROMETHEUS_MULTIPROC_DIR), else None."""
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """The service's collectors.

    With PROMETHEUS_MULTIPROC_DIR set (several workers), every value lives in that directory
    and `/metrics` aggregates all workers: counters and histograms are summed, and each gauge
    is combined as its `multiprocess_mode` says (ignored in a single process). Gauges that
    `render` refreshes hold each worker's value from the last scrape it answered.
    """

    def __init__(self, caches: Callable[[], Iterable[CacheStats]] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.caches = caches  # every bounded cache's size and limits, read at each scrape
        self._http_collectors()
        self._model_collectors()
        self._archive_collectors()
        self._cache_collectors()
        self._computed_seen = 0
        self._pruned_seen = 0
        if multiprocess_dir() is not None:
            # Drop this worker's live gauges when it exits, so they stop counting.
            atexit.register(multiprocess.mark_process_dead, os.getpid())

    def _gauge(self, name: str, doc: str, mode: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=self.registry, multiprocess_mode=mode)  # type: ignore[arg-type]

    def _http_collectors(self) -> None:
        self.requests = Counter(
            "crossings_http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "crossings_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.forecasts = Counter(
            "crossings_forecasts_computed_total",
            "Forecasts computed (cache misses and scenarios).",
            registry=self.registry,
        )

    def _model_collectors(self) -> None:
        # Across workers: the oldest version and load time still served (a worker a reload
        # missed shows), stale if any worker is, and the answering worker's freshness.
        self.model_version = self._gauge(
            "crossings_model_version",
            "Registry version of the champion served per target (numeric versions).",
            "livemin",
            ["target", "registered_model"],
        )
        self.model_loaded_at = self._gauge(
            "crossings_model_loaded_timestamp_seconds",
            "When the served champion was loaded (Unix time).",
            "livemin",
            ["target"],
        )
        self.model_stale = self._gauge(
            "crossings_model_stale",
            "1 when the registry could not be reached and the last good model is served.",
            "livemax",
            ["target"],
        )
        self.forecast_age = self._gauge(
            "crossings_forecast_age_seconds",
            "Seconds since the newest default forecast served per target was computed.",
            "livemostrecent",
            ["target"],
        )
        self.data_age = self._gauge(
            "crossings_data_age_days",
            "Days between today (UTC) and the last observed day of arrivals.",
            "livemostrecent",
        )

    def _archive_collectors(self) -> None:
        # Across workers: per-process counts are summed; backlog and degradation the worst.
        self.archive_failures = self._gauge(
            "crossings_archive_failures", "Forecasts that could not be archived.", "livesum"
        )
        self.archive_pending = self._gauge(
            "crossings_archive_pending", "Forecasts waiting to be archived.", "livemax"
        )
        self.outbox_depth = self._gauge(
            "crossings_archive_outbox_depth",
            "Issued forecasts journalled in the local outbox, not yet in the archive database.",
            "livemax",
        )
        self.archive_degraded = self._gauge(
            "crossings_archive_degraded",
            "1 while the archive database does not take writes (forecasts wait in the outbox).",
            "livemax",
        )
        self.archive_write_errors = self._gauge(
            "crossings_archive_write_errors",
            "Failed attempts to write to the archive database.",
            "livesum",
        )
        self.archive_pruned = Counter(
            "crossings_archive_pruned_total",
            "Scenario forecasts deleted from the archive by the retention policy.",
            registry=self.registry,
        )

    def _cache_collectors(self) -> None:
        # Across workers: the fullest worker (each process has its own caches and limits).
        self.cache_entries = self._gauge(
            "crossings_cache_entries", "Entries an in-process cache holds.", "livemax", ["cache"]
        )
        self.cache_bytes = self._gauge(
            "crossings_cache_bytes",
            "Bytes an in-process cache bounded in bytes holds (estimated from its values).",
            "livemax",
            ["cache"],
        )
        self.cache_limit = self._gauge(
            "crossings_cache_limit",
            "An in-process cache's limit (CROSSINGS_* settings), in entries or bytes.",
            "livemax",
            ["cache", "unit"],
        )

    def observe_caches(self, caches: Iterable[CacheStats]) -> None:
        """Set the cache gauges from each cache's size and limits."""
        for c in caches:
            self.cache_entries.labels(c.name).set(c.entries)
            self.cache_limit.labels(c.name, "entries").set(c.max_entries)
            if c.max_bytes is not None and c.bytes is not None:
                self.cache_bytes.labels(c.name).set(c.bytes)
                self.cache_limit.labels(c.name, "bytes").set(c.max_bytes)

    def render(self, service: ForecastService) -> bytes:
        """Refresh the gauges that are read from the service, then export everything."""
        now = datetime.now(UTC)
        for target in service.store.targets:
            champ = service.store.get(target)
            if champ is not None:
                try:
                    version = float(champ.version)
                except ValueError:
                    version = float("nan")
                self.model_version.labels(target, champ.registered_name).set(version)
                self.model_loaded_at.labels(target).set(champ.loaded_at.timestamp())
            self.model_stale.labels(target).set(1.0 if service.store.is_stale(target) else 0.0)
            latest = service.latest.get(target)
            if latest is not None:
                self.forecast_age.labels(target).set((now - latest.issued_at).total_seconds())
        obs = service.observed.get()
        if obs is not None:
            self.data_age.set((service.today() - obs.last_date).days)
        self.forecasts.inc(service.computed - self._computed_seen)
        self._computed_seen = service.computed
        if service.archive is not None:
            self.archive_failures.set(service.archive.failures)
            depth = service.archive.pending  # read from the outbox file every worker shares
            self.archive_pending.set(depth)
            self.outbox_depth.set(depth)
            self.archive_degraded.set(1.0 if service.archive.degraded else 0.0)
            self.archive_write_errors.set(service.archive.write_errors)
            pruned = service.archive.pruned
            self.archive_pruned.inc(max(0, pruned - self._pruned_seen))
            self._pruned_seen = pruned
        if self.caches is not None:
            self.observe_caches(self.caches())
        return self.export()

    def export(self) -> bytes:
        """The exposition text: every worker's values in multiprocess mode, else this app's."""
        if multiprocess_dir() is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return generate_latest(merged)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            name = getattr(route, "path", None) or scope.get("cached_route") or "unmatched"
            method = scope.get("method", "")
            method = method if method in KNOWN_METHODS else "other"
            self.metrics.latency.labels(method, name).observe(time.perf_counter() - t0)
            self.metrics.requests.labels(method, name, str(status)).inc()
