"""/v1/model: the champions served, their provenance and backtest metrics."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from api.deps import StoreDep
from api.errors import public_registry_error
from api.schemas import ChampionInfo, ModelResponse, ValidationErrorResponse
from forecasting.contract import Target

router = APIRouter(prefix="/v1/model", tags=["model"])


@router.get(
    "",
    response_model=ModelResponse,
    summary="The champion per target",
    responses={422: {"model": ValidationErrorResponse}},
)
def get_model(
    store: StoreDep,
    target: Annotated[Target | None, Query(description="Only this target.")] = None,
) -> ModelResponse:
    """Name, version, training time, data vintage and backtest metrics of each champion, and
    whether it is stale (the registry could not be reached at the last check)."""
    out = []
    for t in store.targets if target is None else (target,):
        if t not in store.names:
            continue
        champ = store.get(t)
        st = store.status(t)
        meta: dict[str, Any] = champ.metadata if champ else {}
        metrics = meta.get("backtest_metrics") or {}
        out.append(
            ChampionInfo(
                target=t,  # type: ignore[arg-type]
                registered_model=st.registered_name,
                name=champ.model_name if champ else None,
                version=champ.version if champ else None,
                trained_at=champ.trained_at if champ else None,
                data_vintage=_str(meta.get("data_vintage")),
                weather_source=_str(meta.get("weather_source")),
                weather_location=_str(meta.get("weather_location")),
                training_data_end=(
                    pd.Timestamp(champ.forecaster.last_date_).date() if champ else None
                ),
                backtest_metrics=dict(metrics) if isinstance(metrics, dict) else {},
                loaded_at=champ.loaded_at if champ else None,
                status="unavailable" if champ is None else ("stale" if store.is_stale(t) else "ok"),
                registry_error=public_registry_error(st.error),
                registry_checked_at=st.last_check_at,
            )
        )
    return ModelResponse(champions=out)


def _str(value: object) -> str | None:
    return None if value is None else str(value)
