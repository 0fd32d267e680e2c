"""A study's outcome, and its best trial written as an experiment config for `crossings train`.

The written config is the base experiment as given (all its targets, models, backtest window
and gate) with the tuned model's hyperparameters replaced by the best trial's; it is read back
with the training config loader before this module returns, so what it writes always loads.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from forecasting.training.config import load_config
from forecasting.tuning.config import HONEST_MODE, TuneSpec

if TYPE_CHECKING:
    import optuna

log = logging.getLogger(__name__)


@dataclass
class TuneResult:
    """What a `crossings tune` process did, and where the study stands."""

    study_name: str
    metric: str
    parent_run_id: str
    experiment_id: str
    mine: list[int]  # trial numbers this process ran
    n_complete: int
    n_pruned: int
    n_failed: int
    best_number: int | None = None
    best_value: float | None = None
    best_params: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None

    def parent_metrics(self, metric: str) -> dict[str, float]:
        """The study's counts and best score, for its MLflow parent run."""
        out: dict[str, float] = {
            "trials_complete": self.n_complete,
            "trials_pruned": self.n_pruned,
            "trials_failed": self.n_failed,
        }
        if self.best_value is not None:
            out[f"best_{metric}"] = self.best_value
        return out

    def tags(self) -> dict[str, Any]:
        """The best trial, for the parent run's tags."""
        if self.best_number is None:
            return {}
        return {"best_trial": self.best_number, "best_params": self.best_params}


def summarize(
    study: optuna.Study, spec: TuneSpec, parent: str, experiment_id: str, mine: list[int]
) -> TuneResult:
    """Count the study's trials by state and find its best complete one."""
    from optuna.trial import TrialState

    states = [t.state for t in study.get_trials(deepcopy=False)]
    result = TuneResult(
        study_name=spec.study_name,
        metric=spec.metric,
        parent_run_id=parent,
        experiment_id=experiment_id,
        mine=sorted(mine),
        n_complete=states.count(TrialState.COMPLETE),
        n_pruned=states.count(TrialState.PRUNED),
        n_failed=states.count(TrialState.FAIL),
    )
    if result.n_complete:
        best = study.best_trial
        result.best_number, result.best_value = best.number, best.value
        result.best_params = dict(best.params)
    return result


def best_config(spec: TuneSpec, params: dict[str, Any], name: str) -> dict[str, Any]:
    """The base experiment with the tuned model's hyperparameters set to `params`."""
    data = copy.deepcopy(spec.base_raw)
    models = data.setdefault("models", {})
    models[spec.cfg.model] = {**(models.get(spec.cfg.model) or {}), **params}
    data["name"] = name
    return data


def _config_name(path: Path) -> str:
    """A valid experiment name from the output file's stem."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", path.stem).lstrip("-_.")
    return name or "tuned"


def write_best(spec: TuneSpec, study: optuna.Study, path: Path) -> Path:
    """Write the study's best complete trial as an experiment config at `path`; check it
    loads with the training config loader. Returns `path`."""
    best = study.best_trial
    params = {k: _plain(v) for k, v in best.params.items()}
    data = best_config(spec, params, _config_name(path))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data["description"] = (
        f"Best trial {best.number} of Optuna study '{spec.study_name}': "
        f"{spec.metric} {best.value:.4f} on {spec.target} in {HONEST_MODE} weather ({when})."
    )
    header = (
        f"# Written by `crossings tune` from {spec.path or 'a tuning config'}: the base "
        f"experiment with {spec.cfg.model}'s\n# hyperparameters from the best trial. Train it:\n"
        f"#   crossings train --config {path}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    tmp.replace(path)
    load_config(path)  # what `crossings train` reads: fail here, not there
    log.info("best trial %d written to %s", best.number, path)
    return path


def _plain(value: Any) -> Any:
    """Numpy scalars as plain Python values (YAML's safe dumper takes only those)."""
    return value.item() if hasattr(value, "item") else value


__all__ = ["TuneResult", "best_config", "summarize", "write_best"]
