"""`crossings retrain --json` on a temporary SQLite store with seeded synthetic data whose
weather ends before the arrivals: it trains on what is there, says which window and why,
warns about the weather lag, and logs the revisions between two vintages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from crossings.app import app
from forecasting import tracking
from tests.lifecycle import (
    FIRST_DAYS,
    fresh_store,
    make_store_template,
    retrain_args,
    small_config,
    write_config,
    write_sources,
)

PREFIX = "lag"
NAME = f"{PREFIX}-people"


def retrain(root: Path, uri: str, config: Path, src: Path) -> tuple[int, dict[str, Any], str]:
    res = CliRunner().invoke(
        app,
        retrain_args(config, src, root / "data" / "processed", "--tracking-uri", uri),
    )
    lines = res.stdout.strip().splitlines()
    return res.exit_code, json.loads(lines[-1]), res.output


def test_retrain_on_lagging_weather_and_a_revised_vintage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CROSSINGS_ARTIFACT_ROOT", str(tmp_path / "mlartifacts"))
    uri = fresh_store(make_store_template(tmp_path), tmp_path)
    config = write_config(tmp_path / "experiments", small_config("lagging", PREFIX))

    # Vintage 1: the weather ends 20 days before the arrivals (an ordinary week).
    src1 = tmp_path / "v1"
    write_sources(src1, n_days=FIRST_DAYS, weather_ahead=-20)
    code, first, output = retrain(tmp_path, uri, config, src1)
    assert code == 0, output
    assert first["status"] == "completed" and first["exit_code"] == 0
    window, lag = first["window"], first["weather_lag"]
    assert window["limited_by"] == "weather"
    assert window["last_scored_day"] == lag["weather_end"]
    assert window["state_only_days"] == 20 == lag["days"]
    assert f"weather ends {lag['weather_end']}" in window["reason"]
    assert "rely on a weather provider or climatology" in lag["warning"]
    gate = first["targets"]["people"]["gate"]
    assert gate["promoted"] and gate["version"] == "1" and gate["p_value"] is None
    assert first["promoted"] == [NAME]
    assert first["data"]["arrivals"]["last_date"] == lag["arrivals_end"]

    # Vintage 2: a week later, with day -5 of vintage 1 revised upwards by 40 people.
    src2 = tmp_path / "v2"
    write_sources(src2, n_days=FIRST_DAYS + 7, weather_ahead=-20, revise={FIRST_DAYS - 5: 40})
    code, second, output = retrain(tmp_path, uri, config, src2)
    assert code == 0, output
    assert second["vintage"]["days_added"] == 7
    assert second["vintage"]["days_revised"] == 1
    assert second["vintage"]["revised_totals"] == {"people": 40, "boats": 0}

    # The revision is logged on the job's parent run: its metrics, tag and artifact table.
    client = MlflowClient(uri, uri)
    run = client.get_run(second["run_id"])
    assert run.data.metrics["vintage.days_revised"] == 1
    assert run.data.metrics["vintage.revised_total.people"] == 40
    assert "backtest to" in run.data.tags["window.reason"]
    assert "weather_lag.warning" in run.data.tags
    local = client.download_artifacts(second["run_id"], "data/revisions.csv", str(tmp_path))
    revisions = pd.read_csv(local)
    assert len(revisions) == 1
    assert revisions["people_new"].iloc[0] - revisions["people_old"].iloc[0] == 40

    # Each decision is in the model's decision history.
    tracking.configure(uri)
    decisions = tracking.decision_history(NAME)
    assert [d["new_version"] for d in decisions] == ["1", "2"]

    # Same vintage again: nothing new, still one JSON line.
    code, third, output = retrain(tmp_path, uri, config, src2)
    assert code == 0 and third["status"] == "skipped" and third["targets"] == {}
    assert third["vintage"]["days_added"] == 0
