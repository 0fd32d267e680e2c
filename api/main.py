"""The app factory: builds the FastAPI app, its lifespan (champions, data, archive, poller),
middleware, error handlers and routers.

Run it with `crossings serve` or `uvicorn --factory api.main:create_app`.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api.admin_guard import AdminGuard
from api.archive.retention import Retention
from api.archive.store import ForecastArchive
from api.bounded import Bounded, CacheStats
from api.cache import ResponseCache, response_store
from api.champion import ChampionRefused, ChampionStore, Registry, live_check
from api.data import ObservedStore
from api.deps import ModelNotRegistered, get_registry, require_registered
from api.errors import BodyLimitMiddleware, install_error_handlers
from api.metrics import Metrics, MetricsMiddleware
from api.middleware.body_timeout import RequestLimitsMiddleware
from api.middleware.head import HeadAsGetMiddleware
from api.middleware.ratelimit import open_limiter, scenario_limiter
from api.middleware.security import SecurityHeadersMiddleware
from api.reload import start_watcher
from api.routes import admin, forecast, health, history, issued, model, outlook, page
from api.routes import verification as verification_routes
from api.schemas.live import install_live_examples, served_issue_date
from api.service import ForecastService
from api.settings import ApiSettings, get_settings
from api.verification import verify
from api.verification_cache import VerificationCache
from forecasting.providers.live import LiveForecast
from forecasting.tracking.store import TrackingUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

DESCRIPTION = """
Probabilistic forecasts of daily small-boat crossings of the English Channel (people and
boats) for RNLI and Border Force planners: for each day, the median, the mean, P(any crossing)
and prediction bands, plus the distribution of the total. Models come from the MLflow
registry's `champion` alias. Every forecast has an issue date (today, or a hindcast when the
data is old, or `as_of`): it starts from the newest arrivals without a refit, takes observed
weather before the issue date and, from it on, a weather forecast with its spread by lead (the
caller's scenario, the live Open-Meteo forecast at the model's own point, a forecast simulated
from the stored observations for a hindcast, else climatology); each day says which.

Errors: 422 (or 413 for bodies over 1 MB) with `detail[].loc` naming the field; 503 while no
model is loaded.

Each day also carries its `risk` (red when P(any crossing) > 55%, amber 35–55%, green below
35%, by default: the Home Office convention), the count if crossings happen, P(count ≥ k) and
the weather assumed (source, wind, gusts, place, when the weather forecast was issued).
`GET /v1/forecast?format=csv` (or `Accept: text/csv`) gives the same days as CSV.
"""


def _resolve(app: FastAPI, dep: Callable[..., T], *args: Any) -> T:
    """Call a dependency outside a request, honouring app.dependency_overrides."""
    fn = app.dependency_overrides.get(dep, dep)
    result: T = fn(*args)
    return result


def build_service(settings: ApiSettings, registry: Registry) -> ForecastService:
    """Wire the parts of the service from settings (no threads are started here)."""
    live = LiveForecast(
        settings.live_url,
        settings.weather_lat,
        settings.weather_lon,
        timeout=settings.weather_timeout,
        retries=settings.weather_retries,
        cache_seconds=settings.weather_cache_seconds,
        retry_seconds=settings.weather_retry_seconds,
        wait_seconds=0.0,  # a request never waits on the provider
    )
    store = ChampionStore(
        registry,
        {t: settings.registered_name(t) for t in settings.targets},
        stale_after=settings.stale_after,
        check=live_check(live, required=settings.live_required),
    )
    archive = (
        ForecastArchive(
            settings.archive_url,
            outbox=settings.archive_outbox or None,
            statement_timeout=settings.archive_statement_timeout,
            pool_timeout=settings.archive_pool_timeout,
            retention=Retention(settings.archive_scenario_retention_days),
        )
        if settings.archive_url
        else None
    )
    return ForecastService(settings, store, ObservedStore(settings.data_dir), live, archive)


def _prefetch_weather(service: ForecastService, settings: ApiSettings) -> None:
    """Ask the live provider for the champions' points before serving, waiting at most one
    fetch deadline in all: the first forecasts then have the live weather when it answers."""
    obs = service.observed.get()
    if not service.live.enabled or obs is None or service.issue_date(obs, None).hindcast:
        return  # a hindcast never asks the live provider
    points = service.live_points()
    for lat, lon in points:
        service.live.prefetch(lat, lon)
    budget = settings.weather_timeout * settings.weather_retries + 0.5
    deadline = time.monotonic() + budget
    for lat, lon in points:
        service.live.prefetch(lat, lon, wait=max(0.0, deadline - time.monotonic()))


def _require_registered(service: ForecastService) -> None:
    """Refuse to start when the registry answered that a target's registered model does
    not exist (a wrong MLFLOW_TRACKING_URI or prefix); a model that exists without a
    champion yet, or a registry out of reach, only gets a warning and 503s until it loads."""
    store = service.store
    unloaded = [store.names[t] for t in store.targets if store.get(t) is None]
    if not unloaded:
        return
    try:
        require_registered(store.registry, unloaded)
    except ModelNotRegistered as exc:
        log.error("refusing to start: %s", exc)
        if service.archive is not None:
            service.archive.close()
        raise


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load data and champions, start the archive writer, the poller and the reload watcher
    (api/reload.py); stop them after.

    A champion refused by the live-source check stops the start-up with its message; one
    that appears later through the poller is refused while the last good one keeps serving
    (see api/champion.py). So does a registry with no such registered model, or a SQLite
    registry file that does not exist; a model without a champion yet is only a warning."""
    settings = _resolve(app, get_settings)
    for warning in settings.ignored():
        log.warning("%s", warning)
    try:
        registry = _resolve(app, get_registry, settings)
    except TrackingUnavailable as exc:  # e.g. a typo in a SQLite MLFLOW_TRACKING_URI
        log.error("refusing to start: %s", exc)
        raise
    service = build_service(settings, registry)
    service.observed.reload_if_changed()
    outcomes = service.store.refresh()
    for o in outcomes:
        refused = service.store.status(o.target).refused
        if refused:  # a model served with weather it did not learn on: do not start
            log.error("refusing to start: %s", refused)
            if service.archive is not None:
                service.archive.close()
            raise ChampionRefused(refused)
        if o.error:
            log.warning("no %s champion at startup: %s", o.target, o.error)
    _require_registered(service)
    open_limiter(app.state, service)  # logs where the windows live; warns if Redis is down
    app.state.admin_guard.max_clients = settings.rate_limit_clients
    if service.archive is not None:
        service.archive.start()  # serves (forecasts wait in the outbox) with the database down
    _prefetch_weather(service, settings)
    service.store.start_polling(settings.poll_seconds, also=service.observed.reload_if_changed)
    watcher = start_watcher(service)  # an admin reload on any worker reaches this one
    app.state.service = service
    app.state.reload_watcher = watcher
    # Everything loaded so far (libraries, models, tables) lives as long as the process: move
    # it out of the garbage collector's generations so a full collection does not walk it
    # (otherwise those pauses show up as 100+ ms tail latency under load).
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        service.live.close()
        service.store.stop_polling()
        if watcher is not None:
            watcher.stop()
        if service.archive is not None:
            service.archive.close()  # bounded; what is not written stays in the outbox


def cache_stats(state: Any, responses: Bounded[Any]) -> list[CacheStats]:
    """Every in-process cache's size and limits (for /metrics): the answers, forecasts and
    track records, and the client windows of the scenario limit and the admin throttle."""
    out = [responses.stats(), state.verification.stats()]
    service: ForecastService | None = getattr(state, "service", None)
    if service is not None:
        out.append(service.cache.stats())
    limiter = scenario_limiter(state)
    if limiter is not None:
        out.append(CacheStats("rate_limit_clients", limiter.windows(), limiter.max_clients))
    guard: AdminGuard = state.admin_guard
    out.append(CacheStats("admin_clients", guard.windows(), guard.max_clients))
    return out


def create_app() -> FastAPI:
    """Build the app. Settings are read in the lifespan through `get_settings` (tests set
    `app.dependency_overrides[get_settings]`, and `[get_registry]` for a fake registry)."""
    # /docs and /redoc serve Swagger UI and ReDoc from the fastapi-offline package's own
    # copies (under /static-offline-docs), so they work with no network.
    app = FastAPIOffline(
        title="Channel crossings forecast API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    responses = response_store()  # finished forecast answers (ResponseCache)
    app.state.verification = VerificationCache(verify)  # the track record, cached
    app.state.admin_guard = AdminGuard()  # wrong admin tokens throttled per client
    metrics = Metrics(caches=lambda: cache_stats(app.state, responses))
    app.state.metrics = metrics
    install_error_handlers(app)
    for router in (
        forecast.router,
        model.router,
        history.router,
        issued.router,
        outlook.router,
        admin.router,
        health.router,
        page.router,
        verification_routes.router,
    ):
        app.include_router(router)
    install_live_examples(app, lambda: served_issue_date(app.state))  # examples the data accepts

    def body_limit() -> int:
        service = getattr(app.state, "service", None)
        if service is None:  # before the lifespan ran: the settings' default
            return int(ApiSettings.model_fields["max_body_bytes"].default)
        return int(service.settings.max_body_bytes)

    def body_read_timeout() -> float:
        service = getattr(app.state, "service", None)
        if service is None:
            return float(ApiSettings.model_fields["body_read_timeout"].default)
        return float(service.settings.body_read_timeout)

    app.add_middleware(BodyLimitMiddleware, limit=body_limit)
    app.add_middleware(
        ResponseCache,
        paths=("/v1/forecast", "/v1/forecast/exceedance"),
        service=lambda: getattr(app.state, "service", None),
        store=responses,
    )
    # Outside the cache: a cached answer is no way around the header bound.
    app.add_middleware(RequestLimitsMiddleware, timeout=body_read_timeout)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)  # nosniff; CSP and more on HTML
    app.add_middleware(HeadAsGetMiddleware)  # outermost: HEAD runs as GET, body dropped
    return app
