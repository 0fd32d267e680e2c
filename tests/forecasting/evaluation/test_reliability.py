"""The one reliability bin rule (`forecasting.evaluation.reliability`): bin k holds
[k/bins, (k+1)/bins), the last bin also 1, and a probability on an edge opens its bin even
where floating point puts p × bins just below it (0.29 × 100 = 28.999999999999996) or the
computed edges above it (np.linspace(0, 1, 11)[3] = 0.30000000000000004)."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.evaluation.reliability import (
    EDGE_TOLERANCE,
    RELIABILITY_BINS,
    bin_index,
    reliability_bins,
)


def test_edges_open_their_bin_and_one_is_in_the_last() -> None:
    # the floating-point traps the rule must step over
    assert 0.29 * 100 < 29 and np.linspace(0, 1, 11)[3] > 0.3
    assert bin_index(np.array([0.29, 0.57, 0.58]), 100).tolist() == [29, 57, 58]
    p = [0.0, 0.1, 0.29, 0.3, 0.6, 0.7, 0.99, 1.0, 1.2, -0.1, np.nan]
    assert bin_index(np.array(p)).tolist() == [0, 1, 2, 3, 6, 7, 9, 9, 9, 0, -1]


@pytest.mark.parametrize("bins", [2, 3, 5, 7, 10, 20, 100])
def test_every_edge_opens_its_bin(bins: int) -> None:
    edges = np.arange(bins) / bins
    assert bin_index(edges, bins).tolist() == list(range(bins))
    # clearly below an edge (more than the tolerance) is the bin before
    below = edges[1:] - 10 * EDGE_TOLERANCE / bins
    assert bin_index(below, bins).tolist() == list(range(bins - 1))


def test_the_table_lists_every_bin_with_its_documented_edges() -> None:
    p = np.array([0.3, 0.3, 0.6, 0.7, 1.0])
    table = reliability_bins(p, np.array([True, False, True, False, True]))
    assert len(table) == RELIABILITY_BINS
    assert [(t["lo"], t["hi"]) for t in table] == [(k / 10, (k + 1) / 10) for k in range(10)]
    assert [t["n"] for t in table] == [0, 0, 0, 2, 0, 0, 1, 1, 0, 1]
    assert table[3] == {"lo": 0.3, "hi": 0.4, "n": 2, "forecast": 0.3, "observed": 0.5}
    assert table[0] == {"lo": 0.0, "hi": 0.1, "n": 0, "forecast": None, "observed": None}
    assert reliability_bins(p, p > 0.5, digits=4)[9]["forecast"] == 1.0
