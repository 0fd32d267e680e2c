"""P(any) = 0.3, 0.6 and 0.7 land in the same reliability bin on every path that draws one:
the backtest's calibration report (backtest JSON, benchmarks), the MLflow reliability plot
and `GET /v1/verification`, whose response still validates."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from api import verification
from api.schemas.verification import VerificationResponse
from forecasting.evaluation import calibration
from forecasting.training import plots_compare

P_EDGES = (0.3, 0.6, 0.7)
BINS = [(0.3, 0.4), (0.6, 0.7), (0.7, 0.8)]  # [lo, hi) of each value's bin


def _backtest_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": "m",
            "weather_mode": "forecast",
            "p_any": P_EDGES,
            "actual": [0, 5, 9],
            "pit": 0.5,
        }
    )


def _paired() -> pd.DataFrame:
    """What `api.verification.paired` returns: one row per (issue date, day)."""
    last = date(2026, 5, 14)
    bands = {lv: {"lo": 0, "hi": 10} for lv in ("50", "80", "95")}
    return pd.DataFrame(
        [
            {
                "issue_date": last - timedelta(days=k),
                "date": last - timedelta(days=k),
                "actual": a,
                "lead_f": 0,
                **{f"median{s}": 3 for s in ("_f", "_c")},
                **{f"bands{s}": bands for s in ("_f", "_c")},
                **{f"quantiles{s}": None for s in ("_f", "_c")},
                "p_any_f": p,
                "p_any_c": p,
            }
            for k, (p, a) in enumerate(zip(P_EDGES, [0, 5, 9], strict=True))
        ]
    )


def test_edge_probabilities_share_a_bin_on_every_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # the backtest's calibration report: only the bins holding forecasts
    (report,) = calibration.reliability(_backtest_rows())
    assert [(b["lo"], b["hi"], b["n"]) for b in report["bins"]] == [(*e, 1) for e in BINS]
    assert calibration.calibration_report(_backtest_rows())["reliability"] == [report]
    # the MLflow plot: one count bar per bin, at the bin's lower edge
    fig = plots_compare.reliability_diagram(_backtest_rows())
    bars = fig.axes[1].patches
    assert [round(b.get_x(), 9) for b in bars] == [lo for lo, _ in BINS]  # type: ignore[attr-defined]
    assert [b.get_height() for b in bars] == [1, 1, 1]  # type: ignore[attr-defined]
    # the track record: every bin listed, the same three holding one day each
    monkeypatch.setattr(verification, "paired", lambda *_: _paired())
    service: Any = SimpleNamespace(
        observed_data=lambda: SimpleNamespace(last_date=date(2026, 5, 14))
    )
    body = VerificationResponse.model_validate(verification.verify(service, "people", 3))
    for side in (body.reliability.forecast, body.reliability.climatology):
        assert len(side) == 10
        held = [(b.lo, b.hi, b.n) for b in side if b.n]
        assert held == [(*e, 1) for e in BINS]
        assert [b.forecast for b in side if b.n] == list(P_EDGES)
    assert [b.observed for b in body.reliability.forecast if b.n] == [0.0, 1.0, 1.0]
    assert [b["observed"] for b in report["bins"]] == [0.0, 1.0, 1.0]
    assert np.isclose(sum(b.n for b in body.reliability.forecast), len(P_EDGES))
