"""Issue 23, "read at a glance", the MLflow part, on a real SQLite store.

One small job (hurdle, climatology and the seasonal naive over 4 origins, a first champion)
and what a person sees in the MLflow UI: the same headline metric columns on every model's
run, with bootstrap intervals that bracket the score; the gate's decision, reason and
p-value as tags and a markdown summary on the parent; the backtest fans one model per panel.
The outlook's default model, the registry's champion, is read from the same store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from crossings.commands.outlook import FALLBACK_MODEL, champion_model
from forecasting.contract import REGISTERED_MODEL_PREFIX
from forecasting.training import headline, plots
from tests.lifecycle import small_config
from tests.support.training import TrainedJob, trained_job

MODELS = {"hurdle": {"history_days": 365}, "climatology": {}, "seasonal_naive": {}}


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedJob]:
    root = tmp_path_factory.mktemp("read-at-a-glance")
    # The default registry prefix, so the outlook finds this job's champion.
    cfg = small_config("glance23", REGISTERED_MODEL_PREFIX, MODELS)
    cfg["backtest"] = {**cfg["backtest"], "n_origins": 4}
    with trained_job(root, cfg) as done:
        yield done


def test_every_child_run_has_the_same_headline_metrics(job: TrainedJob) -> None:
    keys = {r.data.tags["model"]: set(r.data.metrics) for r in job.children()}
    assert set(keys) == set(MODELS)
    assert len({frozenset(k) for k in keys.values()}) == 1, keys  # identical columns
    assert set(headline.headline_keys(["forecast"])) <= keys["hurdle"]
    assert {"forecast/crps", "forecast/crps_skill"} <= keys["hurdle"]


def test_bootstrap_intervals_bracket_the_point_scores(job: TrainedJob) -> None:
    for run in job.children():
        m = run.data.metrics
        for key in headline.INTERVAL_KEYS:
            lo, hi = m[f"forecast/{key}_lo90"], m[f"forecast/{key}_hi90"]
            assert lo <= m[f"forecast/{key}"] <= hi, (run.data.tags["model"], key)
        assert m["forecast/crps_lo90"] < m["forecast/crps_hi90"]  # 4 origins differ


def test_gate_tags_are_readable_with_a_p_value(job: TrainedJob) -> None:
    res = job.result.targets["people"]
    parent = job.client.get_run(job.result.parent_run_id).data.tags
    winner = job.client.get_run(res.run_for(res.winner).run_id).data.tags
    for tags, prefix in ((parent, "gate.people."), (winner, "gate.")):
        assert tags[f"{prefix}decision"] == "promoted"
        assert tags[f"{prefix}reason"] == "first champion"
        assert 0.0 <= float(tags[f"{prefix}p_value"]) <= 1.0
        # No champion yet: the p-value is the winner's against the climatology baseline.
        assert tags[f"{prefix}compared_with"] == "climatology (no champion yet)"


def test_the_parent_has_a_gate_summary(job: TrainedJob) -> None:
    run_id = job.result.parent_run_id
    assert "gate_summary.md" in {f.path for f in job.client.list_artifacts(run_id)}
    text = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path="gate_summary.md", tracking_uri=job.uri
        )
    ).read_text()
    p_value = job.client.get_run(run_id).data.tags["gate.people.p_value"]
    assert "| people | hurdle |" in text and p_value in text
    for model in MODELS:
        assert f"| {model} |" in text or f"**{model}**" in text
    assert "90% bootstrap interval" in text


def test_the_outlook_defaults_to_the_registered_champion(
    job: TrainedJob, capsys: pytest.CaptureFixture[str]
) -> None:
    winner = job.result.targets["people"].winner
    model, params = champion_model("people", job.uri)
    assert model == winner and params["history_days"] == 365
    assert "the champion" in capsys.readouterr().err
    # No champion for boats in this store: the fallback, and why.
    assert champion_model("boats", job.uri) == (FALLBACK_MODEL, {})
    assert "has no champion" in capsys.readouterr().err


# -- units ---------------------------------------------------------------------------------


def test_bootstrap_interval_brackets_the_mean_and_needs_two_origins() -> None:
    x = np.random.default_rng(1).gamma(2.0, 10.0, 26)
    lo, hi = headline.bootstrap_interval((x,), headline._mean) or (np.nan, np.nan)
    assert lo < x.mean() < hi
    assert headline.bootstrap_interval((x[:1],), headline._mean) is None


def _rows(models: list[str], n_origins: int = 8) -> pd.DataFrame:
    frames = []
    for model in models:
        for draw in (0, 1):
            origins = pd.date_range("2025-01-06", periods=n_origins, freq="7D")
            frame = pd.DataFrame(
                {
                    "model": model,
                    "weather_mode": "forecast",
                    "weather_draw": draw,
                    "origin": np.repeat(origins, 7),
                    "date": [o + pd.Timedelta(days=d) for o in origins for d in range(7)],
                    "median": 10.0 + draw,
                    "lo-80": 2.0,
                    "hi-80": 30.0,
                    "actual": 12.0,
                }
            )
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_the_backtest_fans_have_one_panel_per_model() -> None:
    models = ["hurdle", "climatology", "seasonal_naive"]
    fig = plots.backtest_fan_chart(_rows(models), "forecast")
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == models
    ax = axes[0]
    # The median averaged over the two weather draws: one line per origin, no zigzag.
    medians = [ln for ln in ax.get_lines() if ln.get_marker() in ("None", None, "")]
    assert len(medians) == 6  # the last 6 origins
    assert np.allclose(np.asarray(medians[0].get_ydata(), dtype=float), 10.5)
    assert len(ax.collections) == 6  # one 80% band per origin, no other levels
    one = plots.backtest_fan_chart(_rows(["hurdle"]), "forecast")
    assert len(one.axes) == 1
