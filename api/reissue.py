"""Backfill the forecast archive with forecasts as they would have been issued (hindcasts).

A fresh install has an empty archive, so the track record (`/v1/verification`) has nothing
to score. `reissue(service, ...)` issues, for every issue date T in a window, the forecast the
service would have served on T, through the service's own path (`ForecastService.issue_as`:
the same issue date, seed, weather chain and archiving as a default forecast): the honest
`forecast` weather mode (a weather forecast simulated from the observations, spread by lead),
labelled as a hindcast (`hindcast: true` in its inputs, kind `reissue`). Beside each, the
`climatology` model's forecast issued on the same T is archived as kind `reference`.

The champion's parameters: by default the model is refitted every `refit_every` days (the
scheduled weekly retrain) on the arrivals and weather strictly before the refit day, so no
forecast has seen its outcome; its version is archived as ``<version>+refit-<day>``. With
``refit_every=0`` the registered champion is used as it is, exactly what `as_of=T` serves now
(its parameters may have seen the days it forecasts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd

from api.champion import Champion
from api.service import Ask, ForecastService
from api.verification import REFERENCE_KIND, reference_champion
from forecasting import schema
from forecasting.contract import DEFAULT_HORIZON

log = logging.getLogger(__name__)

REISSUE_KIND = "reissue"
DEFAULT_REFIT_EVERY = 7


@dataclass(frozen=True)
class ReissueSummary:
    """What one target's backfill did."""

    target: str
    issued: int
    skipped: int  # issue dates already reissued in the archive


def _already(service: ForecastService, target: str, first: date, last: date) -> set[date]:
    """Issue dates in first..last that already have a reissued forecast for `target`."""
    assert service.archive is not None
    rows = service.archive.verifiable(
        target, first, last + timedelta(days=DEFAULT_HORIZON * 2), (REISSUE_KIND,)
    )
    days = {date.fromisoformat(r["inputs"]["issue_date"]) for r in rows}
    return {d for d in days if first <= d <= last}


def refit(champ: Champion, service: ForecastService, day: date) -> Champion:
    """`champ`'s model with its hyperparameters, fitted on the data strictly before `day`."""
    obs = service.observed_data()
    ts = pd.Timestamp(day)
    arrivals = obs.arrivals.loc[obs.arrivals[schema.DATE] < ts]
    weather = obs.weather.loc[pd.to_datetime(obs.weather[schema.DATE]) < ts]
    model = champ.forecaster.clone().fit(
        arrivals, weather if champ.forecaster.uses_weather else None
    )
    return replace(champ, forecaster=model, version=f"{champ.version}+refit-{day.isoformat()}")


def reissue(
    service: ForecastService,
    targets: Iterable[str],
    first: date,
    last: date,
    *,
    horizon: int = DEFAULT_HORIZON,
    refit_every: int = DEFAULT_REFIT_EVERY,
    progress: Callable[[str, date], None] | None = None,
) -> list[ReissueSummary]:
    """Issue and archive the forecast and its climatology reference for every issue date in
    `first`..`last` and target (see the module doc); dates already reissued are skipped.
    Raises InvalidInput (from the service) for a window the data cannot support."""
    if service.archive is None:
        raise ValueError("no forecast archive is configured (CROSSINGS_ARCHIVE_URL)")
    service.archive.create_schema()
    out = []
    for target in targets:
        champ, reference = service.champion(target), reference_champion(service, target)
        done = _already(service, target, first, last)
        issued = 0
        model, fitted_on = champ, None
        for i in range((last - first).days + 1):
            t = first + timedelta(days=i)
            if t in done:
                continue
            if refit_every > 0:
                refit_day = first + timedelta(days=(i // refit_every) * refit_every)
                if refit_day != fitted_on:
                    model, fitted_on = refit(champ, service, refit_day), refit_day
            service.issue_as(REISSUE_KIND, model, Ask(horizon=horizon, as_of=t))
            service.issue_as(REFERENCE_KIND, reference, Ask(horizon=horizon, as_of=t))
            issued += 1
            if progress is not None:
                progress(target, t)
        out.append(ReissueSummary(target, issued, len(done)))
        log.info("reissued %d %s forecasts (%d already archived)", issued, target, len(done))
    service.archive.flush()
    return out
