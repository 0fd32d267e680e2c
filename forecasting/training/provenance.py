"""Where a trained model came from: the processed data, the code, the config, the backtest
window and the gate, as one record.

`Provenance` is written once per job; the run params, the registered versions' tags and the
saved model's metadata are all derived from it, so each provenance key is spelled here only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting import schema
from forecasting.contract import WeatherMode
from forecasting.evaluation.backtest import BacktestConfig
from forecasting.ingest import MANIFEST_FILE, load_processed, sha256_file
from forecasting.models import create
from forecasting.training.results import ModelRun
from forecasting.weather.source import WeatherSource


@dataclass(frozen=True)
class TrainingData:
    """The processed tables and their provenance."""

    data_dir: Path
    arrivals: pd.DataFrame
    weather: pd.DataFrame
    manifest: dict[str, Any]
    manifest_sha256: str

    @property
    def fingerprint(self) -> str:
        """The data's identity for the gate and for "nothing new": a hash of the processed
        tables' hashes (unlike the manifest's own hash, blind to where the sources lay)."""
        return data_fingerprint(self.manifest)

    @property
    def vintage(self) -> str | None:
        """The Home Office file's vintage (publication date)."""
        return self.manifest["sources"]["arrivals"].get("vintage")

    @property
    def weather_source(self) -> str:
        """Where the weather came from."""
        return str(self.manifest["sources"]["weather"].get("source"))

    @property
    def weather_location(self) -> str:
        """Where the weather was measured."""
        return str(self.manifest["sources"]["weather"].get("location"))

    @property
    def last_date(self) -> pd.Timestamp:
        """The last day with arrivals."""
        return pd.Timestamp(self.arrivals[schema.DATE].iloc[-1])

    @property
    def manifest_path(self) -> Path:
        """The ingest manifest, logged with every run."""
        return self.data_dir / MANIFEST_FILE


def data_fingerprint(manifest: dict[str, Any]) -> str:
    """Hash of the processed tables' sha256s listed in an ingest manifest."""
    outputs = {k: v.get("sha256") for k, v in sorted(manifest.get("outputs", {}).items())}
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode()).hexdigest()


def load_data(data_dir: str | Path) -> TrainingData:
    """Read what `crossings ingest` wrote (InputError naming the folder if it is missing)."""
    d = Path(data_dir)
    arrivals, weather, manifest = load_processed(d)
    return TrainingData(d, arrivals, weather, manifest, sha256_file(d / MANIFEST_FILE))


def git_commit() -> str:
    """The source commit: $CROSSINGS_GIT_COMMIT, else `git rev-parse HEAD` (+ "-dirty"),
    else "unknown". Read-only: git is told not to take optional locks."""
    if env := os.environ.get("CROSSINGS_GIT_COMMIT"):
        return env
    root = Path(__file__).resolve().parents[1]
    env_vars = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, env=env_vars
        )

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return "unknown"
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def source_commit(commit: str) -> str | None:
    """The commit as MLflow's ``mlflow.source.git.commit`` tag wants it: the bare hash (no
    "-dirty"), or None when the commit is not known."""
    bare = commit.removesuffix("-dirty").strip()
    return None if bare in ("", "unknown") else bare


def _about(description: str) -> str:
    return f" ({description.strip()})" if description.strip() else ""


def _coordinate(value: Any) -> float | None:
    """A manifest's latitude or longitude as a float (None when absent or not a number)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def full_params(name: str, target: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every hyperparameter of a model (defaults included), JSON-normalised, without target."""
    model = create(name, target=target, **params)
    out = {k: v for k, v in model.get_params().items() if k != "target"}
    normalised: dict[str, Any] = json.loads(json.dumps(out, default=str, sort_keys=True))
    return normalised


@dataclass(frozen=True)
class Provenance:
    """One job's provenance: data, code, config, backtest window and gate."""

    data_vintage: str | None
    manifest_sha256: str
    data_fingerprint: str
    data_first_date: str
    data_last_date: str
    arrivals_sha256: str
    weather_source: str
    weather_location: str
    weather_vintage: str | None
    git_commit: str
    config_name: str
    config_sha256: str
    backtest_start: str
    backtest_end: str
    backtest_step: int
    backtest_horizon: int
    backtest_weather_modes: tuple[WeatherMode, ...]
    backtest_weather_draws: int
    backtest_n_samples: int
    backtest_seed: int
    gate_metric: str
    gate_weather_mode: WeatherMode
    # The weather point where the manifest records it explicitly (else parsed from location).
    weather_lat: float | None = None
    weather_lon: float | None = None

    @classmethod
    def build(
        cls,
        data: TrainingData,
        window: BacktestConfig,
        *,
        config_name: str,
        config_sha256: str,
        commit: str,
        gate_metric: str,
        gate_weather_mode: WeatherMode,
    ) -> Provenance:
        """The record of a job on `data` over `window` (any target's backtest: they all
        share the window)."""
        src = data.manifest["sources"]
        return cls(
            data_vintage=data.vintage,
            manifest_sha256=data.manifest_sha256,
            data_fingerprint=data.fingerprint,
            data_first_date=src["arrivals"]["first_date"],
            data_last_date=src["arrivals"]["last_date"],
            arrivals_sha256=src["arrivals"]["sha256"],
            weather_source=data.weather_source,
            weather_location=data.weather_location,
            weather_vintage=src["weather"].get("vintage"),
            git_commit=commit,
            config_name=config_name,
            config_sha256=config_sha256,
            backtest_start=str(window.start.date()),
            backtest_end=str(window.end.date()),
            backtest_step=window.step,
            backtest_horizon=window.horizon,
            backtest_weather_modes=tuple(window.weather_modes),
            backtest_weather_draws=window.weather_draws,
            backtest_n_samples=window.n_samples,
            backtest_seed=window.seed,
            gate_metric=gate_metric,
            gate_weather_mode=gate_weather_mode,
            weather_lat=_coordinate(src["weather"].get(schema.ATTR_LATITUDE)),
            weather_lon=_coordinate(src["weather"].get(schema.ATTR_LONGITUDE)),
        )

    @property
    def weather(self) -> WeatherSource:
        """The weather source and point the models learned from (a served model asks the
        live provider for the same point)."""
        found = WeatherSource.from_labels(self.weather_source, self.weather_location)
        if self.weather_lat is None or self.weather_lon is None:
            return found
        return dataclasses.replace(found, lat=self.weather_lat, lon=self.weather_lon)

    @property
    def backtest_window(self) -> str:
        """The window in words, e.g. ``2025-01-06..2026-05-07 every 7d``."""
        return f"{self.backtest_start}..{self.backtest_end} every {self.backtest_step}d"

    def _shared(self) -> dict[str, Any]:
        """The keys run params and version tags both carry, spelled alike."""
        return {
            "data.vintage": self.data_vintage,
            "data.manifest_sha256": self.manifest_sha256,
            "data.fingerprint": self.data_fingerprint,
            "git_commit": self.git_commit,
            "backtest.start": self.backtest_start,
            "backtest.end": self.backtest_end,
            "backtest.step": self.backtest_step,
            "backtest.horizon": self.backtest_horizon,
            "backtest.n_samples": self.backtest_n_samples,
            "backtest.seed": self.backtest_seed,
            "backtest.weather_draws": self.backtest_weather_draws,
            "gate.metric": self.gate_metric,
            "gate.weather_mode": self.gate_weather_mode,
        }

    def run_params(self) -> dict[str, Any]:
        """Params every run of the job logs (the parent and each model's run)."""
        return {
            **self._shared(),
            "data.first_date": self.data_first_date,
            "data.last_date": self.data_last_date,
            "data.arrivals_sha256": self.arrivals_sha256,
            "weather.source": self.weather_source,
            "weather.location": self.weather_location,
            "weather.vintage": self.weather_vintage,
            "config.name": self.config_name,
            "config.sha256": self.config_sha256,
            "backtest.weather_modes": ",".join(self.backtest_weather_modes),
        }

    @property
    def short_commit(self) -> str:
        """The commit's first 12 hex digits (with "-dirty" if the tree was), for tags."""
        bare = self.git_commit.removesuffix("-dirty")
        return bare[:12] + self.git_commit[len(bare) :]

    def version_tags(self) -> dict[str, Any]:
        """The short tags every registered version carries about where it came from; the
        long record (hashes, the whole window, the full commit) is `record`, logged as the
        version's provenance artifact."""
        return {
            "config_name": self.config_name,
            "data.vintage": self.data_vintage,
            "git.short_sha": self.short_commit,
            "gate.metric": self.gate_metric,
            "gate.weather_mode": self.gate_weather_mode,
            "backtest.window": self.backtest_window,
        }

    def record(self) -> dict[str, Any]:
        """Everything this provenance holds, JSON-ready (the provenance artifact's core)."""
        out: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(self), default=str))
        out["backtest_window"] = self.backtest_window
        return out

    def version_record(
        self, run: ModelRun, trained_at: str, manifest: dict[str, Any], gate: dict[str, Any]
    ) -> dict[str, Any]:
        """A registered version's long provenance (its ``provenance.json`` artifact): the
        full hyperparameters, this record, the ingest manifest and the gate's reasoning."""
        return {
            "model_name": run.model,
            "target": run.target,
            "model_params": run.params,
            "run_id": run.run_id,
            "trained_at": trained_at,
            "provenance": self.record(),
            "manifest": manifest,
            "gate": gate,
        }

    def version_description(
        self, run: ModelRun, trained_at: str, gate: str, description: str, record_uri: str
    ) -> str:
        """A registered version's description: the model, the config (and its
        description), the gate's verdict and where the full provenance is."""
        return (
            f"{run.model} forecasting daily {run.target}, from config "
            f"'{self.config_name}'{_about(description)}. Gate on {self.gate_metric} "
            f"({self.gate_weather_mode} weather): {gate}. Trained {trained_at} on data "
            f"vintage {self.data_vintage}, backtest {self.backtest_window}. "
            f"Provenance: {record_uri}"
        )

    def model_description(self, target: str, description: str) -> str:
        """A registered model's description, from the config that last trained it."""
        return (
            f"Probabilistic forecasts of daily {target} crossing the Channel in small boats, "
            "registered by `crossings train`; the `champion` alias is served. Last trained "
            f"by config '{self.config_name}'{_about(description)}."
        )

    def model_metadata(self, run: ModelRun, trained_at: str) -> dict[str, Any]:
        """The metadata saved inside a registered model (`CrossingsModel.metadata`)."""
        mode = f"{self.gate_weather_mode}/"
        return {
            "model_name": run.model,
            "target": run.target,
            "params": run.params,
            "trained_at": trained_at,
            "data_vintage": self.data_vintage,
            "manifest_sha256": self.manifest_sha256,
            **self.weather.metadata(),
            "backtest_metrics": {
                k.split("/", 1)[1]: v for k, v in run.metrics.items() if k.startswith(mode)
            },
            "gate": {
                "metric": self.gate_metric,
                "weather_mode": self.gate_weather_mode,
                "score": run.gate_score,
                "start": self.backtest_start,
                "end": self.backtest_end,
                "step": self.backtest_step,
                "horizon": self.backtest_horizon,
                "weather_draws": self.backtest_weather_draws,
            },
            "config_name": self.config_name,
            "run_id": run.run_id,
            "git_commit": self.git_commit,
        }


__all__ = [
    "Provenance",
    "TrainingData",
    "data_fingerprint",
    "full_params",
    "git_commit",
    "load_data",
    "source_commit",
]
