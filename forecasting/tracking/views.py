"""A saved view of an experiment's runs table in the MLflow UI, and the link that opens it.

MLflow's UI keeps the runs table's columns, sort and grouping per browser, and shows only
the standard columns (Run Name, Created, Duration, Dataset, Source, Models) to whoever opens
an experiment for the first time. What it does share is a *saved view*: an experiment tag
``mlflow.sharedViewState.<id>`` holding ``{"name", "createdAt", "updatedAt", "state"}``, with
``state`` the table's search facets and UI state as JSON. The UI lists saved views in the
"Views" menu above the runs table and opens one from
``#/experiments/<id>/runs?viewStateShareKey=<id>``. The tag format and the state keys are the
UI's (MLflow 3.17's ``static/js`` bundle; MLflow defines no Python constant for them).

A fresh browser opens MLflow in its GenAI mode (a per-browser setting), where an experiment
lands on the Overview page: the link also says ``workflowType=machine_learning``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from forecasting.tracking.store import client, current_uri

log = logging.getLogger(__name__)

VIEW_TAG_PREFIX = "mlflow.sharedViewState."
VIEW_PARAM = "viewStateShareKey"
WORKFLOW = {"workflowType": "machine_learning"}
LOCAL_UI = "http://127.0.0.1:5000"  # where `mlflow ui` serves a local store by default
_MAX_TAG_CHARS = 20_000  # the UI refuses to save a larger view


@dataclass(frozen=True)
class RunsView:
    """What a saved view of the runs table shows: metric and param columns (in this order in
    the column picker; the table orders each group by name), the metric it sorts by
    (ascending unless `descending`) and the param it groups the runs by."""

    view_id: str
    name: str
    metrics: Sequence[str]
    params: Sequence[str] = ()
    order_by_metric: str | None = None
    descending: bool = False
    group_by_param: str | None = None

    def state(self) -> dict[str, Any]:
        """The UI's state for this view: search facets, then the table's UI state."""
        order = f"metrics.`{self.order_by_metric}`" if self.order_by_metric else None
        state: dict[str, Any] = {
            "searchFilter": "",
            "orderByKey": order or "attributes.start_time",
            "orderByAsc": not self.descending if order else False,
            "startTime": "ALL",
            "lifecycleFilter": "Active",
            "datasetsFilter": [],
            "modelVersionFilter": "All Runs",
            "selectedColumns": [
                *(f"metrics.`{k}`" for k in self.metrics),
                *(f"params.`{k}`" for k in self.params),
            ],
            "runListHidden": False,
            "viewMaximized": False,
            "hideEmptyCharts": True,
        }
        if self.group_by_param:
            state["groupBy"] = {
                "aggregateFunction": "min",
                "groupByKeys": [{"mode": "param", "groupByData": self.group_by_param}],
            }
        return state


def view_tag(view_id: str) -> str:
    """The experiment tag that holds saved view `view_id`."""
    return f"{VIEW_TAG_PREFIX}{view_id}"


def save_runs_view(experiment_id: str, view: RunsView) -> str:
    """Save `view` on the experiment (replacing a view with its id, keeping when that was
    first created); returns the tag's value."""
    c = client()
    old = c.get_experiment(experiment_id).tags.get(view_tag(view.view_id))
    now = int(time.time() * 1000)
    created = now
    if old:
        try:
            created = int(json.loads(old)["createdAt"])
        except (ValueError, KeyError, TypeError):
            created = now
    value = json.dumps(
        {
            "name": view.name,
            "createdAt": created,
            "updatedAt": now,
            "state": json.dumps(view.state(), sort_keys=True),
        }
    )
    if len(value) > _MAX_TAG_CHARS:
        raise ValueError(f"saved view {view.view_id} is too large ({len(value)} characters)")
    c.set_experiment_tag(experiment_id, view_tag(view.view_id), value)
    return value


def load_runs_view(experiment_id: str, view_id: str) -> dict[str, Any] | None:
    """A saved view's envelope with its state decoded, or None if the experiment has none."""
    raw = client().get_experiment(experiment_id).tags.get(view_tag(view_id))
    if raw is None:
        return None
    envelope: dict[str, Any] = json.loads(raw)
    envelope["state"] = json.loads(envelope["state"])
    return envelope


def view_path(experiment_id: str, view_id: str) -> str:
    """The UI route (after the server's address) that opens saved view `view_id` on the
    experiment's runs table, in the model-training mode of the UI."""
    query = urlencode({**WORKFLOW, VIEW_PARAM: view_id})
    return f"#/experiments/{experiment_id}/runs?{query}"


def ui_base(uri: str | None = None) -> str:
    """The MLflow UI's address for tracking URI `uri` (default: the configured one): the
    server itself, or ``mlflow ui``'s default address for a local store."""
    parts = urlsplit(uri or current_uri())
    if parts.scheme not in ("http", "https"):
        return LOCAL_UI
    host = parts.netloc.rsplit("@", 1)[-1]  # never a password in a printed link
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def view_url(experiment_id: str, view_id: str, uri: str | None = None) -> str:
    """The full link that opens saved view `view_id` (`view_path` on `ui_base`)."""
    return f"{ui_base(uri)}/{view_path(experiment_id, view_id)}"


__all__ = [
    "LOCAL_UI",
    "VIEW_PARAM",
    "VIEW_TAG_PREFIX",
    "RunsView",
    "load_runs_view",
    "save_runs_view",
    "ui_base",
    "view_path",
    "view_tag",
    "view_url",
]
