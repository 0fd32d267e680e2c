"""Typed service settings read from CROSSINGS_* environment variables (and MLFLOW_TRACKING_URI).

They extend the library's `Settings` (where data lives), so the CLI and the API read the one
declaration of each shared variable, such as CROSSINGS_DATA_DIR.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator

from api.reading import EXCEEDANCE, GREEN_BELOW, RED_ABOVE
from forecasting.contract import (
    CHAMPION_ALIAS,
    REGISTERED_MODEL_PREFIX,
    STRAIT_OF_DOVER,
    TARGETS,
    registered_name,
)
from forecasting.settings import Settings

# The live weather forecast's base URL when CROSSINGS_OPEN_METEO_URL is unset.
DEFAULT_OPEN_METEO_URL = "https://api.open-meteo.com"
# The settings that bound a cache (entries or bytes): each must be positive.
CACHE_LIMITS = (
    "forecast_cache_size",
    "forecast_cache_bytes",
    "response_cache_entries",
    "response_cache_bytes",
    "verification_cache_entries",
    "rate_limit_clients",
)


class ApiSettings(Settings):
    """Everything the API reads from the environment. Every field can be set as
    CROSSINGS_<FIELD> (case-insensitive); the registry comes from MLFLOW_TRACKING_URI.
    `data_dir` (and `source_dir`) come from the base `Settings`."""

    admin_token: str = Field(
        default="", description="Bearer token for /v1/admin/*; empty disables."
    )
    archive_url: str = Field(
        default="sqlite:///forecast_archive.db",
        description="SQLAlchemy URL of the forecast archive (sqlite or postgresql).",
    )
    archive_outbox: str = Field(
        default="",
        description="Path of the durable local outbox (SQLite) that issued forecasts are "
        "journalled in before the archive database takes them; empty: beside a SQLite "
        "archive, else forecast_outbox.db in the working directory.",
    )
    archive_statement_timeout: float = Field(
        default=3.0, gt=0, le=60, description="Seconds an archive statement (or lock) may wait."
    )
    archive_pool_timeout: float = Field(
        default=1.0, gt=0, le=60, description="Seconds to wait for a free archive connection."
    )
    archive_scenario_retention_days: float | None = Field(
        default=30.0,
        ge=0,
        description="Days a POST scenario forecast is kept in the archive (pruned hourly by "
        "the archive writer); 0 or empty: forever. Default forecasts are always kept.",
    )
    scenario_rate_limit: str = Field(
        default="60/minute",
        description="POST scenario forecasts one client (IP address) may make, a moving "
        "window such as '60/minute' or '10/second;500/day'; empty disables. Over it: 429 "
        "with Retry-After.",
    )
    scenario_rate_limit_storage: str = Field(
        default="memory://",
        description="Where the rate-limit windows live: 'memory://' (each process, so each "
        "replica, its own) or a shared 'redis://host:6379'.",
    )
    mlflow_tracking_uri: str = Field(
        default="sqlite:///mlruns.db",
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "CROSSINGS_MLFLOW_TRACKING_URI"),
        description="MLflow tracking/registry URI, the same default as training.",
    )
    model_name_prefix: str = Field(
        default=REGISTERED_MODEL_PREFIX, description="Registered models are <prefix>-<target>."
    )
    champion_alias: str = Field(
        default=CHAMPION_ALIAS, description="The registry alias of the model to serve."
    )
    targets: tuple[str, ...] = Field(default=TARGETS, description="Targets to serve.")
    poll_seconds: float = Field(default=60.0, ge=0, description="Alias poll interval; 0 disables.")
    stale_after_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Report the model stale when the registry was last reached longer ago "
        "than this (0: three poll intervals).",
    )
    n_samples: int = Field(default=1000, ge=50, le=20000, description="Sample paths per forecast.")
    scenario_samples: int | None = Field(
        default=None,
        description="Deprecated and ignored (a warning is logged at start when set): a POST "
        "scenario is compared with the default forecast of the same request, so it uses the "
        "same sample paths, `n_samples`.",
    )
    forecast_cache_seconds: float = Field(
        default=600.0, ge=0, description="How long a default-weather forecast is reused."
    )
    forecast_cache_size: int = Field(
        default=256,
        description="Most default-weather forecasts one process keeps (the least recently "
        "used go first); a cache limit, so positive.",
    )
    forecast_cache_bytes: int = Field(
        default=160_000_000,
        description="Most bytes of sample paths, weather paths and renderings the forecast "
        "cache keeps per process (estimated from the arrays; a cache limit, so positive).",
    )
    response_cache_entries: int = Field(
        default=1024,
        description="Most finished GET /v1/forecast and /v1/forecast/exceedance responses "
        "one process keeps (api/cache.py); a cache limit, so positive.",
    )
    response_cache_bytes: int = Field(
        default=32_000_000,
        description="Most bytes of headers and bodies those responses take; a cache limit.",
    )
    verification_cache_entries: int = Field(
        default=64,
        description="Most /v1/verification answers one process keeps; a cache limit.",
    )
    rate_limit_clients: int = Field(
        default=100_000,
        description="Most client addresses whose windows one process keeps in memory (the "
        "scenario limit with memory://, and the admin throttle): beyond it the clients with "
        "no request in their window are forgotten, then the longest known; a cache limit.",
    )
    open_meteo_url: str | None = Field(
        default=None,
        description="Open-Meteo base URL of the live weather forecast. Unset: "
        f"{DEFAULT_OPEN_METEO_URL}, used for the champions that learned on Open-Meteo weather "
        "at a known point and not for the others (they are served without it, and say so). "
        "Set: the same URL, and a champion that did not learn on Open-Meteo weather is "
        "refused at start. Empty: no live forecast.",
    )
    weather_lat: float = Field(
        default=STRAIT_OF_DOVER[0],
        ge=-90,
        le=90,
        description="The point suggested for training on Open-Meteo weather when a champion "
        "without a recorded point is refused; the live provider asks for each champion's own "
        "point (its registry metadata).",
    )
    weather_lon: float = Field(default=STRAIT_OF_DOVER[1], ge=-180, le=180)
    weather_timeout: float = Field(default=2.0, gt=0, description="Seconds per provider request.")
    weather_retries: int = Field(default=1, ge=1, le=5)
    weather_cache_seconds: float = Field(
        default=900.0, ge=0, description="Reuse a provider answer."
    )
    weather_retry_seconds: float = Field(
        default=60.0,
        ge=0,
        description="After a provider failure, wait this long before trying again.",
    )
    today: date | None = Field(
        default=None,
        description="Pin today's date (YYYY-MM-DD), the default issue date; unset: the UTC "
        "date now. For tests and demonstrations.",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Larger bodies get a 413.")
    body_read_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a request body may take to arrive in full; then 408.",
    )
    header_read_timeout: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Seconds a connection may take to send a request's line and headers, "
        "counted from when it opens or goes idle after an answer (keep-alive); then the "
        "server closes it (with a 408 when part of a request had arrived). Read by "
        "`crossings serve` (api/middleware/connection.py).",
    )
    risk_red_above: float = Field(
        default=RED_ABOVE, gt=0, lt=1, description="A day is red when P(any crossing) > this."
    )
    risk_green_below: float = Field(
        default=GREEN_BELOW,
        gt=0,
        lt=1,
        description="A day is green when P(any crossing) < this; amber in between.",
    )
    exceedance_people: tuple[int, ...] = Field(
        default=EXCEEDANCE["people"],
        max_length=6,
        description="People counts k whose P(count ≥ k) each day shows (JSON list).",
    )
    exceedance_boats: tuple[int, ...] = Field(
        default=EXCEEDANCE["boats"],
        max_length=6,
        description="Boat counts k whose P(count ≥ k) each day shows (JSON list).",
    )

    @property
    def live_url(self) -> str:
        """The live provider's base URL ("" when it is off)."""
        return DEFAULT_OPEN_METEO_URL if self.open_meteo_url is None else self.open_meteo_url

    @property
    def live_required(self) -> bool:
        """Whether the operator asked for the live provider: then a champion it cannot serve
        is refused at start, instead of being served without it."""
        return bool(self.open_meteo_url and self.open_meteo_url.strip())

    @field_validator("archive_scenario_retention_days", mode="before")
    @classmethod
    def _empty_is_forever(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*CACHE_LIMITS)
    @classmethod
    def _positive_limit(cls, value: int, info: ValidationInfo) -> int:
        if value < 1:
            raise ValueError(
                f"CROSSINGS_{str(info.field_name).upper()} must be a positive whole number (it "
                f"bounds a cache's memory), got {value}"
            )
        return value

    @field_validator("scenario_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from api.rate_limit_rules import parse_limit

        parse_limit(value)  # ValueError naming the setting and the expected form
        return value.strip()

    @field_validator("scenario_rate_limit_storage")
    @classmethod
    def _check_rate_limit_storage(cls, value: str) -> str:
        from api.rate_limit_rules import check_storage

        return check_storage(value)

    @model_validator(mode="after")
    def _check_reading(self) -> ApiSettings:
        if self.risk_green_below > self.risk_red_above:
            raise ValueError(
                f"CROSSINGS_RISK_GREEN_BELOW ({self.risk_green_below}) must not exceed "
                f"CROSSINGS_RISK_RED_ABOVE ({self.risk_red_above})"
            )
        for name in ("exceedance_people", "exceedance_boats"):
            ks = getattr(self, name)
            if any(k < 1 for k in ks) or len(set(ks)) != len(ks):
                raise ValueError(f"CROSSINGS_{name.upper()} must list distinct counts ≥ 1")
            object.__setattr__(self, name, tuple(sorted(ks)))
        return self

    def registered_name(self, target: str) -> str:
        """The registered model name for a target, e.g. channel-crossings-people."""
        return registered_name(target, self.model_name_prefix)

    def current_date(self) -> date:
        """Today: the pinned `today`, else the UTC date now."""
        return self.today if self.today is not None else datetime.now(UTC).date()

    def ignored(self) -> list[str]:
        """Warnings about settings that are still accepted but no longer do anything."""
        if self.scenario_samples is None:
            return []
        return [
            f"CROSSINGS_SCENARIO_SAMPLES ({self.scenario_samples}) is deprecated and ignored: "
            "a scenario is compared with the default forecast of the same request, so it uses "
            f"the same {self.n_samples} sample paths and streams (CROSSINGS_N_SAMPLES); "
            "remove the setting"
        ]

    @property
    def stale_after(self) -> float:
        """Seconds without a successful registry check after which the model is stale."""
        if self.stale_after_seconds > 0:
            return self.stale_after_seconds
        return 3 * self.poll_seconds if self.poll_seconds > 0 else float("inf")


@lru_cache
def get_settings() -> ApiSettings:
    """The process-wide settings, read once; tests override this with dependency_overrides."""
    return ApiSettings()
