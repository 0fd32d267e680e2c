"""OpenAPI examples of the request and response bodies (documentation only)."""

from __future__ import annotations

from typing import Any, Final

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
    for lv, hi in zip(DEFAULT_LEVELS_PCT, (210, 480, 760), strict=True)
}

_DAY: Final[dict[str, Any]] = {
    "date": EXAMPLE_START,
    "median": 0,
    "mean": 151.3,
    "p_any": 0.42,
    "risk": "amber",
    "bands": _BANDS,
    "if_crossing": {"median": 310, "lo": 60, "hi": 720},
    "p_at_least": {"100": 0.36, "300": 0.22, "500": 0.09},
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
    "week_total": {"median": 0, "mean": 151.3, "bands": _BANDS},
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
_SCENARIO_BANDS: Final[dict[str, Any]] = {"80": {"lo": 0, "hi": 560}, "95": {"lo": 0, "hi": 830}}
_BASELINE_BANDS: Final[dict[str, Any]] = {"80": {"lo": 0, "hi": 480}, "95": {"lo": 0, "hi": 760}}

SCENARIO_RESPONSE: Final[dict[str, Any]] = {
    **FORECAST,
    "days": [
        {
            **_DAY,
            "median": 24,
            "mean": 198.6,
            "p_any": 0.58,
            "risk": "red",
            "bands": _SCENARIO_BANDS,
            "if_crossing": {"median": 320, "lo": 70, "hi": 740},
            "p_at_least": {"100": 0.47, "300": 0.29, "500": 0.13},
            "weather_source": "request",
            "weather": {"wind_mean_ms": 1.6, "gust_max_ms": 5.2},
            "baseline": {"p_any": 0.42, "median": 0, "mean": 151.3, "bands": _BASELINE_BANDS},
            "difference": {"p_any": 0.16, "median": 24, "mean": 47.3},
        }
    ],
    "week_total": {
        "median": 24,
        "mean": 198.6,
        "bands": _SCENARIO_BANDS,
        "baseline": {"median": 0, "mean": 151.3, "bands": _BASELINE_BANDS},
        "difference": {"median": 24, "mean": 47.3},
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
            "p_at_least": {"100": 0.38, "300": 0.21, "500": 0.09},
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
            "median": 0,
            "mean": 151.3,
            "p_any": 0.42,
            "bands": {"80": {"lo": 0, "hi": 480}},
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

# GET /v1/forecast?format=csv (or Accept: text/csv): one row per day.
FORECAST_CSV: Final = (
    "date,median,mean,p_any,risk,lo-50,hi-50,lo-80,hi-80,lo-95,hi-95,"
    "p_ge_100,p_ge_300,p_ge_500,if_crossing_median,if_crossing_lo,if_crossing_hi,"
    "weather_source,wind_mean_ms,gust_max_ms\r\n"
    "2026-05-15,0,151.3,0.42,amber,0,210,0,480,0,760,0.36,0.22,0.09,310,60,720,simulated,3.4,9.1\r\n"
)

# GET /v1/forecast/exceedance?format=csv (or Accept: text/csv): one row per day.
EXCEEDANCE_CSV: Final = (
    "date,p_ge_2,p_ge_5,p_ge_10,weather_source,target,issue_date\r\n"
    "2026-05-15,0.41,0.37,0.27,simulated,boats,2026-05-15\r\n"
)
