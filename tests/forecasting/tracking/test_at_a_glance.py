"""Issue 9, "data scientists compare runs in MLflow at a glance", on a real SQLite store.

Two small jobs on seeded synthetic data: climatology alone (the first champion), then the
hurdle against climatology on the same window (4 origins, so the paired test runs). The
tests read back what a person sees in the MLflow UI: the parent run's comparison plots, the
descriptions from the config, the dataset inputs, the git commit, the logged model's name,
short registry tags and the provenance artifact. The charts themselves are checked on
hand-built backtest rows.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from mlflow import MlflowClient
from mlflow.entities import Dataset, Run

from forecasting import tracking
from forecasting.evaluation import calibration
from forecasting.ingest import ARRIVALS_FILE, WEATHER_FILE, ingest
from forecasting.training import gate, plots_compare
from forecasting.training.config import parse_config
from forecasting.training.job import train
from forecasting.training.provenance import load_data, source_commit
from forecasting.training.results import TrainResult
from tests.lifecycle import fresh_store, make_store_template, small_config, write_sources

PREFIX = "glance"
NAME = f"{PREFIX}-people"
DESCRIPTION = "Hurdle against climatology, for the at-a-glance test."
PLOTS = {
    "plots/compare/people/crps_by_lead.png",
    "plots/compare/people/reliability.png",
    "plots/compare/people/weekly_total_coverage.png",
}
TAG_LIMIT = 250


@dataclass
class Jobs:
    uri: str
    data: Path
    first: TrainResult
    second: TrainResult

    @property
    def client(self) -> MlflowClient:
        return MlflowClient(self.uri, self.uri)

    def children(self) -> list[Run]:
        res = self.second
        return self.client.search_runs(
            [res.experiment_id], f"tags.mlflow.parentRunId = '{res.parent_run_id}'"
        )


def _config(name: str, models: dict) -> dict:
    cfg = small_config(name, PREFIX, models, description=DESCRIPTION)
    cfg["backtest"] = {**cfg["backtest"], "n_origins": 4}
    return cfg


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jobs]:
    root = tmp_path_factory.mktemp("glance")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CROSSINGS_ARTIFACT_ROOT", str(root / "mlartifacts"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("CROSSINGS_GIT_COMMIT", raising=False)
        uri = fresh_store(make_store_template(root / "template"), root)
        a, w = write_sources(root / "src")
        ingest(a, w, root / "data")
        # One experiment (one config name): the second job is the one the tests read.
        first = train(
            parse_config(_config("glance", {"climatology": {}})), root / "data", tracking_uri=uri
        )
        models = {"hurdle": {"history_days": 365}, "climatology": {}}
        second = train(parse_config(_config("glance", models)), root / "data", tracking_uri=uri)
        yield Jobs(uri, root / "data", first, second)


def _head() -> str | None:
    """`git rev-parse HEAD` of this checkout, or None outside one."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def test_parent_run_shows_the_comparison_plots(jobs: Jobs) -> None:
    run_id = jobs.second.parent_run_id
    files = {f.path for f in jobs.client.list_artifacts(run_id, "plots/compare/people")}
    assert files >= PLOTS
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, tracking_uri=jobs.uri))
    for name in PLOTS:
        assert (local / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (local / name).stat().st_size > 10_000  # a drawn chart, not an empty canvas


def test_descriptions_come_from_the_config(jobs: Jobs) -> None:
    client = jobs.client
    exp = client.get_experiment(jobs.second.experiment_id)
    note = exp.tags["mlflow.note.content"]  # then a link to the comparison view
    assert note.startswith(f"{DESCRIPTION}\n\n[Compare the models](#/experiments/")
    parent = client.get_run(jobs.second.parent_run_id).data.tags["mlflow.note.content"]
    assert parent.startswith(DESCRIPTION) and "hurdle, climatology" in parent
    notes = {r.data.tags["model"]: r.data.tags["mlflow.note.content"] for r in jobs.children()}
    assert set(notes) == {"hurdle", "climatology"}
    for model, note in notes.items():
        assert note.startswith(f"{model} forecasting daily people") and DESCRIPTION in note
    assert "history_days=365" in notes["hurdle"]
    decision = jobs.second.targets["people"].decision
    assert decision is not None
    described = client.get_model_version(NAME, decision.version).description or ""
    assert DESCRIPTION in described
    assert decision.alias in described and "people" in described
    assert DESCRIPTION in (client.get_registered_model(NAME).description or "")


def _inputs(run: Run) -> dict[str, tuple[str, str, Dataset]]:
    """A run's dataset inputs by name: (source path, context, dataset)."""
    assert run.inputs is not None
    out = {}
    for di in run.inputs.dataset_inputs:
        tags = {t.key: t.value for t in di.tags}
        source = json.loads(di.dataset.source)["uri"]
        out[di.dataset.name] = (source, tags.get("mlflow.data.context", ""), di.dataset)
    return out


def test_training_data_is_a_dataset_input_of_every_run(jobs: Jobs) -> None:
    arrivals = load_data(jobs.data).arrivals
    parent = jobs.client.get_run(jobs.second.parent_run_id)
    runs = {"parent": parent, **{r.data.tags["model"]: r for r in jobs.children()}}
    for who, run in runs.items():
        inputs = _inputs(run)
        source, context, dataset = inputs["arrivals-daily"]
        assert Path(source) == jobs.data / ARRIVALS_FILE and context == "training", who
        assert json.loads(dataset.profile or "{}")["num_rows"] == len(arrivals)
    # The weather is an input where a model read it: the hurdle does, climatology does not.
    assert Path(_inputs(runs["hurdle"])["weather-daily"][0]) == jobs.data / WEATHER_FILE
    assert "weather-daily" in _inputs(parent)
    assert "weather-daily" not in _inputs(runs["climatology"])


def test_git_commit_is_mlflow_source_commit_on_every_run(jobs: Jobs) -> None:
    head = _head()
    runs = [jobs.client.get_run(jobs.second.parent_run_id), *jobs.children()]
    for run in runs:
        assert run.data.tags.get(tracking.GIT_COMMIT_TAG) == head
        assert run.data.tags.get(tracking.GIT_COMMIT_TAG) != "unknown"


def test_source_commit_leaves_out_what_is_not_a_commit() -> None:
    assert source_commit("0cb8cce1" + "0" * 32 + "-dirty") == "0cb8cce1" + "0" * 32
    assert source_commit("deadbeef") == "deadbeef"
    assert source_commit("unknown") is None and source_commit("") is None


def test_logged_model_is_named_after_target_and_model(jobs: Jobs) -> None:
    res = jobs.second.targets["people"]
    decision = res.decision
    assert decision is not None
    version = jobs.client.get_model_version(NAME, decision.version)
    # Registered from the URI log_model returned, models:/<model id> (the SQLite store does
    # not fill ModelVersion.model_id).
    source = version.source or ""
    assert source.startswith("models:/m-")
    logged = jobs.client.get_logged_model(source.removeprefix("models:/"))
    assert logged.name == f"people-{res.winner}"
    assert logged.source_run_id == res.run_for(res.winner).run_id
    loaded = mlflow.pyfunc.load_model(f"runs:/{logged.source_run_id}/people-{res.winner}")
    assert loaded.unwrap_python_model().metadata["model_name"] == res.winner


def _download_json(jobs: Jobs, uri: str) -> dict:
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, tracking_uri=jobs.uri)
    return json.loads(Path(local).read_text())


def test_registry_tags_are_short_and_provenance_is_an_artifact(jobs: Jobs) -> None:
    res, client = jobs.second, jobs.client
    for v in ("1", "2"):
        tags = client.get_model_version(NAME, v).tags
        long = {k: len(val) for k, val in tags.items() if len(val) >= TAG_LIMIT}
        assert not long, f"version {v} has long tags: {long}"
        assert {"model_name", "target", "gate.score", "gate.p_value", "data.vintage"} <= set(tags)
        assert {"git.short_sha", "config_name", "provenance"} <= set(tags)
        assert "model_params" not in tags and "data.manifest_sha256" not in tags
    decision = res.targets["people"].decision
    assert decision is not None
    tags = client.get_model_version(NAME, decision.version).tags
    run_id = tags["run_id"]
    assert tags["provenance"] == f"runs:/{run_id}/provenance.json"
    record = _download_json(jobs, tags["provenance"])
    prov = record["provenance"]
    assert prov["manifest_sha256"] == res.manifest_sha256
    assert prov["data_fingerprint"] == res.data_fingerprint
    assert prov["config_sha256"] == res.config_sha256
    assert prov["git_commit"].startswith(tags["git.short_sha"].removesuffix("-dirty"))
    assert record["manifest"]["sources"]["arrivals"]["sha256"] == prov["arrivals_sha256"]
    winner = res.targets["people"].run_for(record["model_name"])
    assert record["model_params"] == winner.params and record["run_id"] == winner.run_id
    assert record["gate"]["reason"].startswith(tags["gate.reason"].removesuffix("…"))
    # The gate rebuilds a champion from this artifact (no model_params tag any more).
    version = tracking.get_version(NAME, decision.version)
    tracking.configure(jobs.uri)
    assert gate._champion_params(version) == winner.params


def test_gate_p_value_is_logged_on_the_parent_and_the_version(jobs: Jobs) -> None:
    decision = jobs.second.targets["people"].decision
    assert decision is not None and decision.p_value is not None  # 4 origins: the test ran
    parent = jobs.client.get_run(jobs.second.parent_run_id)
    assert parent.data.metrics["people/gate_p_value"] == pytest.approx(decision.p_value)
    tags = jobs.client.get_model_version(NAME, decision.version).tags
    assert float(tags["gate.p_value"]) == pytest.approx(decision.p_value, rel=1e-3)
    record = _download_json(jobs, tags["provenance"])
    assert record["gate"]["paired_test"]["p_value"] == pytest.approx(decision.p_value)
    # The first champion had nothing to be compared with: no test, and it says so.
    first = jobs.client.get_model_version(NAME, "1").tags
    assert first["gate.p_value"] == "" and first["gate.reason"] == "first champion"


def test_the_experiment_is_classic_ml_not_genai(jobs: Jobs) -> None:
    # MLflow 3 opens an experiment without a kind on its GenAI Overview/Traces pages.
    tags = jobs.client.get_experiment(jobs.second.experiment_id).tags
    assert tags["mlflow.experimentKind"] == "custom_model_development"


def test_gate_decision_and_reason_are_readable_run_tags(jobs: Jobs) -> None:
    # The winner's run says in words what the gate did, beside the version's JSON history.
    for res in (jobs.first, jobs.second):
        decision = res.targets["people"].decision
        assert decision is not None
        version = jobs.client.get_model_version(NAME, decision.version).tags
        run = jobs.client.get_run(version["run_id"]).data.tags
        assert run["gate.decision"] == ("promoted" if decision.promoted else "kept")
        assert run["gate.reason"] == decision.reason
        parent = jobs.client.get_run(res.parent_run_id).data.tags
        assert parent["gate.people.decision"] == run["gate.decision"]
        assert parent["gate.people.reason"] == decision.reason
    first = jobs.client.get_run(jobs.first.parent_run_id).data.tags
    assert first["gate.people.decision"] == "promoted"
    assert first["gate.people.reason"] == "first champion"


# -- the charts on hand-built rows --------------------------------------------------------


def _data(line: Line2D, axis: str) -> np.ndarray:
    """A drawn line's x or y values as floats."""
    return np.asarray(line.get_xdata() if axis == "x" else line.get_ydata(), dtype=float)


def _rows(seed: int = 0) -> pd.DataFrame:
    """Backtest-shaped rows for two models in two weather modes: 40 origins × 7 leads."""
    rng = np.random.default_rng(seed)
    frames = []
    for model, bias in (("climatology", 0.0), ("hurdle", 0.2)):
        for mode in ("forecast", "observed"):
            n = 40 * 7
            p = rng.uniform(0, 1, n)
            frame = pd.DataFrame(
                {
                    "model": model,
                    "weather_mode": mode,
                    "origin": np.repeat(pd.date_range("2025-01-06", periods=40, freq="7D"), 7),
                    "weather_draw": 0,
                    "lead": np.tile(np.arange(1, 8), 40),
                    "crps": rng.gamma(2.0, 10.0 + 5 * bias, n),
                    "p_any": p,
                    "actual": (rng.uniform(0, 1, n) < np.clip(p - bias, 0, 1)) * 50.0,
                    "pit": rng.uniform(0, 1, n),
                    "total_pit": np.repeat(rng.uniform(0, 1, 40), 7),
                }
            )
            for level in calibration.TOTAL_LEVELS_PCT:
                lo, hi = (1 - level / 100) / 2, 1 - (1 - level / 100) / 2
                frame[f"total_covered_{level:g}"] = frame["total_pit"].between(lo, hi) * 1.0
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_crps_by_lead_draws_every_model_and_mode_with_skill() -> None:
    rows = _rows()
    fig = plots_compare.crps_by_lead(rows)
    crps_ax, skill_ax = fig.axes[:2]
    assert len(crps_ax.get_lines()) == 4  # 2 models × 2 weather modes
    hurdle = rows.loc[(rows["model"] == "hurdle") & (rows["weather_mode"] == "forecast")]
    expected = hurdle.groupby("lead")["crps"].mean().to_numpy()
    line = next(ln for ln in crps_ax.get_lines() if ln.get_label() == "hurdle (forecast)")
    np.testing.assert_allclose(_data(line, "y"), expected)
    clim = rows.loc[(rows["model"] == "climatology") & (rows["weather_mode"] == "forecast")]
    skill = next(ln for ln in skill_ax.get_lines() if ln.get_label() == "hurdle (forecast)")
    np.testing.assert_allclose(
        _data(skill, "y"), 1 - expected / clim.groupby("lead")["crps"].mean().to_numpy()
    )
    only = plots_compare.crps_by_lead(rows.loc[rows["model"] == "hurdle"])
    assert len(only.axes) == 1  # no climatology, no skill panel


def test_reliability_diagram_shows_each_bins_count() -> None:
    rows = _rows()
    fig = plots_compare.reliability_diagram(rows)
    report = calibration.reliability(rows)
    curves, counts = fig.axes[0], fig.axes[2]  # the forecast column: curves, then counts
    assert curves.get_title() == "forecast weather"
    heights = [int(p.get_height()) for p in counts.patches]  # type: ignore[attr-defined]
    expected = [b["n"] for r in report if r["weather_mode"] == "forecast" for b in r["bins"]]
    assert heights == expected and sum(heights) == 2 * 40 * 7
    line = next(ln for ln in curves.get_lines() if ln.get_label() == "hurdle")
    hurdle = next(r for r in report if (r["model"], r["weather_mode"]) == ("hurdle", "forecast"))
    np.testing.assert_allclose(_data(line, "y"), [b["observed"] for b in hurdle["bins"]])


def test_weekly_total_coverage_plots_the_four_levels() -> None:
    rows = _rows()
    fig = plots_compare.weekly_total_coverage(rows)
    ax = fig.axes[0]
    report = calibration.weekly_total_coverage(rows)
    for r in report:
        label = f"{r['model']} ({r['weather_mode']}, n={r['n_forecasts']})"
        line = next(ln for ln in ax.get_lines() if ln.get_label() == label)
        np.testing.assert_allclose(_data(line, "x"), [50, 80, 95, 99])
        np.testing.assert_allclose(_data(line, "y"), [100 * v for v in r["coverage"].values()])
    empty = plots_compare.weekly_total_coverage(rows.drop(columns=["total_pit"]))
    assert not empty.axes and "no weekly-total scores" in empty.texts[0].get_text()
