"""The track record: archived forecasts scored against the actuals, beside climatology.

`verify(service, target, days)` reads from the archive every default-weather forecast
(kinds `default`, served, and `reissue`, the hindcasts `crossings reissue` backfilled) in the
honest `forecast` weather mode for the last `days` days with actuals, keeps the newest per
(issue date, day), and pairs each with the `climatology` model's forecast issued on the same
issue date for the same day (kind `reference`). A missing reference is issued now through
`ForecastService.issue_as`, the service's own path (climatology refits on the arrivals before
the issue date, so it is what it would have said then), and archived. Both sides are scored on
the same (issue date, day) pairs with `forecasting.evaluation.verification`; the reliability
diagram is `forecasting.evaluation.reliability`'s, the backtest's bins (every bin listed).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np
import pandas as pd

from api.archive.store import ARCHIVE_QUANTILE_PROBS, ArchiveUnavailable
from api.archiving import archive_record
from api.champion import Champion
from api.service import Ask, ForecastService, InvalidInput
from forecasting import models
from forecasting.contract import DEFAULT_LEVELS_PCT, MAX_HORIZON, level_name
from forecasting.evaluation.reliability import reliability_bins
from forecasting.evaluation.verification import score

log = logging.getLogger(__name__)

FORECAST_KINDS: Final = ("default", "reissue")  # reissue: api/reissue.py
REFERENCE_KIND: Final = "reference"
REFERENCE_MODEL: Final = "climatology"
REFERENCE_VERSION: Final = "reference"
LEVELS: Final = tuple(level_name(lv) for lv in DEFAULT_LEVELS_PCT)
_KEY: Final = ["issue_date", "date"]


def reference_champion(service: ForecastService, target: str) -> Champion:
    """The climatology model on the observed arrivals, wrapped as the service serves models
    (issue_forecast conditions it on the arrivals before each issue date)."""
    obs = service.observed_data()
    model = models.create(REFERENCE_MODEL, target=target).fit(obs.arrivals, None)
    return Champion(
        forecaster=model,
        metadata={"model_name": REFERENCE_MODEL, "target": target},
        version=REFERENCE_VERSION,
        loaded_at=datetime.now(UTC),
        registered_name=REFERENCE_MODEL,
    )


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Archive rows as a frame with the issue date and lead; only forecast-mode forecasts."""
    keep = [
        {**r, "issue_date": date.fromisoformat(r["inputs"]["issue_date"])}
        for r in rows
        if (r["inputs"] or {}).get("weather_mode") == "forecast"
        and (r["inputs"] or {}).get("issue_date")
    ]
    cols = ["kind", "issue_date", "date", "median", "p_any", "bands", "quantiles"]
    frame = pd.DataFrame(keep, columns=[*cols, "issued_at"])
    if frame.empty:
        return frame
    frame["lead"] = [(d - t).days for d, t in zip(frame["date"], frame["issue_date"], strict=True)]
    # rows come oldest first: the newest forecast per (kind group, issue date, day) wins
    frame["side"] = np.where(frame["kind"] == REFERENCE_KIND, "climatology", "forecast")
    return frame.drop_duplicates(["side", *_KEY], keep="last")


def _issue_references(
    service: ForecastService, target: str, missing: pd.DataFrame
) -> list[dict[str, Any]]:
    """Issue the climatology reference for each issue date in `missing` (covering its days)
    and return its rows shaped like the archive's."""
    if missing.empty:
        return []
    champ = reference_champion(service, target)
    rows: list[dict[str, Any]] = []
    for t, group in missing.groupby("issue_date"):
        first, last = min(group["date"]), max(group["date"])
        ask = Ask(start=first, horizon=(last - first).days + 1, as_of=t)
        try:
            issued = service.issue_as(REFERENCE_KIND, champ, ask)
        except InvalidInput as exc:
            log.warning("no climatology reference for %s issued %s: %s", target, t, exc)
            continue
        record = archive_record(issued, {})
        quantiles = {q["date"]: q["quantiles"] for q in record.quantiles}
        inputs = {"issue_date": t.isoformat(), "weather_mode": "forecast"}
        for d in record.days:
            rows.append(
                {**d, "kind": REFERENCE_KIND, "inputs": inputs, "quantiles": quantiles[d["date"]]}
            )
    return rows


def paired(service: ForecastService, target: str, first: date, last: date) -> pd.DataFrame:
    """One row per scored (issue date, day): the forecast's and climatology's figures
    (suffixes `_f` and `_c`) and the actual; reference forecasts issued where missing."""
    if service.archive is None:
        raise ArchiveUnavailable("the forecast archive is not configured")
    obs = service.observed_data()
    kinds = (*FORECAST_KINDS, REFERENCE_KIND)
    frame = _frame(service.archive.verifiable(target, first, last, kinds))
    if frame.empty:
        return frame
    fc = frame[frame["side"] == "forecast"]
    ref = frame[frame["side"] == "climatology"]
    missing = fc.merge(ref[_KEY], on=_KEY, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    extra = _frame(_issue_references(service, target, missing))
    if not extra.empty:
        ref = pd.concat([ref, extra[extra["side"] == "climatology"]], ignore_index=True)
    both = fc.merge(ref, on=_KEY, suffixes=("_f", "_c"))
    both["actual"] = [obs.actual(target, d) for d in both["date"]]
    both = both[both["actual"].notna()]
    return both.sort_values(["date", "issue_date"]).reset_index(drop=True)


def _side(both: pd.DataFrame, suffix: str) -> pd.DataFrame:
    cols = {f"{c}{suffix}": c for c in ("median", "p_any", "bands", "quantiles")}
    return both[[*cols, "actual"]].rename(columns=cols)


def _scores(both: pd.DataFrame) -> dict[str, Any]:
    """Both sides' scores; the CRPS only over days where both kept their percentiles."""
    both = both.copy()
    lacking = both["quantiles_f"].isna() | both["quantiles_c"].isna()
    both.loc[lacking, ["quantiles_f", "quantiles_c"]] = None
    return {
        name: score(_side(both, sfx), ARCHIVE_QUANTILE_PROBS, LEVELS)
        for name, sfx in (("forecast", "_f"), ("climatology", "_c"))
    }


def _series(both: pd.DataFrame) -> list[dict[str, Any]]:
    """Per day, the forecast issued closest to it (the shortest lead), beside climatology's."""
    nearest = both.sort_values(["date", "lead_f"]).drop_duplicates("date", keep="first")
    return [
        {
            "date": r.date,
            "actual": int(r.actual),
            "issue_date": r.issue_date,
            "lead": int(r.lead_f),
            "median": int(r.median_f),
            "p_any": float(r.p_any_f),
            "bands": r.bands_f,
            "climatology_median": int(r.median_c),
            "climatology_p_any": float(r.p_any_c),
        }
        for r in nearest.itertuples()
    ]


def verify(service: ForecastService, target: str, days: int) -> dict[str, Any]:
    """The verification response (see VerificationResponse) for the last `days` days with
    actuals."""
    last = service.observed_data().last_date
    first = last - timedelta(days=days - 1)
    both = paired(service, target, first, last)
    if both.empty:
        both = pd.DataFrame(
            columns=[*_KEY, "actual", "lead_f"]
            + [f"{c}{s}" for c in ("median", "p_any", "bands", "quantiles") for s in ("_f", "_c")]
        )
    happened = both["actual"].to_numpy(dtype=float) > 0
    return {
        "target": target,
        "days": days,
        "window_start": first,
        "window_end": last,
        "n_forecasts": int(both["issue_date"].nunique()),
        "scores": _scores(both),
        "by_lead": [
            {"lead": int(lead), **_scores(group)}
            for lead, group in both.groupby("lead_f")
            if 0 <= lead < MAX_HORIZON
        ],
        "reliability": {
            "forecast": reliability_bins(both["p_any_f"].to_numpy(dtype=float), happened),
            "climatology": reliability_bins(both["p_any_c"].to_numpy(dtype=float), happened),
        },
        "series": _series(both),
    }


__all__ = ["FORECAST_KINDS", "REFERENCE_KIND", "paired", "reference_champion", "verify"]
