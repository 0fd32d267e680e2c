"""Saved models stay loadable: pyfunc models saved by an earlier version of the package
(tests/fixtures/saved_models, fitted on synthetic data) load and forecast as they did when
saved. A failure here means a change would break the registry's existing champions.

Since issue 14 the saved model forecasts through `forecasting.issuing.issue_forecast`, whose
random streams are keyed by the seed, the issue date and the model. The pickled models are the
originals; their exact forecast with the caller's weather taken as it is
(``weather_uncertainty: none``, the old meaning) was re-recorded once in
``fixture_expected.csv``, and it must agree with the numbers recorded when the models were saved
(``fixture_expected_at_save.csv``) within Monte Carlo error.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from forecasting.contract import DEFAULT_LEVELS_PCT, hi_col, level_name, lo_col

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "saved_models"
PARAMS = {"n_samples": 500, "seed": 0, "weather_uncertainty": "none"}

# The at-save forecasts were written when the summary named its bands ``lo_80``; issue 8
# renamed them ``lo-80`` (one band naming everywhere). Only the names changed.
RENAMED_BANDS = {
    f"{side}_{level_name(lv)}": col(lv)
    for lv in DEFAULT_LEVELS_PCT
    for side, col in (("lo", lo_col), ("hi", hi_col))
}


def _load(name: str) -> tuple[mlflow.pyfunc.PyFuncModel, pd.DataFrame]:
    path = FIXTURES / name
    frame = pd.read_csv(path / "fixture_input.csv", parse_dates=["date"])
    return mlflow.pyfunc.load_model(str(path)), frame


def _expected(name: str, file: str) -> pd.DataFrame:
    table = pd.read_csv(FIXTURES / name / file, parse_dates=["date"])
    return table.rename(columns=RENAMED_BANDS)


@pytest.mark.parametrize("name", ["hurdle-people", "hurdle-boats"])
def test_saved_model_forecast_is_unchanged(name: str) -> None:
    model, frame = _load(name)
    # The old signature has no weather_uncertainty param (MLflow would drop it), so the
    # exact-weather forecast is asked of the unwrapped model, as the API does.
    got = model.unwrap_python_model().predict(None, frame, params=PARAMS)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True),
        _expected(name, "fixture_expected.csv"),
        check_dtype=False,
        check_exact=False,
        rtol=1e-9,
    )
    meta = model.unwrap_python_model().metadata
    assert meta["target"] == name.split("-")[1]
    assert "numpy" in meta["library_versions"]


@pytest.mark.parametrize("name", ["hurdle-people", "hurdle-boats"])
def test_saved_model_agrees_with_what_it_gave_when_saved(name: str) -> None:
    """Another random stream, the same model: P(any) per day within 4 standard errors of the
    at-save value and the expected weekly total within 15%."""
    model, frame = _load(name)
    got = model.unwrap_python_model().predict(None, frame, params=PARAMS)
    saved = _expected(name, "fixture_expected_at_save.csv")
    p, q = got["p_any"].to_numpy(), saved["p_any"].to_numpy()
    se = np.sqrt((p * (1 - p) + q * (1 - q)) / PARAMS["n_samples"])
    assert (np.abs(p - q) <= 4 * se + 0.01).all(), (p, q)
    assert got["mean"].sum() == pytest.approx(saved["mean"].sum(), rel=0.15)


def test_saved_model_spreads_its_weather_through_mlflow_by_default() -> None:
    """Through MLflow's own predict (the old signature knows n_samples and seed only) the
    weather is taken as a forecast and spread by lead, so the forecast differs from the
    exact-weather one."""
    model, frame = _load("hurdle-people")
    spread = model.predict(frame, params={"n_samples": 500, "seed": 0})
    exact = _expected("hurdle-people", "fixture_expected.csv")
    assert list(spread.columns) == list(exact.columns)
    assert not np.allclose(spread["p_any"], exact["p_any"])
    assert (spread["p_any"].between(0, 1)).all()
