"""The experiment config resolved once against the data: per target a BacktestConfig, plus the
gate policy, the next-days forecast and the job's provenance record.

Everything below the job takes these plain values, never the whole ExperimentConfig.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecasting.contract import WeatherMode
from forecasting.evaluation.backtest import BacktestConfig
from forecasting.training.config import ExperimentConfig
from forecasting.training.provenance import Provenance, TrainingData
from forecasting.training.window import WeatherLag, Window, weather_lag


@dataclass(frozen=True)
class GatePolicy:
    """How winners are scored and when one may replace the champion."""

    metric: str
    weather_mode: WeatherMode
    min_improvement: float
    significance: float = 0.05  # the paired test's level (`forecasting.training.paired`)

    def score(self, summary: pd.DataFrame, model: str) -> float:
        """`model`'s gate score in a backtest summary (NaN if it has none)."""
        row = summary.loc[
            (summary["model"] == model) & (summary["weather_mode"] == self.weather_mode)
        ]
        if row.empty:
            return float("nan")
        return float(row[self.metric].iloc[0])


@dataclass(frozen=True)
class NextDays:
    """The forecast each model draws for the days after the data, once refit on all of it."""

    horizon: int
    n_samples: int
    seed: int


@dataclass(frozen=True)
class TargetPlan:
    """One target: its backtest and, when the winner is to be registered, its registry name."""

    target: str
    backtest: BacktestConfig
    registered_name: str | None


@dataclass(frozen=True)
class JobPlan:
    """Everything the job needs from the config, resolved against the data."""

    targets: tuple[TargetPlan, ...]
    gate: GatePolicy
    next_days: NextDays
    provenance: Provenance
    register: bool  # whether each target's winner is registered and gated
    window: Window | None = None  # the backtest window and why it ends where it does
    weather_lag: WeatherLag | None = None


def resolve(cfg: ExperimentConfig, data: TrainingData, commit: str) -> JobPlan:
    """Resolve `cfg` against `data` (the window, the models' hyperparameters, the registry
    names) for a job run from source commit `commit`."""
    register = cfg.registry.register_winner
    targets = tuple(
        TargetPlan(
            target=t,
            backtest=cfg.backtest_config(t, data.arrivals, data.weather),
            registered_name=cfg.registered_name(t) if register else None,
        )
        for t in cfg.targets
    )
    gate = GatePolicy(
        cfg.gate.metric, cfg.gate.weather_mode, cfg.gate.min_improvement, cfg.gate.significance
    )
    provenance = Provenance.build(
        data,
        targets[0].backtest,
        config_name=cfg.name,
        config_sha256=cfg.sha256(),
        commit=commit,
        gate_metric=gate.metric,
        gate_weather_mode=gate.weather_mode,
    )
    next_days = NextDays(cfg.forecast.horizon, cfg.forecast.n_samples, cfg.backtest.seed)
    window = cfg.resolved_window(data.arrivals, data.weather)
    lag = weather_lag(data.arrivals, data.weather)
    return JobPlan(targets, gate, next_days, provenance, register, window, lag)


__all__ = ["GatePolicy", "JobPlan", "NextDays", "TargetPlan", "resolve"]
