"""`crossings tune`: the tuning config's checks, and small studies on seeded synthetic data
with a real MLflow SQLite store and real Optuna storages (in memory and SQLite)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow import MlflowClient
from typer.testing import CliRunner

from crossings.app import app
from forecasting.errors import ConfigError
from forecasting.evaluation.backtest import run_backtest
from forecasting.ingest import ingest
from forecasting.training.config import load_config
from forecasting.training.plan import GatePolicy
from forecasting.training.provenance import load_data
from forecasting.tuning.config import load_tune_config, parse_tune_config
from forecasting.tuning.study import open_study, run_tune
from tests.lifecycle import fresh_store, make_store_template, write_sources

BASE: dict[str, Any] = {
    "name": "synthetic",
    "targets": ["people"],
    "models": {"hurdle": {"history_days": 365, "train_leads": [1]}, "climatology": {"years": 1}},
    "backtest": {"n_origins": 8, "n_samples": 50, "weather_modes": ["forecast", "observed"]},
    "registry": {"name_prefix": "tune-test"},
}


def tune_mapping(**over: Any) -> dict[str, Any]:
    """A tuning config that runs in seconds: 4 origins, 1 weather draw, 50 paths."""
    data: dict[str, Any] = {
        "base": copy.deepcopy(BASE),
        "model": "hurdle",
        "backtest": {"n_origins": 4, "weather_draws": 1, "n_samples": 50, "n_jobs": 1},
        "search_space": {
            "harmonics": {"type": "int", "low": 1, "high": 3},
            "ridge": {"type": "float", "low": 0.01, "high": 100.0, "log": True},
        },
        "study": {
            "name": "unit-study",
            "sampler": {"type": "random", "seed": 1},
            # Aggressive: after one complete trial, stop any trial worse than the best so far.
            "pruner": {"type": "percentile", "percentile": 1.0, "n_startup_trials": 1},
            "origins_per_step": 1,
        },
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"search_spce": {}}, "search_spce: Extra inputs are not permitted"),
        (
            {"search_space": {"ridge": {"type": "float", "low": 10.0, "high": 0.1}}},
            "search_space.ridge: low 10.0 is above high 0.1; swap them",
        ),
        (
            {"search_space": {"history_dayz": {"type": "int", "low": 365, "high": 730}}},
            "search_space.history_dayz: unknown hyperparameter; hurdle takes",
        ),
        (
            {"search_space": {"ridge": {"type": "real", "low": 1.0, "high": 2.0}}},
            "search_space.ridge: give 'type: int', 'type: float' or 'type: categorical'",
        ),
        (
            {"search_space": {"ridge": {"type": "float", "low": 0.0, "high": 2.0, "log": True}}},
            "search_space.ridge: a log scale needs low > 0",
        ),
        (
            {"search_space": {"harmonics": {"type": "int", "low": 1.5, "high": 3}}},
            "search_space.harmonics.low: Input should be a valid integer",
        ),
        ({"search_space": {}}, "search_space: Dictionary should have at least 1 item"),
        ({"model": "prophet"}, "model: 'prophet' is not among the base experiment's models"),
        ({"target": "boats"}, "target: 'boats' is not among the base experiment's targets"),
        ({"study": {"direction": "maximize"}}, "study.direction: Input should be 'minimize'"),
        ({"study": {"pruner": {"type": "hyperband"}}}, "study.pruner.type: Input should be"),
        ({"backtest": {"n_samples": 2}}, "backtest (overrides on the base's backtest)"),
        ({"base": "missing.yaml"}, "no such base experiment config"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(tune_mapping(**change)))
    with pytest.raises(ConfigError) as info:
        load_tune_config(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_base_by_path_and_trial_experiment(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(BASE))
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(tune_mapping(base="base.yaml", study={})))
    spec = load_tune_config(path)
    assert spec.base.name == "synthetic" and spec.study_name == "tune"
    trial = spec.trial_experiment
    assert list(trial.models) == ["hurdle"] and trial.targets == ["people"]
    # Honest weather only; the overrides shrink the window and the paths.
    assert trial.backtest.weather_modes == ["forecast"] and trial.gate.weather_mode == "forecast"
    assert trial.backtest.n_origins == 4 and trial.backtest.n_samples == 50
    assert spec.output_path() == tmp_path / "tuned-hurdle.yaml"


def test_shipped_tuning_config_loads() -> None:
    spec = load_tune_config(Path(__file__).parents[3] / "experiments" / "tune-hurdle.yaml")
    assert spec.metric == "crps" and set(spec.cfg.search_space) >= {"history_days", "ridge"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("tune")
    a, w = write_sources(root / "src")
    ingest(a, w, root / "data")
    template = make_store_template(root / "template")
    return {"root": root, "data": root / "data", "template": template}


def test_tiny_study_prunes_logs_and_writes_a_loadable_config(
    env: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSINGS_ARTIFACT_ROOT", str(tmp_path / "mlartifacts"))
    uri = fresh_store(env["template"], tmp_path)
    spec = parse_tune_config(tune_mapping())
    out = tmp_path / "best" / "tuned.yaml"
    steps: list[tuple[str, int, int]] = []
    result = run_tune(
        spec, env["data"], 5, tracking_uri=uri, out=out, progress=lambda *a: steps.append(a)
    )
    assert result.mine == [0, 1, 2, 3, 4]
    assert result.n_complete + result.n_pruned == 5 and result.n_failed == 0
    assert result.n_pruned >= 1 and result.n_complete >= 1
    assert ("trials", 5, 5) in steps and ("trial 0: origins", 4, 4) in steps

    # Every trial is a nested MLflow run with its params, state and running score by origin.
    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs(
        [result.experiment_id], f"tags.mlflow.parentRunId = '{result.parent_run_id}'"
    )
    by_number = {int(r.data.tags["optuna.trial_number"]): r for r in runs}
    assert sorted(by_number) == [0, 1, 2, 3, 4]
    pruned = [n for n, r in by_number.items() if r.data.tags["optuna.state"] == "PRUNED"]
    assert len(pruned) == result.n_pruned
    for n, run in by_number.items():
        assert set(run.data.params) == {"harmonics", "ridge"}
        history = client.get_metric_history(run.info.run_id, "crps_running")
        assert [m.step for m in history] == list(range(1, len(history) + 1))
        assert len(history) < 4 if n in pruned else len(history) == 4
        assert ("crps" in run.data.metrics) == (n not in pruned)
    parent = client.get_run(result.parent_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.metrics["best_crps"] == pytest.approx(result.best_value)
    assert parent.data.metrics["trials_pruned"] == result.n_pruned

    # The best trial is written as a config `crossings train` loads: the base, tuned.
    cfg = load_config(out)
    assert cfg.name == "tuned"
    assert cfg.model_params("hurdle") == {
        "history_days": 365,
        "train_leads": (1,),
        **result.best_params,
    }
    assert cfg.backtest.n_origins == 8 and cfg.backtest.weather_modes == ["forecast", "observed"]
    assert "climatology" in cfg.models

    # A complete trial's score is the whole backtest's gate score: chunks change nothing.
    data = load_data(env["data"])
    bt = spec.trial_experiment.backtest_config("people", data.arrivals, data.weather)
    full = run_backtest(
        data.arrivals,
        data.weather,
        dataclasses.replace(bt, model_params={"hurdle": spec.model_params(result.best_params)}),
    )
    score = GatePolicy("crps", "forecast", 0.0).score(full.summary(), "hurdle")
    assert score == pytest.approx(result.best_value, rel=1e-12)


def test_processes_on_one_sqlite_study_share_numbers_and_parent(
    env: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSINGS_ARTIFACT_ROOT", str(tmp_path / "mlartifacts"))
    uri = fresh_store(env["template"], tmp_path)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    spec = parse_tune_config(tune_mapping(study={"pruner": {"type": "none"}}))
    first = run_tune(
        spec, env["data"], 1, storage=storage, tracking_uri=uri, out=tmp_path / "a.yaml"
    )
    second = run_tune(
        spec, env["data"], 1, storage=storage, tracking_uri=uri, out=tmp_path / "b.yaml"
    )
    assert first.mine == [0] and second.mine == [1]
    assert second.parent_run_id == first.parent_run_id and second.n_complete == 2
    study, created = open_study(spec, storage)
    assert not created and len(study.trials) == 2


def test_cli_tune_bad_config_and_storage_exit_2(env: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(tune_mapping(model="sarimax")))
    res = CliRunner().invoke(app, ["tune", "--config", str(bad), "--data", str(env["data"])])
    assert res.exit_code == 2 and "model: 'sarimax' is not among" in res.output

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(tune_mapping()))
    args = ["tune", "--config", str(good), "--data", str(env["data"]), "--storage", "mysql://x/y"]
    res = CliRunner().invoke(app, [*args, "--tracking-uri", fresh_store(env["template"], tmp_path)])
    assert res.exit_code == 2 and "not a supported study storage" in res.output
    res = CliRunner().invoke(app, ["tune", "--config", str(good), "--trials", "0"])
    assert res.exit_code == 2 and "--trials must be at least 1" in res.output
