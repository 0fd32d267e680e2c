"""Product constants: horizon limits, band levels, targets, band names and weather modes.

Every layer (models, evaluation, tracking, the CLI, the YAML config and the API's pydantic
fields) imports these; nothing else spells them. Band and quantile columns follow the Nixtla
convention users know: ``lo-80``/``hi-80`` for an 80% band, ``q-10`` for the 10% quantile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, get_args

# -- what can be forecast --------------------------------------------------------------
Target = Literal["people", "boats"]
TARGETS: Final[tuple[Target, ...]] = get_args(Target)

MIN_HORIZON: Final = 1
MAX_HORIZON: Final = 14  # days; the weather forecast's useful range
DEFAULT_HORIZON: Final = 7
# Days between the newest arrivals and the issue date that a forecast may simulate (bridge).
MAX_BRIDGE_DAYS: Final = 14
# The most days a model simulates in one forecast: the bridge plus the asked days.
MAX_SIMULATED_DAYS: Final = MAX_BRIDGE_DAYS + MAX_HORIZON
# The season outlook (`forecasting.outlook`): cumulative totals up to this many days ahead.
MAX_OUTLOOK_DAYS: Final = 366

# -- bands -----------------------------------------------------------------------------
DEFAULT_LEVELS_PCT: Final[tuple[float, ...]] = (50, 80, 95)
MAX_LEVELS: Final = 10  # levels one request may ask for

# -- future weather --------------------------------------------------------------------
# How the days from the issue date on get their weather: `forecast` (an issued forecast plus
# its spread: live, scenario, or simulated from the observations in a backtest or hindcast),
# `observed` (hindsight: the weather that happened), `climatology` (past years), `issued`
# (archived real forecasts, for backtests).
WeatherMode = Literal["observed", "forecast", "climatology", "issued"]
WEATHER_MODES: Final[tuple[WeatherMode, ...]] = get_args(WeatherMode)
# The mode a forecast (served, issued, a config's backtest and gate) uses unless asked
# otherwise; both a WeatherMode and a ServedWeatherMode.
DEFAULT_WEATHER_MODE: Final = "forecast"
# Issued forecasts simulated per backtest origin in `forecast` mode (`--weather-draws`).
DEFAULT_WEATHER_DRAWS: Final = 5
# Where each forecast day's weather came from (FutureWeather.sources, the API's
# `weather_source`): observed before the issue date; from it on a caller's scenario
# (`request`), the live provider (`forecast`), a simulated issued forecast (`simulated`, in
# backtests and hindcasts), an archived real forecast (`issued`), the observed weather in
# hindsight (`hindsight`), or past years (`climatology`); `none` for a model that reads no
# weather.
WeatherSource = Literal[
    "observed", "request", "forecast", "simulated", "issued", "hindsight", "climatology", "none"
]
WEATHER_SOURCES: Final[tuple[WeatherSource, ...]] = get_args(WeatherSource)
NO_WEATHER: Final[WeatherSource] = "none"
# The weather modes a served forecast may ask for (the API's `weather_mode`); `issued` needs an
# archive of real forecasts and belongs to backtests.
# A caller's scenario is a weather forecast spread by lead (`forecast`), or exact (`none`).
WeatherUncertainty = Literal["forecast", "none"]
WEATHER_UNCERTAINTIES: Final[tuple[WeatherUncertainty, ...]] = get_args(WeatherUncertainty)
ServedWeatherMode = Literal["forecast", "observed", "climatology"]
SERVED_WEATHER_MODES: Final[tuple[ServedWeatherMode, ...]] = get_args(ServedWeatherMode)

# -- the registry ----------------------------------------------------------------------
# The point suggested for live weather when a champion records none: mid-Strait of Dover
# (latitude, longitude).
STRAIT_OF_DOVER: Final = (51.0, 1.5)

REGISTERED_MODEL_PREFIX: Final = "channel-crossings"
CHAMPION_ALIAS: Final = "champion"
CHALLENGER_ALIAS: Final = "challenger"


def level_name(level_pct: float) -> str:
    """How a band level is written in names and JSON keys: 80 → "80", 97.5 → "97.5"."""
    return f"{float(level_pct):.10g}"


def lo_col(level_pct: float) -> str:
    """The lower-band column of a level, e.g. ``lo-80``."""
    return f"lo-{level_name(level_pct)}"


def hi_col(level_pct: float) -> str:
    """The upper-band column of a level, e.g. ``hi-80``."""
    return f"hi-{level_name(level_pct)}"


def coverage_name(level_pct: float) -> str:
    """The backtest metric of a level's band coverage, e.g. ``coverage_80`` (the key of
    `crossings backtest --json`, the MLflow metric and a champion's ``backtest_metrics``)."""
    return f"coverage_{level_name(level_pct)}"


def band_cols(levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT) -> list[str]:
    """``lo-L, hi-L`` for each level, in order."""
    return [c for lv in levels_pct for c in (lo_col(lv), hi_col(lv))]


def quantile_col(prob: float) -> str:
    """The column of a quantile given as a probability, e.g. 0.1 → ``q-10``."""
    return f"q-{float(prob) * 100:.10g}"


def registered_name(target: str, prefix: str = REGISTERED_MODEL_PREFIX) -> str:
    """The registry name of a target's model, e.g. ``channel-crossings-people``."""
    return f"{prefix}-{target}"


def check_horizon(horizon: int) -> None:
    """Raise ValueError unless MIN_HORIZON ≤ horizon ≤ MAX_HORIZON (the core's own check;
    edges word their own messages)."""
    if not MIN_HORIZON <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be between {MIN_HORIZON} and {MAX_HORIZON}, got {horizon}")
