"""Experiment configs: declarative YAML files in `experiments/`, validated before any run starts.

A config names the targets, the models and their hyperparameters, the backtest window, step,
horizon and weather modes, the gate metric and what to register. Every problem is reported as
a ConfigError whose message starts with the YAML key path, e.g.
``models.hurdle.history_dayz: unknown hyperparameter``.

Validation happens in two stages, both before MLflow is touched:

1. `load_config` checks the file on its own: schema (limits, targets and weather modes from
   `forecasting.contract`), model names (via the model registry) and hyperparameters (names,
   types, and an actual instantiation of each model).
2. `check_data` checks it against the processed tables: the backtest window must fit inside
   the arrivals (the backtest's own rules, worded here with the YAML key), and the weather
   must carry every variable the models need.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from forecasting import contract, schema
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_WEATHER_MODE,
    MAX_HORIZON,
    MIN_HORIZON,
    Target,
    WeatherMode,
)
from forecasting.errors import ConfigError
from forecasting.evaluation.backtest import (
    MIN_HISTORY_DAYS,
    MIN_SAMPLES,
    MODES_READING_WEATHER,
    BacktestConfig,
    missing_actuals,
    short_history,
)
from forecasting.models import create
from forecasting.training.hyperparams import check_models
from forecasting.training.window import Window, resolve_window

# Metrics the gate may use: all are "lower is better" aggregates of BacktestResult.summary().
GateMetric = Literal["crps", "wis", "pinball", "mae", "rmse", "mase", "brier"]
GATE_METRICS: tuple[str, ...] = typing.get_args(GateMetric)
Horizon = Annotated[int, Field(ge=MIN_HORIZON, le=MAX_HORIZON)]
Samples = Annotated[int, Field(ge=MIN_SAMPLES)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BacktestSpec(_Strict):
    """The rolling-origin backtest: origins every `step` days from `start` (or the last
    `n_origins` origins) to `end`, each forecasting `horizon` days."""

    start: dt.date | None = None
    end: dt.date | Literal["latest"] = "latest"
    n_origins: Annotated[int, Field(ge=1)] | None = None
    step: Annotated[int, Field(ge=1)] = 7
    horizon: Horizon = DEFAULT_HORIZON
    weather_modes: Annotated[list[WeatherMode], Field(min_length=1)] = [DEFAULT_WEATHER_MODE]
    # Issued forecasts simulated per origin in `forecast` mode, all scored.
    weather_draws: int = contract.DEFAULT_WEATHER_DRAWS
    n_samples: Samples = 500
    seed: int = 0
    n_jobs: int = -1

    @field_validator("weather_draws")
    @classmethod
    def _draws(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                "give at least 1 issued weather forecast per origin (forecast mode scores "
                f"every draw; default {contract.DEFAULT_WEATHER_DRAWS}), got {value}"
            )
        return value

    @model_validator(mode="after")
    def _window(self) -> BacktestSpec:
        if (self.start is None) == (self.n_origins is None):
            raise ValueError("give exactly one of 'start' (a date) or 'n_origins' (a count)")
        if isinstance(self.end, dt.date) and self.start is not None and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        if len(set(self.weather_modes)) != len(self.weather_modes):
            raise ValueError("weather_modes lists a mode twice")
        return self


class GateSpec(_Strict):
    """How the winner is chosen and when it may replace the champion."""

    metric: GateMetric = "crps"
    weather_mode: WeatherMode = DEFAULT_WEATHER_MODE
    min_improvement: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.005
    # The paired test's level: promote only when the gain over origins is this significant.
    significance: Annotated[float, Field(gt=0.0, le=1.0)] = 0.05


class RegistrySpec(_Strict):
    """Whether (and under which names) the winner is registered (YAML key `register`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    register_winner: bool = Field(default=True, alias="register")
    name_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = (
        contract.REGISTERED_MODEL_PREFIX
    )


class ForecastSpec(_Strict):
    """The next-week forecast drawn for every model and served by the registered model."""

    horizon: Horizon = DEFAULT_HORIZON
    n_samples: Samples = 1000


class ExperimentConfig(_Strict):
    """One experiment: targets × models, backtested the same way and gated on one metric."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    description: str = ""
    targets: Annotated[list[Target], Field(min_length=1)]
    models: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]
    backtest: BacktestSpec
    gate: GateSpec = GateSpec()
    registry: RegistrySpec = RegistrySpec()
    forecast: ForecastSpec = ForecastSpec()

    _path: Path | None = PrivateAttr(default=None)

    @field_validator("models", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        """`hurdle:` with nothing under it means default hyperparameters."""
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a target is listed twice")
        return value

    @model_validator(mode="after")
    def _gate_mode_is_backtested(self) -> ExperimentConfig:
        if self.gate.weather_mode not in self.backtest.weather_modes:
            raise ValueError(
                f"gate.weather_mode: '{self.gate.weather_mode}' is not in "
                f"backtest.weather_modes {self.backtest.weather_modes}"
            )
        return self

    # -- derived -----------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        """The YAML file this config came from (None if built in code)."""
        return self._path

    @property
    def experiment_name(self) -> str:
        """The MLflow experiment this config's runs go to."""
        return f"crossings-{self.name}"

    def registered_name(self, target: str) -> str:
        """The registry name for a target, e.g. channel-crossings-people."""
        return contract.registered_name(target, self.registry.name_prefix)

    def sha256(self) -> str:
        """Hash of the config's content (not its comments or layout)."""
        payload = json.dumps(
            self.model_dump(mode="json", by_alias=True), sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def model_params(self, name: str) -> dict[str, Any]:
        """Validated hyperparameters of one model, without the target."""
        return dict(self.models[name])

    def resolved_window(
        self, arrivals: pd.DataFrame, weather: pd.DataFrame | None = None
    ) -> Window:
        """The backtest window against the tables, with why it ends where it does. With
        ``end: latest`` and `weather` given, it ends on the last origin the arrivals and the
        weather (for the modes that read it) both support."""
        bt = self.backtest
        return resolve_window(
            arrivals,
            weather,
            end=bt.end,
            start=bt.start,
            n_origins=bt.n_origins,
            step=bt.step,
            horizon=bt.horizon,
            modes=list(bt.weather_modes),
        )

    def window(
        self, arrivals: pd.DataFrame, weather: pd.DataFrame | None = None
    ) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The backtest's first and last origin, resolved against the tables."""
        w = self.resolved_window(arrivals, weather)
        return w.start, w.end

    def backtest_config(
        self, target: str, arrivals: pd.DataFrame, weather: pd.DataFrame | None = None
    ) -> BacktestConfig:
        """The BacktestConfig of one target: all the config's models over its window."""
        start, end = self.window(arrivals, weather)
        bt = self.backtest
        return BacktestConfig(
            models=list(self.models),
            start=start,
            end=end,
            step=bt.step,
            horizon=bt.horizon,
            target=target,
            weather_modes=tuple(bt.weather_modes),
            n_samples=bt.n_samples,
            seed=bt.seed,
            n_jobs=bt.n_jobs,
            model_params={n: self.model_params(n) for n in self.models},
            weather_draws=bt.weather_draws,
        )


# -- loading ---------------------------------------------------------------------------


def _loc(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts)


def _where(path: Path | None) -> str:
    return f"{path}: " if path is not None else ""


def parse_config(data: Any, path: Path | None = None) -> ExperimentConfig:
    """Validate a parsed YAML mapping into an ExperimentConfig (ConfigError naming the key)."""
    where = _where(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}the config must be a YAML mapping of keys to values")
    data = dict(data)
    if "name" not in data and path is not None:
        data["name"] = path.stem
    try:
        cfg = ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        loc = f"{_loc(tuple(err['loc']))}: " if err["loc"] else ""
        raise ConfigError(f"{where}{loc}{msg}") from exc
    checked = check_models(cfg.models, cfg.targets, where)
    cfg = cfg.model_copy(update={"models": checked})
    cfg._path = path
    return cfg


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment config YAML file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such config file (see experiments/ for examples)")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{p}: not valid YAML{at}: {exc}") from exc
    return parse_config(data, p)


def check_data(cfg: ExperimentConfig, arrivals: pd.DataFrame, weather: pd.DataFrame) -> None:
    """Check the config against the processed tables; ConfigError naming the key if the data
    cannot support it (window outside the arrivals, weather variables missing). With
    ``backtest.end: latest`` the window ends where the arrivals and weather both reach."""
    start, end = cfg.window(arrivals, weather)
    _check_window(cfg, arrivals, start, end)
    _check_weather(cfg, weather, start, end)


def _check_window(
    cfg: ExperimentConfig, arrivals: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> None:
    """The backtest's rules on the arrivals, worded with the YAML key to change."""
    where, bt = _where(cfg.path), cfg.backtest
    first = pd.Timestamp(arrivals[schema.DATE].iloc[0])
    last = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    if (needed := missing_actuals(arrivals, end, bt.horizon)) is not None:
        key = "backtest.end" if bt.end != "latest" else "backtest.n_origins"
        raise ConfigError(
            f"{where}{key}: the last origin {end.date()} needs actuals up to "
            f"{needed.date()}, but the arrivals end {last.date()}; use 'end: latest' or an "
            "earlier date"
        )
    if short_history(arrivals, start):
        key = "backtest.start" if bt.start is not None else "backtest.n_origins"
        raise ConfigError(
            f"{where}{key}: the first origin {start.date()} leaves under "
            f"{MIN_HISTORY_DAYS} days of history (arrivals start {first.date()}); start later"
        )


def _check_weather(
    cfg: ExperimentConfig, weather: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> None:
    """The weather must reach the last forecast day (for modes that read it) and carry the
    history and variables each model needs."""
    where, bt = _where(cfg.path), cfg.backtest
    w_first = pd.Timestamp(weather[schema.DATE].iloc[0])
    w_last = pd.Timestamp(weather[schema.DATE].iloc[-1])
    needs_future = MODES_READING_WEATHER & set(bt.weather_modes)
    if needs_future and w_last < end + pd.Timedelta(days=bt.horizon - 1):
        raise ConfigError(
            f"{where}backtest.weather_modes: modes {sorted(needs_future)} need observed weather "
            f"up to {(end + pd.Timedelta(days=bt.horizon - 1)).date()}, but the weather ends "
            f"{w_last.date()}; use 'climatology' or an earlier end"
        )
    for name in cfg.models:
        model = create(name, target=cfg.targets[0], **cfg.model_params(name))
        if not model.uses_weather:
            continue
        if w_first > start - pd.Timedelta(days=365):
            raise ConfigError(
                f"{where}models.{name}: needs weather history, but the weather starts "
                f"{w_first.date()}, less than a year before the first origin {start.date()}"
            )
        for var in model.weather_variables:
            if var not in weather.columns or weather[var].isna().all():
                raise ConfigError(
                    f"{where}models.{name}: needs weather variable '{var}', which the "
                    "processed weather table does not have"
                )


def list_configs(folder: str | Path = "experiments") -> list[Path]:
    """The experiment configs in a folder, sorted by name (tuning configs, tune-*.yaml for
    `crossings tune`, are not experiment configs and are left out)."""
    return sorted(p for p in Path(folder).glob("*.yaml") if not p.name.startswith("tune-"))


__all__ = [
    "GATE_METRICS",
    "MIN_HISTORY_DAYS",
    "BacktestSpec",
    "ExperimentConfig",
    "ForecastSpec",
    "GateSpec",
    "RegistrySpec",
    "check_data",
    "list_configs",
    "load_config",
    "parse_config",
]
