"""Prometheus metrics: request counts and latencies (pure ASGI middleware), model versions,
forecast age, registry and archive health. One registry per app, so tests can build many."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from api.service import ForecastService

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's collectors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "crossings_http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "crossings_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=r,
        )
        self.model_version = Gauge(
            "crossings_model_version",
            "Registry version of the champion served per target (numeric versions).",
            ["target", "registered_model"],
            registry=r,
        )
        self.model_loaded_at = Gauge(
            "crossings_model_loaded_timestamp_seconds",
            "When the served champion was loaded (Unix time).",
            ["target"],
            registry=r,
        )
        self.model_stale = Gauge(
            "crossings_model_stale",
            "1 when the registry could not be reached and the last good model is served.",
            ["target"],
            registry=r,
        )
        self.forecast_age = Gauge(
            "crossings_forecast_age_seconds",
            "Seconds since the newest default forecast served per target was computed.",
            ["target"],
            registry=r,
        )
        self.data_age = Gauge(
            "crossings_data_age_days",
            "Days between today (UTC) and the last observed day of arrivals.",
            registry=r,
        )
        self.forecasts = Counter(
            "crossings_forecasts_computed_total",
            "Forecasts computed (cache misses and scenarios).",
            registry=r,
        )
        self.archive_failures = Gauge(
            "crossings_archive_failures", "Forecasts that could not be archived.", registry=r
        )
        self.archive_pending = Gauge(
            "crossings_archive_pending", "Forecasts waiting to be archived.", registry=r
        )
        self.outbox_depth = Gauge(
            "crossings_archive_outbox_depth",
            "Issued forecasts journalled in the local outbox, not yet in the archive database.",
            registry=r,
        )
        self.archive_degraded = Gauge(
            "crossings_archive_degraded",
            "1 while the archive database does not take writes (forecasts wait in the outbox).",
            registry=r,
        )
        self.archive_write_errors = Gauge(
            "crossings_archive_write_errors",
            "Failed attempts to write to the archive database.",
            registry=r,
        )
        self.archive_pruned = Counter(
            "crossings_archive_pruned_total",
            "Scenario forecasts deleted from the archive by the retention policy.",
            registry=r,
        )
        self._computed_seen = 0
        self._pruned_seen = 0

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
            self.archive_pending.set(service.archive.pending)
            self.outbox_depth.set(service.archive.pending)
            self.archive_degraded.set(1.0 if service.archive.degraded else 0.0)
            self.archive_write_errors.set(service.archive.write_errors)
            pruned = service.archive.pruned
            self.archive_pruned.inc(max(0, pruned - self._pruned_seen))
            self._pruned_seen = pruned
        return generate_latest(self.registry)


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
            self.metrics.latency.labels(method, name).observe(time.perf_counter() - t0)
            self.metrics.requests.labels(method, name, str(status)).inc()
