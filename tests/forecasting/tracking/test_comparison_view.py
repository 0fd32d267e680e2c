"""Issue 23, "MLflow for comparison": after a small training job on a real SQLite store, the
experiment carries a saved view of its runs table (the MLflow UI's ``Views`` menu and
``?viewStateShareKey=``) whose columns are the headline metrics the models' runs logged, the
runs share the params "Compare" plots, and the printed link opens that view.

Screenshots of the view and of "Compare" in MLflow 3.17's UI: docs/screenshots/mlflow-*.png.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from forecasting import tracking
from forecasting.tracking.views import LOCAL_UI
from forecasting.training.runlog import COMPARISON_VIEW
from tests.lifecycle import small_config
from tests.support.training import TrainedJob, trained_job

SHARED = {"model", "target", "hyperparameters", "inputs", "backtest.n_origins"}


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedJob]:
    root = tmp_path_factory.mktemp("view")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    links = logging.getLogger("forecasting.training.job.links")
    links.addHandler(handler)
    try:
        models = {"hurdle": {"history_days": 365}, "climatology": {}}
        cfg = small_config("view", "view", models, description="Two models.")
        with trained_job(root, cfg) as done:
            done.logged = records
            yield done
    finally:
        links.removeHandler(handler)


def _view(job: TrainedJob) -> dict:
    tracking.configure(job.uri)
    view = tracking.load_runs_view(job.result.experiment_id, COMPARISON_VIEW)
    assert view is not None, "no saved comparison view on the experiment"
    return view


def test_the_view_shows_the_headline_metrics_the_runs_logged(job: TrainedJob) -> None:
    view = _view(job)
    assert view["name"] == "Model comparison" and view["createdAt"] <= view["updatedAt"]
    columns = view["state"]["selectedColumns"]
    metrics = [c.removeprefix("metrics.`").removesuffix("`") for c in columns if "metrics." in c]
    assert metrics[:4] == [
        "forecast/crps",
        "forecast/crps_lo90",
        "forecast/crps_hi90",
        "forecast/crps_skill",
    ]
    for run in job.children():
        missing = set(metrics) - set(run.data.metrics)
        assert not missing, f"{run.info.run_name} did not log {missing}"


def test_the_view_sorts_by_crps_and_groups_by_target(job: TrainedJob) -> None:
    state = _view(job)["state"]
    assert state["orderByKey"] == "metrics.`forecast/crps`" and state["orderByAsc"] is True
    keys = state["groupBy"]["groupByKeys"]
    assert keys == [{"mode": "param", "groupByData": "target"}]
    assert all(run.data.params["target"] == "people" for run in job.children())


def test_model_runs_share_the_params_compare_plots(job: TrainedJob) -> None:
    runs = job.children()
    assert len(runs) == 2
    for run in runs:
        assert set(run.data.params) >= SHARED, run.info.run_name
    by_model = {r.data.params["model"]: r.data.params for r in runs}
    assert by_model["hurdle"]["inputs"] == "arrivals+weather"
    assert by_model["climatology"]["inputs"] == "arrivals"
    assert "history_days=365" in by_model["hurdle"]["hyperparameters"]
    # "Compare" plots the first three params (by name) whose values differ: shared ones.
    differ = sorted(
        k
        for k in set(by_model["hurdle"]) | set(by_model["climatology"])
        if by_model["hurdle"].get(k) != by_model["climatology"].get(k)
    )
    assert set(differ[:3]) <= SHARED


def test_the_printed_link_opens_the_view_of_this_experiment(job: TrainedJob) -> None:
    links = [m for m in job.logged if "Compare the models" in m]
    assert len(links) == 1
    url = links[0].rsplit(" ", 1)[-1]
    assert url.startswith(f"{LOCAL_UI}/#/experiments/{job.result.experiment_id}/runs?")
    query = parse_qs(urlsplit(url.split("#", 1)[1]).query)
    assert query["viewStateShareKey"] == [COMPARISON_VIEW]
    assert query["workflowType"] == ["machine_learning"]
    note = job.client.get_experiment(job.result.experiment_id).tags["mlflow.note.content"]
    assert note.startswith("Two models.") and url.split("/", 3)[-1] in note


def test_a_server_link_names_the_server_without_its_password() -> None:
    url = tracking.view_url("7", "v", uri="https://bob:secret@mlflow.example.org/")
    assert url == (
        "https://mlflow.example.org/#/experiments/7/runs"
        "?workflowType=machine_learning&viewStateShareKey=v"
    )
