"""Features: the per-path state (`PathState`) matches the batch feature functions it mirrors.

`features.py` promises one definition of the series state, computed over history at fit time
(`blocked_run`, `recent_level`, `recent_size`) and along each simulated path at predict time
(`PathState`). If they drift, the hurdle model is fitted on one thing and simulated on another.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecasting import features


def _series(seed: int, n: int = 200) -> np.ndarray:
    """Zero-inflated counts with long blocked runs, like the real series."""
    rng = np.random.default_rng(seed)
    crossing = rng.random(n) < 0.4
    crossing[60:75] = False  # a long blocked run inside the window
    return np.where(crossing, rng.negative_binomial(2, 0.02, n) + 1, 0).astype(float)


def _batch_terms(y: np.ndarray) -> np.ndarray:
    return features.state_terms(
        features.blocked_run(y), features.recent_level(y), features.recent_size(y)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_path_state_at_start_matches_batch_features(seed: int) -> None:
    y = _series(seed)
    batch = _batch_terms(y)
    for t in range(features.SIZE_WINDOW, len(y)):
        state = features.PathState(y[:t], n_paths=3)
        np.testing.assert_allclose(state.terms(), np.tile(batch[t], (3, 1)), rtol=1e-12)


@pytest.mark.parametrize("seed", [3, 4])
def test_path_state_stepped_along_a_path_matches_batch_features(seed: int) -> None:
    y = _series(seed)
    t0 = features.SIZE_WINDOW + 5
    batch = _batch_terms(y)
    state = features.PathState(y[:t0], n_paths=1)
    for t in range(t0, len(y)):
        np.testing.assert_allclose(state.terms()[0], batch[t], rtol=1e-12)
        state.update(np.array([y[t]]))


def test_batch_features_match_naive_loops() -> None:
    y = _series(5, n=120)
    blocked = features.blocked_run(y)
    level = features.recent_level(y)
    size = features.recent_size(y)
    for t in range(len(y)):
        run = 0
        while t - run - 1 >= 0 and y[t - run - 1] == 0:
            run += 1
        assert blocked[t] == run
        before = y[max(0, t - features.LEVEL_WINDOW) : t]
        assert level[t] == pytest.approx(before.mean() if len(before) else 0.0)
        window = y[max(0, t - features.SIZE_WINDOW) : t]
        days = max(int((window > 0).sum()), 1)
        assert size[t] == pytest.approx(window.sum() / days if len(window) else 0.0)


def test_paths_diverge_with_their_own_outcomes() -> None:
    """Each path carries its own state: a blocked path's run grows, a crossing path's resets."""
    y = _series(6)
    state = features.PathState(y[:100], n_paths=2)
    before = state.blocked.copy()
    state.update(np.array([0.0, 50.0]))
    assert state.blocked[0] == before[0] + 1
    assert state.blocked[1] == 0


def test_day_of_year_matches_pandas_across_leap_years() -> None:
    import pandas as pd

    dates = pd.date_range("2019-12-25", "2025-03-05", freq="D")
    assert np.array_equal(features.day_of_year(dates), dates.day_of_year.to_numpy())
