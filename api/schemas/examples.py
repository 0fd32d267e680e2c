"""OpenAPI examples of the request and response bodies (documentation only).

The dates are written for data ending on EXAMPLE_DATA_AS_OF and a forecast issued on
EXAMPLE_START; the served OpenAPI document moves them to the served data's own issue date
(`api.schemas.live`), so a request copied from it is one the service accepts.

The forecast day is one self-consistent distribution (a crossing with probability 0.62, then
a count of median 265): its median, mean, bands, P(≥ k) and count if crossings happen are
read from the same samples, as a served forecast's are; the scenario's day likewise.
"""

from __future__ import annotations

from typing import Any, Final

from api.export import exceedance_csv, forecast_csv
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_LEVELS_PCT,
    DEFAULT_WEATHER_MODE,
    MAX_HORIZON,
    level_name,
    registered_name,
)

EXAMPLE_START: Final = "2026-05-15"
EXAMPLE_DATA_AS_OF: Final = "2026-05-14"
EXAMPLE_ISSUED_AT: Final = "2026-05-15T07:12:03Z"

# One example band per default level, narrowest first: {"50": {...}, "80": {...}, "95": {...}}.
_BANDS: Final[dict[str, Any]] = {
    level_name(lv): {"lo": 0, "hi": hi}
    for lv, hi in zip(DEFAULT_LEVELS_PCT, (325, 560, 892), strict=True)
}

_DAY: Final[dict[str, Any]] = {
    "date": EXAMPLE_START,
    "median": 114,
    "mean": 204.5,
    "p_any": 0.62,
    "risk": "red",
    "bands": _BANDS,
    "if_crossing": {"median": 265, "lo": 70, "hi": 677},
    "p_at_least": {"100": 0.52, "300": 0.27, "500": 0.13},
    "weather_source": "simulated",
    "weather": {"wind_mean_ms": 3.4, "gust_max_ms": 9.1},
    "weather_place": "51.45N 4.34E",
    "weather_issued_at": "2026-05-15T00:00:00Z",
}

# A hindcast: the data ends 2026-05-14, so the forecast is issued the day after.
_ISSUE: Final[dict[str, Any]] = {
    "issue_date": EXAMPLE_START,
    "hindcast": True,
    "bridged_days": 0,
    "weather_mode": DEFAULT_WEATHER_MODE,
}

FORECAST: Final[dict[str, Any]] = {
    "target": "people",
    "start": EXAMPLE_START,
    "horizon": 1,
    "days": [_DAY],
    "week_total": {"median": 114, "mean": 204.5, "bands": _BANDS},  # one day: the day's
    "risk_thresholds": {"red_above": 0.55, "green_below": 0.35},
    "band_coverage": {"50": 0.62, "80": 0.86, "95": 0.97},
    "model": {"name": "hurdle", "version": "3", "trained_at": "2026-05-15T06:00:00Z"},
    "data_as_of": EXAMPLE_DATA_AS_OF,
    "issued_at": EXAMPLE_ISSUED_AT,
    **_ISSUE,
}

SCENARIO: Final[dict[str, Any]] = {
    "target": "people",
    "start": EXAMPLE_START,
    "horizon": DEFAULT_HORIZON,
    "levels": [80, 95],
    "weather_uncertainty": "forecast",
    "weather": [
        {
            "date": EXAMPLE_START,
            "wind_mean_ms": 1.5,
            "wind_max_hourly_ms": 3.0,
            "gust_max_ms": 5.0,
            "wind_dir_deg": 200,
            "precip_mm": 0,
            "temp_mean_c": 14,
            "pressure_hpa": 1020,
        }
    ],
}

# POST /v1/forecast with SCENARIO's calm day, one day asked: the scenario's day (the fields of
# a GET day) with its baseline (the default forecast of the same request) and the difference.
_SCENARIO_BANDS: Final[dict[str, Any]] = {"80": {"lo": 0, "hi": 675}, "95": {"lo": 0, "hi": 1039}}
_BASELINE_BANDS: Final[dict[str, Any]] = {k: _BANDS[k] for k in ("80", "95")}

SCENARIO_RESPONSE: Final[dict[str, Any]] = {
    **FORECAST,
    "days": [
        {
            **_DAY,
            "median": 210,
            "mean": 282.3,
            "p_any": 0.78,
            "risk": "red",
            "bands": _SCENARIO_BANDS,
            "if_crossing": {"median": 290, "lo": 76, "hi": 739},
            "p_at_least": {"100": 0.67, "300": 0.38, "500": 0.19},
            "weather_source": "request",
            "weather": {"wind_mean_ms": 1.6, "gust_max_ms": 5.2},
            "baseline": {"p_any": 0.62, "median": 114, "mean": 204.5, "bands": _BASELINE_BANDS},
            "difference": {"p_any": 0.16, "median": 96, "mean": 77.8},
        }
    ],
    "week_total": {
        "median": 210,
        "mean": 282.3,
        "bands": _SCENARIO_BANDS,
        "baseline": {"median": 114, "mean": 204.5, "bands": _BASELINE_BANDS},
        "difference": {"median": 96, "mean": 77.8},
    },
}

EXCEEDANCE: Final[dict[str, Any]] = {
    "target": "people",
    "start": EXAMPLE_START,
    "horizon": 1,
    "thresholds": [100, 300, 500],
    "days": [
        {
            "date": EXAMPLE_START,
            "p_at_least": _DAY["p_at_least"],
            "weather_source": "simulated",
        }
    ],
    "model": {"name": "hurdle", "version": "3", "trained_at": None},
    "data_as_of": EXAMPLE_DATA_AS_OF,
    "issued_at": EXAMPLE_ISSUED_AT,
    **_ISSUE,
}

MODEL: Final[dict[str, Any]] = {
    "champions": [
        {
            "target": "people",
            "registered_model": registered_name("people"),
            "name": "hurdle",
            "version": "3",
            "trained_at": "2026-05-15T06:00:00Z",
            "data_vintage": "2026-05-15",
            "weather_source": "knmi",
            "weather_location": "Woensdrecht",
            "training_data_end": EXAMPLE_DATA_AS_OF,
            "backtest_metrics": {"crps": 61.2, "coverage_80": 0.81},
            "loaded_at": "2026-05-15T06:01:00Z",
            "status": "ok",
            "registry_error": None,
            "registry_checked_at": "2026-05-15T07:00:00Z",
        }
    ]
}

HISTORY: Final[dict[str, Any]] = {
    "from": "2026-05-13",
    "to": EXAMPLE_DATA_AS_OF,
    "vintage": "2026-05-15",
    "days": [
        {"date": "2026-05-13", "people": 0, "boats": 0},
        {"date": EXAMPLE_DATA_AS_OF, "people": 412, "boats": 7},
    ],
}

ISSUED: Final[dict[str, Any]] = {
    "date": EXAMPLE_START,
    "target": "people",
    "actual": 388,
    "forecasts": [
        {
            "forecast_id": "4f1c0f1e9b1a4d3c8f7e6d5c4b3a2910",
            "issued_at": "2026-05-14T07:12:03Z",
            "kind": "default",
            "start": EXAMPLE_START,
            "horizon": DEFAULT_HORIZON,
            "lead_days": 1,
            "model": {"name": "hurdle", "version": "3", "trained_at": None},
            "data_as_of": EXAMPLE_DATA_AS_OF,
            "median": _DAY["median"],
            "mean": _DAY["mean"],
            "p_any": _DAY["p_any"],
            "bands": {"80": _BANDS["80"]},
            "weather_source": "simulated",
            **{k: _ISSUE[k] for k in ("issue_date", "hindcast", "weather_mode")},
        }
    ],
}

READINESS: Final[dict[str, Any]] = {
    "status": "ready",
    "registry": "ok",
    "targets": {
        "people": {
            "loaded": True,
            "version": "3",
            "stale": False,
            "registry_error": None,
            "behind_data": False,
        }
    },
    "data_as_of": EXAMPLE_DATA_AS_OF,
}

RELOAD: Final[dict[str, Any]] = {
    "targets": {"people": {"previous": "3", "current": "4", "changed": True, "error": None}}
}

VALIDATION_ERROR: Final[dict[str, Any]] = {
    "detail": [
        {
            "loc": ["query", "horizon"],
            "msg": f"Input should be less than or equal to {MAX_HORIZON}",
            "type": "less_than_equal",
        }
    ]
}

# GET /v1/forecast?format=csv (or Accept: text/csv): a row per day, then the total row.
FORECAST_CSV: Final = forecast_csv(FORECAST, DEFAULT_LEVELS_PCT)

# GET /v1/forecast/exceedance?format=csv (or Accept: text/csv): one row per day.
EXCEEDANCE_CSV: Final = exceedance_csv(EXCEEDANCE)
