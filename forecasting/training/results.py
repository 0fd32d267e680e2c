"""What a training job reports: each model's run, the gate's decision, per target and overall."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forecasting.contract import DEFAULT_WEATHER_MODE, WeatherMode

# progress(stage, done, total): the CLI draws it as a progress bar.
ProgressFn = Callable[[str, int, int], None]


@dataclass
class ModelRun:
    """One model's nested run for one target."""

    target: str
    model: str
    params: dict[str, Any]
    run_id: str
    gate_score: float
    metrics: dict[str, float]
    fit_seconds_median: float


@dataclass
class GateDecision:
    """What the gate decided for one target's winner."""

    registered_name: str
    version: str
    alias: str
    promoted: bool
    challenger_score: float
    champion_version: str | None
    champion_score: float | None
    champion_reevaluated: bool
    reason: str
    p_value: float | None = None  # the paired test's (None: no champion or no test)


@dataclass
class TargetResult:
    """A target's runs, winner and (if registered) the gate decision."""

    target: str
    runs: list[ModelRun]
    winner: str
    decision: GateDecision | None = None

    def run_for(self, model: str) -> ModelRun:
        """The run of `model`."""
        return next(r for r in self.runs if r.model == model)


@dataclass
class TrainResult:
    """Everything a caller (CLI, retrain, tests) needs to know about a training job."""

    config_name: str
    experiment_name: str
    experiment_id: str
    parent_run_id: str
    tracking_uri: str
    manifest_sha256: str
    data_fingerprint: str
    config_sha256: str
    data_vintage: str | None
    gate_metric: str = "crps"
    gate_weather_mode: WeatherMode = DEFAULT_WEATHER_MODE
    targets: dict[str, TargetResult] = field(default_factory=dict)
    window: dict[str, Any] | None = None  # the backtest window and why (`training.window`)
    weather_lag: dict[str, Any] | None = None  # how far the weather trails the arrivals

    @property
    def promoted(self) -> list[str]:
        """Registered model names whose champion moved in this job."""
        return [
            t.decision.registered_name
            for t in self.targets.values()
            if t.decision is not None and t.decision.promoted
        ]


__all__ = ["GateDecision", "ModelRun", "ProgressFn", "TargetResult", "TrainResult"]
