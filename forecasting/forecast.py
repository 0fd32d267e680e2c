"""The Forecast object: sample paths of daily counts over a horizon, and summaries of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np
import pandas as pd

from forecasting.contract import DEFAULT_LEVELS_PCT, TARGETS, hi_col, lo_col
from forecasting.schema import DATE

# numpy quantile method shared by Forecast and the metrics: the generalised inverse of the
# empirical CDF, so every quantile is one of the sample values (integer paths give integer
# quantiles) and quantiles are monotone in the level.
QUANTILE_METHOD: Final = "inverted_cdf"

# The open unit interval's ends as floats: a band level accepted in (0, 100) percent can still
# round to a probability of exactly 0 or 1 (5e-324 % → 0.0; 99.99999999999999 % → 1.0), so the
# band maths clamps its probabilities here. With the inverted CDF these are the ensemble's
# minimum and maximum, which is what such a level means.
_P_FLOOR: Final = float(np.finfo(float).tiny)
_P_CEIL: Final = float(np.nextafter(1.0, 0.0))


def sample_quantiles(samples: np.ndarray, probs: Sequence[float] | np.ndarray) -> np.ndarray:
    """Empirical quantiles of ensembles along the last axis.

    `samples` has shape (..., n) with the ensemble on the last axis; `probs` are levels in
    (0, 1). Returns shape (..., len(probs)). Uses numpy's ``inverted_cdf`` method, so each
    quantile is a member of the ensemble and keeps its dtype (integer samples give integer
    quantiles). This is the single definition used by `Forecast` and by the metrics.
    """
    p = check_probs(probs)
    arr = np.asarray(samples)
    if arr.ndim < 1 or arr.shape[-1] < 1:
        raise ValueError("samples must have at least one member on the last axis")
    q = np.quantile(arr, p, axis=-1, method=QUANTILE_METHOD)
    return np.moveaxis(q, 0, -1)


def inverted_cdf_positions(n: int, probs: np.ndarray) -> np.ndarray:
    """Where numpy's ``inverted_cdf`` quantiles at `probs` sit in a sorted ensemble of `n`,
    with numpy's own arithmetic (virtual index n·p − 1, taken up to the next whole position
    unless it is one). Quantiles of a presorted ensemble are then lookups, equal to
    `sample_quantiles` bit for bit (tests/forecasting/test_forecast_sorted.py)."""
    v = n * np.asarray(probs, dtype=float) - 1
    below = np.floor(v)
    pos = np.where(v - below == 0, below, below + 1).astype(np.intp)
    return np.maximum(pos, 0)


def check_probs(probs: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return `probs` as a 1-D float array, raising ValueError unless all are in (0, 1)."""
    p = np.atleast_1d(np.asarray(probs, dtype=float))
    if p.ndim != 1 or p.size == 0:
        raise ValueError("quantile levels must be a non-empty 1-D sequence")
    if not np.all((p > 0) & (p < 1)):
        raise ValueError(f"quantile levels must lie strictly between 0 and 1, got {p.tolist()}")
    return p


def open_unit(p: float) -> float:
    """`p` clamped into the open interval (0, 1) that `check_probs` accepts."""
    return min(max(float(p), _P_FLOOR), _P_CEIL)


def interval_probs(level_pct: float) -> tuple[float, float]:
    """Lower and upper probabilities of a central interval given in percent (80 → 0.1, 0.9).

    Any level strictly inside (0, 100) works, however close to the ends: probabilities that
    round to 0 or 1 are clamped into (0, 1) (the ensemble's extremes)."""
    level = float(level_pct)
    if not 0 < level < 100:
        raise ValueError(f"interval level must be in (0, 100) percent, got {level_pct}")
    # (100 ∓ level) / 200 gives the correctly rounded probabilities (95 → 0.025, 0.975);
    # 1 − 0.95 would not, and that noise moves inverted-CDF quantiles at exact boundaries.
    return open_unit((100 - level) / 200), open_unit((100 + level) / 200)


def band(samples: np.ndarray, level_pct: float) -> tuple[np.ndarray, np.ndarray]:
    """Prediction band holding `level_pct`% of the samples along the last axis.

    Equal-tailed (q(α/2), q(1−α/2)), except where the lower quantile is already at the floor
    of a non-negative count (zero): there the band is [0, q(level)], so it still holds the
    nominal probability instead of wasting the lower tail on the point mass at zero. Plain
    equal-tailed bands over-cover a zero-inflated series.
    """
    arr = np.asarray(samples)
    q = sample_quantiles(arr, band_probs(level_pct))
    return band_from_quantiles(q, arr.min(axis=-1))


def band_probs(level_pct: float) -> list[float]:
    """The quantile levels a `level_pct`% band is read from: the two equal tails, then the
    one-sided level (see `band`)."""
    lo_p, hi_p = interval_probs(level_pct)
    return [lo_p, hi_p, open_unit(float(level_pct) / 100)]


def band_from_quantiles(q: np.ndarray, minimum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The band (see `band`) from its `band_probs` quantiles (on the last axis) and the
    ensembles' minima."""
    lo, hi, one_sided = q[..., 0], q[..., 1], q[..., 2]
    at_floor = (lo == 0) & (minimum >= 0)
    return lo, np.where(at_floor, one_sided, hi)


@dataclass(frozen=True, eq=False)
class Forecast:
    """Probabilistic forecast as sample paths: `samples[i, t]` is path i on `dates[t]`.

    Our models give non-negative int64 paths; other models (the prophet peer) may hold
    floats or negatives, which are kept as given. Summaries are computed from the samples.
    """

    dates: pd.DatetimeIndex
    samples: np.ndarray
    target: str
    model: str

    def __post_init__(self) -> None:
        """Coerce dates and samples and validate their shapes."""
        dates = pd.DatetimeIndex(self.dates)
        samples = np.asarray(self.samples)
        if samples.ndim != 2:
            raise ValueError(
                f"samples must be 2-D (n_samples × horizon), got {samples.ndim}-D "
                f"with shape {samples.shape}"
            )
        if samples.shape[0] < 1:
            raise ValueError("samples must hold at least one sample path (n_samples ≥ 1)")
        if samples.shape[1] != len(dates):
            raise ValueError(
                f"samples have {samples.shape[1]} columns but there are {len(dates)} dates; "
                "they must match (one column per forecast day)"
            )
        if len(dates) == 0:
            raise ValueError("a forecast needs at least one date")
        if len(dates) > 1 and not (np.diff(dates.values) == np.timedelta64(1, "D")).all():
            raise ValueError("forecast dates must be consecutive calendar days in order")
        if samples.dtype.kind not in "iuf":
            raise ValueError(f"samples must be numeric, got dtype {samples.dtype}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {list(TARGETS)}, got {self.target!r}")
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "samples", samples)

    @property
    def horizon(self) -> int:
        """Number of forecast days H."""
        return int(self.samples.shape[1])

    @property
    def n_samples(self) -> int:
        """Number of sample paths."""
        return int(self.samples.shape[0])

    @cached_property
    def sorted_days(self) -> np.ndarray | None:
        """Each day's samples in order, shape (H, n), computed once: quantiles, bands and
        P(≥ k) of a forecast served many ways are then lookups. None when a sample is NaN
        (numpy's quantile rules for NaN apply then)."""
        if self.samples.dtype.kind == "f" and np.isnan(self.samples).any():
            return None
        return np.sort(self.samples.T, axis=-1)

    @cached_property
    def _sorted_totals(self) -> np.ndarray | None:
        if self.sorted_days is None:
            return None
        return np.sort(self.total_samples())

    def daily_quantiles(self, levels: Sequence[float] | np.ndarray) -> np.ndarray:
        """Quantiles of shape (H, len(levels))."""
        days = self.sorted_days
        if days is None:
            return sample_quantiles(self.samples.T, levels)
        return days[:, inverted_cdf_positions(self.n_samples, check_probs(levels))]

    def total_quantile_values(self, probs: Sequence[float] | np.ndarray) -> np.ndarray:
        """Quantiles of the horizon total at `probs`, as an array."""
        totals = self._sorted_totals
        if totals is None:
            return sample_quantiles(self.total_samples(), probs)
        return totals[inverted_cdf_positions(self.n_samples, check_probs(probs))]

    def quantiles(self, levels: Sequence[float]) -> pd.DataFrame:
        """Daily quantiles: index = dates, one column per level in (0, 1)."""
        p = check_probs(levels)
        return pd.DataFrame(self.daily_quantiles(p), index=self.dates, columns=p.tolist())

    def interval(self, level_pct: float) -> tuple[np.ndarray, np.ndarray]:
        """The `level_pct`% band per day (see `band`): e.g. 80 → (q0.10, q0.90), or
        (0, q0.80) where the lower quantile is already zero."""
        return self.intervals([level_pct])[0]

    def intervals(self, levels_pct: Sequence[float]) -> list[tuple[np.ndarray, np.ndarray]]:
        """`interval` at each of `levels_pct`, read in one lookup."""
        days = self.sorted_days
        if days is None:
            bands = [band(self.samples.T, lv) for lv in levels_pct]
        else:
            q = self.daily_quantiles([p for lv in levels_pct for p in band_probs(lv)])
            bands = [
                band_from_quantiles(q[:, 3 * k : 3 * k + 3], days[:, 0])
                for k in range(len(levels_pct))
            ]
        return [(np.asarray(lo), np.asarray(hi)) for lo, hi in bands]

    def median(self) -> np.ndarray:
        """Daily median (a sample value; integer for integer paths)."""
        return self.daily_quantiles([0.5])[:, 0]

    def mean(self) -> np.ndarray:
        """Daily mean of the sample paths."""
        return np.asarray(self.samples.mean(axis=0), dtype=float)

    def p_any(self) -> np.ndarray:
        """Daily probability of at least one crossing, P(count > 0)."""
        return np.asarray((self.samples > 0).mean(axis=0), dtype=float)

    def p_at_least(self, k: float) -> np.ndarray:
        """Daily probability P(count ≥ k)."""
        days = self.sorted_days
        if days is None:
            return np.asarray((self.samples >= k).mean(axis=0), dtype=float)
        below = np.array([np.searchsorted(d, k, side="left") for d in days])
        return np.asarray((self.n_samples - below) / self.n_samples, dtype=float)

    def exceedance(self, thresholds: Sequence[float]) -> pd.DataFrame:
        """Daily P(count ≥ threshold): index = dates, one column per threshold."""
        data = {t: self.p_at_least(t) for t in thresholds}
        return pd.DataFrame(data, index=self.dates, columns=list(thresholds))

    def total_samples(self) -> np.ndarray:
        """Sum of each sample path over the horizon: samples of the coherent total."""
        return np.asarray(self.samples.sum(axis=1))

    def total_quantiles(self, levels: Sequence[float]) -> pd.Series:
        """Quantiles of the horizon total, indexed by level."""
        p = check_probs(levels)
        return pd.Series(self.total_quantile_values(p), index=p.tolist(), name="total")

    def total_interval(self, level_pct: float) -> tuple[float, float]:
        """Central `level_pct`% interval of the horizon total."""
        lo, hi = self.total_quantile_values(interval_probs(level_pct))
        return lo.item(), hi.item()

    def to_frame(self, levels_pct: Sequence[float] = DEFAULT_LEVELS_PCT) -> pd.DataFrame:
        """Long frame, one row per day (Nixtla style).

        Columns: ``date, model, median, mean, p_any`` then ``lo-L, hi-L`` for each level L.
        """
        out = pd.DataFrame(
            {
                DATE: self.dates,
                "model": self.model,
                "median": self.median(),
                "mean": self.mean(),
                "p_any": self.p_any(),
            }
        )
        for level in levels_pct:
            lo, hi = self.interval(level)
            out[lo_col(level)] = lo
            out[hi_col(level)] = hi
        return out

    def is_nonnegative_integer(self) -> bool:
        """True if the samples have an integer dtype and no negative values."""
        return self.samples.dtype.kind in "iu" and bool((self.samples >= 0).all())
