"""What a forecast was computed from, as archived with it: its issue date, weather mode and
sources, seeds, the weather it simulated (mean by day), the observed data's version and a
caller's scenario. The forecast's id is a key of these (`Issued.content_key`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from forecasting.issuing import IssuedForecast


def archive_inputs(
    fc: IssuedForecast,
    *,
    hindcast: bool,
    observed_version: str,
    point: tuple[float, float] | None,
    provider_error: str | None,
    requested: Mapping[date, Mapping[str, float]] | None,
    uncertainty: bool,
) -> dict[str, Any]:
    """The archived inputs of `fc`; `point` is the live provider's weather point asked (None
    when it was not asked) and `provider_error` why its last fetch there failed."""
    fw = fc.weather
    inputs: dict[str, Any] = {
        "issue_date": fc.spec.issue_date.date().isoformat(),
        "hindcast": hindcast,
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
        "observed_version": observed_version,
        "forecast_provider_error": provider_error,
    }
    if requested:
        inputs["scenario"] = {d.isoformat(): v for d, v in requested.items()}
    return inputs
