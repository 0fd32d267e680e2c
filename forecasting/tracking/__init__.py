"""MLflow tracking and registry: the only package that talks to MLflow.

- `store`: where runs go (the tracking URI, a client on it, experiments, reachability);
- `runs`: a run and what is logged on it, the pyfunc model included;
- `registry`: registered versions, tags, aliases, promotions, and loading a version for
  serving (`MlflowRegistry`);
- `pyfunc`: the registered model itself (`CrossingsModel`) and what ships with it.

Callers use ``from forecasting import tracking`` and ``tracking.<name>``.
"""

from __future__ import annotations

from forecasting.tracking.promotion import (
    AliasMove,
    decision_history,
    move_together,
    recover,
)
from forecasting.tracking.registry import (
    CHALLENGER,
    CHAMPION,
    LAST_TRAINED_PREFIX,
    PROMOTION_PREFIX,
    MlflowRegistry,
    VersionInfo,
    get_version,
    get_version_by_alias,
    load_local_model,
    promote,
    promotion_history,
    register_model,
    registered_model_tags,
    set_alias,
    set_registered_model_tag,
    set_version_tags,
)
from forecasting.tracking.runs import (
    load_run_table,
    log_artifact,
    log_dict,
    log_figure,
    log_metric_rows,
    log_metrics,
    log_params,
    log_pyfunc_model,
    log_table,
    log_text,
    set_tags,
    start_run,
)
from forecasting.tracking.store import (
    DEFAULT_ARTIFACT_ROOT,
    DEFAULT_TRACKING_URI,
    TrackingUnavailable,
    check_reachable,
    client,
    configure,
    current_uri,
    ensure_experiment,
    is_local,
    resolve_tracking_uri,
    run_url,
)

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "DEFAULT_ARTIFACT_ROOT",
    "DEFAULT_TRACKING_URI",
    "LAST_TRAINED_PREFIX",
    "PROMOTION_PREFIX",
    "AliasMove",
    "MlflowRegistry",
    "TrackingUnavailable",
    "VersionInfo",
    "check_reachable",
    "client",
    "configure",
    "current_uri",
    "decision_history",
    "ensure_experiment",
    "get_version",
    "get_version_by_alias",
    "is_local",
    "load_local_model",
    "load_run_table",
    "log_artifact",
    "log_dict",
    "log_figure",
    "log_metric_rows",
    "log_metrics",
    "log_params",
    "log_pyfunc_model",
    "log_table",
    "log_text",
    "move_together",
    "promote",
    "promotion_history",
    "recover",
    "register_model",
    "registered_model_tags",
    "resolve_tracking_uri",
    "run_url",
    "set_alias",
    "set_registered_model_tag",
    "set_tags",
    "set_version_tags",
    "start_run",
]
