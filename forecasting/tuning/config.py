"""The tuning config (`crossings tune --config experiments/tune-hurdle.yaml`), validated first.

A tuning config names a base experiment (a path to an experiment config, relative to the
tuning file, or the experiment inline), the model and target to tune, backtest overrides that
keep each trial small, the search space and the study (name, direction, sampler, pruner,
origins per pruning step). Every problem is a ConfigError whose message starts with the
file and the YAML key path, e.g. ``search_space.ridge: low 10.0 is above high 0.1``.

Trials are scored in honest `forecast` weather mode on the base's gate metric: the trial
experiment is the base with only the tuned model, the tuned target, the overrides, and
``weather_modes: [forecast]``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from forecasting.contract import DEFAULT_WEATHER_MODE, Target, WeatherMode
from forecasting.errors import ConfigError
from forecasting.training.config import ExperimentConfig, parse_config
from forecasting.training.hyperparams import check_models

# What a deployment has: the objective is scored in it.
HONEST_MODE: Final[WeatherMode] = DEFAULT_WEATHER_MODE
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntParam(_Strict):
    """An integer hyperparameter in [low, high], every `step`, optionally on a log scale."""

    type: Literal["int"]
    low: Annotated[int, Field(strict=True)]
    high: Annotated[int, Field(strict=True)]
    step: Annotated[int, Field(ge=1, strict=True)] = 1
    log: bool = False

    @model_validator(mode="after")
    def _range(self) -> IntParam:
        _check_range(self.low, self.high, self.log)
        if self.log and self.step != 1:
            raise ValueError("give either 'step' or 'log: true', not both")
        return self


class FloatParam(_Strict):
    """A real hyperparameter in [low, high], optionally every `step` or on a log scale."""

    type: Literal["float"]
    low: float
    high: float
    step: Annotated[float, Field(gt=0)] | None = None
    log: bool = False

    @model_validator(mode="after")
    def _range(self) -> FloatParam:
        _check_range(self.low, self.high, self.log)
        if self.log and self.step is not None:
            raise ValueError("give either 'step' or 'log: true', not both")
        return self


class CategoricalParam(_Strict):
    """A hyperparameter taking one of `choices`."""

    type: Literal["categorical"]
    choices: Annotated[list[Scalar], Field(min_length=1)]


def _check_range(low: float, high: float, log: bool) -> None:
    if low > high:
        raise ValueError(f"low {low} is above high {high}; swap them")
    if log and low <= 0:
        raise ValueError(f"a log scale needs low > 0, got {low}")


Param = Annotated[IntParam | FloatParam | CategoricalParam, Field(discriminator="type")]


class SamplerSpec(_Strict):
    """How trials pick their parameters: TPE (default) or random, seeded."""

    type: Literal["tpe", "random"] = "tpe"
    seed: int = 0


class PrunerSpec(_Strict):
    """When a trial stops early: against the median (or a percentile) of earlier trials'
    running score at the same number of origins, or never (`none`)."""

    type: Literal["median", "percentile", "none"] = "median"
    n_startup_trials: Annotated[int, Field(ge=0)] = 3
    n_warmup_steps: Annotated[int, Field(ge=0)] = 0
    percentile: Annotated[float, Field(gt=0, lt=100)] = 50.0


class StudySpec(_Strict):
    """The Optuna study: its name (shared by every process on one storage) and policy."""

    name: Name | None = None
    direction: Literal["minimize"] = "minimize"  # every gate metric is lower-is-better
    sampler: SamplerSpec = SamplerSpec()
    pruner: PrunerSpec = PrunerSpec()
    origins_per_step: Annotated[int, Field(ge=1)] = 2  # origins scored between pruning checks


class TuneConfig(_Strict):
    """A tuning config (see module doc)."""

    base: str | dict[str, Any]
    model: Name
    target: Target | None = None
    backtest: dict[str, Any] = {}
    search_space: Annotated[dict[str, Param], Field(min_length=1)]
    study: StudySpec = StudySpec()
    output: str | None = None


class TuneSpec:
    """A validated tuning config with its base experiment resolved."""

    def __init__(self, cfg: TuneConfig, base: dict[str, Any], path: Path | None) -> None:
        self.cfg = cfg
        self.base_raw = base  # the base experiment mapping, as written
        self.path = path
        self.base = parse_config(copy.deepcopy(base))
        self.target: str = cfg.target or self.base.targets[0]
        self.trial_experiment = _trial_experiment(self, base)

    @property
    def study_name(self) -> str:
        """The study's name: `study.name`, else the tuning file's stem."""
        return self.cfg.study.name or (self.path.stem if self.path else "tune")

    @property
    def metric(self) -> str:
        """The objective: the base's gate metric (lower is better)."""
        return self.base.gate.metric

    def output_path(self, out: Path | None = None) -> Path:
        """Where the best trial's config goes: `out`, else `output` beside the tuning file,
        else tuned-<model>.yaml beside it."""
        if out is not None:
            return out
        folder = self.path.parent if self.path else Path(".")
        return folder / (self.cfg.output or f"tuned-{self.cfg.model}.yaml")

    def model_params(self, trial_params: dict[str, Any]) -> dict[str, Any]:
        """The tuned model's hyperparameters: the base's, overridden by a trial's."""
        return {**self.base.model_params(self.cfg.model), **trial_params}


def _trial_experiment(spec: TuneSpec, base: dict[str, Any]) -> ExperimentConfig:
    """The experiment every trial backtests: the base with only the tuned model and target,
    the backtest overrides, and honest forecast weather."""
    cfg, where = spec.cfg, _where(spec.path)
    if cfg.model not in spec.base.models:
        raise ConfigError(
            f"{where}model: '{cfg.model}' is not among the base experiment's models "
            f"({', '.join(spec.base.models)}); add it there or pick one of them"
        )
    if spec.target not in spec.base.targets:
        raise ConfigError(
            f"{where}target: '{spec.target}' is not among the base experiment's targets "
            f"({', '.join(spec.base.targets)})"
        )
    _check_space(spec, where)
    backtest = {**base.get("backtest", {}), **cfg.backtest, "weather_modes": [HONEST_MODE]}
    if backtest.get("start") is not None and "n_origins" in cfg.backtest:
        backtest.pop("start")  # the override's n_origins replaces the base's start
    if backtest.get("n_origins") is not None and "start" in cfg.backtest:
        backtest.pop("n_origins")
    trial = {
        **copy.deepcopy(base),
        "name": f"{spec.study_name}-trial",
        "targets": [spec.target],
        "models": {cfg.model: base["models"][cfg.model]},
        "backtest": backtest,
        "gate": {**base.get("gate", {}), "weather_mode": HONEST_MODE},
    }
    try:
        return parse_config(trial)
    except ConfigError as exc:
        raise ConfigError(f"{where}backtest (overrides on the base's backtest): {exc}") from exc


def _check_space(spec: TuneSpec, where: str) -> None:
    """Each searched name is a hyperparameter of the model, and its bounds (or every choice)
    make a model the model accepts."""
    model, targets = spec.cfg.model, [spec.target]
    for key, param in spec.cfg.search_space.items():
        values = (
            param.choices
            if isinstance(param, CategoricalParam)
            else [param.low, param.high]
            if isinstance(param, IntParam)
            else [float(param.low), float(param.high)]
        )
        for value in values:
            try:
                check_models({model: {**spec.base.model_params(model), key: value}}, targets)
            except ConfigError as exc:
                msg = str(exc).removeprefix(f"models.{model}.{key}: ")
                msg = msg.removeprefix(f"models.{model}: ")
                raise ConfigError(f"{where}search_space.{key}: {msg}") from exc


def _where(path: Path | None) -> str:
    return f"{path}: " if path is not None else ""


def _message(exc: ValidationError) -> str:
    """The first error as 'key.path: message' (the param type tag left out of the path)."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    if len(loc) > 2 and loc[0] == "search_space" and loc[2] in ("int", "float", "categorical"):
        del loc[2]
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
        msg = "give 'type: int', 'type: float' or 'type: categorical'"
    return f"{'.'.join(loc)}: {msg}" if loc else msg


def _read_yaml(path: Path, what: str) -> Any:
    if not path.is_file():
        raise ConfigError(f"{path}: no such {what} (see experiments/ for examples)")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def parse_tune_config(data: Any, path: Path | None = None) -> TuneSpec:
    """Validate a parsed tuning YAML mapping (ConfigError naming the key)."""
    where = _where(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}the tuning config must be a YAML mapping of keys to values")
    try:
        cfg = TuneConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}{_message(exc)}") from exc
    if isinstance(cfg.base, str):
        base_path = (path.parent if path else Path(".")) / cfg.base
        try:
            base = _read_yaml(base_path, "base experiment config")
        except ConfigError as exc:
            raise ConfigError(f"{where}base: {exc}") from exc
        if not isinstance(base, dict):
            raise ConfigError(f"{where}base: {base_path} must be a YAML mapping")
        base.setdefault("name", base_path.stem)
    else:
        base = {"name": f"tuned-{cfg.model}", **cfg.base}
    try:
        return TuneSpec(cfg, base, path)
    except ConfigError as exc:
        text = str(exc)
        raise ConfigError(text if text.startswith(where) else f"{where}base: {text}") from exc


def load_tune_config(path: str | Path) -> TuneSpec:
    """Read and validate a tuning config file."""
    p = Path(path)
    return parse_tune_config(_read_yaml(p, "tuning config file"), p)


__all__ = [
    "HONEST_MODE",
    "CategoricalParam",
    "FloatParam",
    "IntParam",
    "TuneConfig",
    "TuneSpec",
    "load_tune_config",
    "parse_tune_config",
]
