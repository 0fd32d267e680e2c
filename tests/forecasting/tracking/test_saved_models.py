"""Saved models stay loadable: pyfunc models saved by an earlier version of the package
(tests/fixtures/saved_models, fitted on synthetic data) load and forecast exactly as they did
when saved. A failure here means a change would break the registry's existing champions."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from forecasting.contract import DEFAULT_LEVELS_PCT, hi_col, level_name, lo_col

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "saved_models"

# The fixtures' expected forecasts were written when the summary named its bands ``lo_80``;
# issue 8 renamed them ``lo-80`` (one band naming everywhere). Only the names changed.
RENAMED_BANDS = {
    f"{side}_{level_name(lv)}": col(lv)
    for lv in DEFAULT_LEVELS_PCT
    for side, col in (("lo", lo_col), ("hi", hi_col))
}


@pytest.mark.parametrize("name", ["hurdle-people", "hurdle-boats"])
def test_saved_model_forecast_is_unchanged(name: str) -> None:
    path = FIXTURES / name
    model = mlflow.pyfunc.load_model(str(path))
    frame = pd.read_csv(path / "fixture_input.csv", parse_dates=["date"])
    got = model.predict(frame, params={"n_samples": 500, "seed": 0})
    expected = pd.read_csv(path / "fixture_expected.csv", parse_dates=["date"])
    expected = expected.rename(columns=RENAMED_BANDS)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected, check_dtype=False, check_exact=False, rtol=1e-9
    )
    meta = model.unwrap_python_model().metadata
    assert meta["target"] == name.split("-")[1]
    assert "numpy" in meta["library_versions"]
