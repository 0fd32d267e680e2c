"""Experiment configs: declarative YAML files in `experiments/`, validated before any run starts.

A config names the targets, the models and their hyperparameters, the backtest window, step,
horizon and weather modes, the gate metric and what to register. Every problem is reported as
a ConfigError whose message starts with the YAML key path, e.g.
``models.hurdle.history_dayz: unknown hyperparameter``.

Validation happens in two stages, both before MLflow is touched:

1. `load_config` checks the file on its own: schema, model names (via the model registry),
   hyperparameters (names, types, and an actual instantiation of each model) and a dry
   `BacktestConfig`.
2. `check_data` checks it against the processed tables: the backtest window must fit inside
   the arrivals, and the weather must carry every variable the models need.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
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
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from forecasting import schema
from forecasting.errors import ConfigError
from forecasting.evaluation.backtest import BacktestConfig
from forecasting.models import REGISTRY, create, model_class
from forecasting.models.base import MAX_HORIZON
from forecasting.weather.modes import MODES

# Metrics the gate may use: all are "lower is better" aggregates of BacktestResult.summary().
GATE_METRICS = ("crps", "wis", "pinball", "mae", "rmse", "mase", "brier")
# Minimum history before the first origin, as the backtest requires.
MIN_HISTORY_DAYS = 400

WeatherMode = Literal["observed", "forecast", "climatology"]
Target = Literal["people", "boats"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BacktestSpec(_Strict):
    """The rolling-origin backtest: origins every `step` days from `start` (or the last
    `n_origins` origins) to `end`, each forecasting `horizon` days."""

    start: dt.date | None = None
    end: dt.date | Literal["latest"] = "latest"
    n_origins: Annotated[int, Field(ge=1)] | None = None
    step: Annotated[int, Field(ge=1)] = 7
    horizon: Annotated[int, Field(ge=1, le=MAX_HORIZON)] = 7
    weather_modes: Annotated[list[WeatherMode], Field(min_length=1)] = ["forecast"]
    n_samples: Annotated[int, Field(ge=10)] = 500
    seed: int = 0
    n_jobs: int = -1

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

    metric: Literal["crps", "wis", "pinball", "mae", "rmse", "mase", "brier"] = "crps"
    weather_mode: WeatherMode = "forecast"
    min_improvement: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.005


class RegistrySpec(_Strict):
    """Whether (and under which names) the winner is registered (YAML key `register`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    register_winner: bool = Field(default=True, alias="register")
    name_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")] = (
        "channel-crossings"
    )


class ForecastSpec(_Strict):
    """The next-week forecast drawn for every model and served by the registered model."""

    horizon: Annotated[int, Field(ge=1, le=MAX_HORIZON)] = 7
    n_samples: Annotated[int, Field(ge=10)] = 1000


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
        return f"{self.registry.name_prefix}-{target}"

    def sha256(self) -> str:
        """Hash of the config's content (not its comments or layout)."""
        payload = json.dumps(
            self.model_dump(mode="json", by_alias=True), sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def model_params(self, name: str) -> dict[str, Any]:
        """Validated hyperparameters of one model, without the target."""
        return dict(self.models[name])

    def window(self, arrivals: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The backtest's first and last origin, resolved against the arrivals table."""
        bt = self.backtest
        last_actual = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
        if bt.end == "latest":
            end = last_actual - pd.Timedelta(days=bt.horizon - 1)
        else:
            end = pd.Timestamp(bt.end)
        if bt.n_origins is not None:
            start = end - pd.Timedelta(days=bt.step * (bt.n_origins - 1))
        else:
            start = pd.Timestamp(bt.start)
        return start, end

    def backtest_config(
        self,
        target: str,
        arrivals: pd.DataFrame,
        models: list[str] | None = None,
        model_params: dict[str, dict[str, Any]] | None = None,
    ) -> BacktestConfig:
        """The BacktestConfig for one target (all the config's models unless given)."""
        start, end = self.window(arrivals)
        names = list(self.models) if models is None else models
        params = {n: self.model_params(n) for n in names} if model_params is None else model_params
        return self.backtest_for_window(target, start, end, names, params)

    def backtest_for_window(
        self,
        target: str,
        start: pd.Timestamp,
        end: pd.Timestamp,
        models: list[str],
        model_params: dict[str, dict[str, Any]],
    ) -> BacktestConfig:
        """The BacktestConfig for one target over an explicit window of origins."""
        bt = self.backtest
        return BacktestConfig(
            models=models,
            start=start,
            end=end,
            step=bt.step,
            horizon=bt.horizon,
            target=target,
            weather_modes=tuple(bt.weather_modes),
            n_samples=bt.n_samples,
            seed=bt.seed,
            n_jobs=bt.n_jobs,
            model_params=model_params,
        )


# -- loading ---------------------------------------------------------------------------


def _loc(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts)


def _where(path: Path | None) -> str:
    return f"{path}: " if path is not None else ""


def _hyperparameter_hints(name: str) -> dict[str, Any]:
    cls = model_class(name)
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # unresolved annotations: fall back to no type checks
        hints = {}
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    return {p: hints.get(p, Any) for p in params}


def _check_value(hint: Any, value: Any) -> Any:
    """Validate one hyperparameter against its annotation: strict for scalars (no '3' for
    3, no true for 1), YAML lists accepted for tuples."""
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        value = tuple(value)
    if hint is Any:
        return value
    return TypeAdapter(hint).validate_python(value, strict=True)


def validate_models(cfg: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Check each model name and hyperparameter; returns the type-checked hyperparameters.

    Instantiates every model once per target, so a model's own checks run too.
    """
    where = _where(cfg.path)
    checked: dict[str, dict[str, Any]] = {}
    for name, params in cfg.models.items():
        if name not in REGISTRY:
            raise ConfigError(
                f"{where}models.{name}: unknown model; known models: {', '.join(sorted(REGISTRY))}"
            )
        try:
            hints = _hyperparameter_hints(name)
        except ConfigError as exc:  # e.g. an optional dependency is missing
            raise ConfigError(f"{where}models.{name}: {exc}") from exc
        out: dict[str, Any] = {}
        for key, value in params.items():
            if key == "target":
                raise ConfigError(
                    f"{where}models.{name}.target: set the targets at the top level ('targets')"
                )
            if key not in hints:
                known = ", ".join(k for k in hints if k != "target")
                raise ConfigError(
                    f"{where}models.{name}.{key}: unknown hyperparameter; {name} takes {known}"
                )
            try:
                out[key] = _check_value(hints[key], value)
            except ValidationError as exc:
                msg = exc.errors()[0]["msg"]
                raise ConfigError(
                    f"{where}models.{name}.{key}: bad value {value!r} ({msg})"
                ) from exc
        for target in cfg.targets:
            try:
                create(name, target=target, **out)
            except Exception as exc:  # the model's own checks, whatever they raise
                raise ConfigError(f"{where}models.{name}: {exc}") from exc
        checked[name] = out
    return checked


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
    cfg._path = path
    checked = validate_models(cfg)
    cfg = cfg.model_copy(update={"models": checked})
    cfg._path = path
    # A dry BacktestConfig catches anything the schema above does not.
    bt = cfg.backtest
    start = pd.Timestamp(bt.start or "2020-01-06")
    end = pd.Timestamp(bt.end) if bt.end != "latest" else start
    for target in cfg.targets:
        try:
            cfg.backtest_for_window(target, start, max(start, end), list(cfg.models), checked)
        except ConfigError as exc:
            raise ConfigError(f"{where}backtest: {exc}") from exc
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
    cannot support it (window outside the arrivals, weather variables missing)."""
    where = _where(cfg.path)
    bt = cfg.backtest
    first = pd.Timestamp(arrivals[schema.DATE].iloc[0])
    last = pd.Timestamp(arrivals[schema.DATE].iloc[-1])
    start, end = cfg.window(arrivals)
    end_key = "backtest.end" if bt.end != "latest" else "backtest.n_origins"
    if end + pd.Timedelta(days=bt.horizon - 1) > last:
        raise ConfigError(
            f"{where}{end_key}: the last origin {end.date()} needs actuals up to "
            f"{(end + pd.Timedelta(days=bt.horizon - 1)).date()}, but the arrivals end "
            f"{last.date()}; use 'end: latest' or an earlier date"
        )
    start_key = "backtest.start" if bt.start is not None else "backtest.n_origins"
    if start - first < pd.Timedelta(days=MIN_HISTORY_DAYS):
        raise ConfigError(
            f"{where}{start_key}: the first origin {start.date()} leaves under "
            f"{MIN_HISTORY_DAYS} days of history (arrivals start {first.date()}); start later"
        )
    w_first = pd.Timestamp(weather[schema.DATE].iloc[0])
    w_last = pd.Timestamp(weather[schema.DATE].iloc[-1])
    needs_future = {"observed", "forecast"} & set(bt.weather_modes)
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
    """The YAML configs in a folder, sorted by name."""
    return sorted(Path(folder).glob("*.yaml"))


__all__ = [
    "GATE_METRICS",
    "MODES",
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
