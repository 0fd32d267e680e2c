"""After-the-fact recalibration of P(any crossing): the ensemble's pool map (`recalibrate`),
and the map of hurdles pickled before issue 21 (`forecasting.models._hurdle_legacy`). The
hurdle itself now calibrates its shared crossing-day gate inside its simulation
(`forecasting.models.gate_calibration`).

How it was built for the hurdle (the ensemble's pool follows the same steps):

1. Inner rolling origins over the end of the fitted history: the last `n_origins` weekly
   origins, in `refits` blocks. The base model (the same model without recalibration) is
   fitted on the history before each block's first origin; at each origin of the block it
   takes its state from the data before that origin and is issued `horizon` days through
   `forecasting.issuing.issue_forecast` under the served weather builder's simulated issued
   forecast, as a backtest in `forecast` mode does. Every inner origin lies inside the fitted
   history, so every pair is out of sample for the inner fit and before the served origin.
2. The (lead, forecast P(any), outcome) pairs fit one Platt map pooled over leads with a
   lead term: logit p* = a + b·logit p + c·(lead − 1). Pooled, because a year of weekly
   origins gives ~52 pairs per lead, too few for a stable per-lead fit; a lead term, because
   the over-forecast may grow with lead. Logistic rather than isotonic: three smooth
   parameters fitted by statsmodels (already a dependency) against a step function that
   overfits a few hundred pairs and needs sklearn.
3. `PAnyCalibration.apply` moves a forecast's samples so the fraction of non-zero samples on
   each day equals the calibrated p: it thins non-zero samples to zero, or replaces zero
   samples by the day's own positive draws resampled. Means, bands, weekly totals and
   P(≥ k) are all read from the moved paths, so they stay consistent with each other.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

P_FLOOR = 0.005  # forecast probabilities are clipped to [P_FLOOR, 1 − P_FLOOR] before logit


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), P_FLOOR, 1.0 - P_FLOOR)
    return np.log(p / (1.0 - p))


@dataclass(frozen=True)
class PAnyCalibration:
    """A fitted Platt map of P(any crossing) with a lead term, and where it came from."""

    intercept: float
    slope: float
    lead_coef: float
    max_lead: int
    n_pairs: int
    origins: tuple[pd.Timestamp, ...]  # the inner origins its pairs were forecast from

    def prob(self, p: np.ndarray, lead: np.ndarray | int) -> np.ndarray:
        """The calibrated P(any) of forecast probabilities `p` at `lead` days ahead (leads
        past the fitted ones use the last fitted lead)."""
        lead_term = np.minimum(np.asarray(lead, dtype=float), self.max_lead) - 1.0
        z = self.intercept + self.slope * _logit(p) + self.lead_coef * lead_term
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def apply(self, samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Sample paths (n, days) whose per-day fraction of non-zero samples is the
        calibrated P(any); day t is lead t + 1.

        Which samples move is decided by one rank per path, shared by every day: a thinned
        day zeroes the non-zero samples of the highest-ranked paths, a filled day gives the
        lowest-ranked zero paths a count drawn from that day's crossings. Paths keep their
        character across the week (a quiet path stays quiet), so weekly totals keep the
        spread that independent per-day moves would average away."""
        out = np.array(samples, copy=True)
        n = out.shape[0]
        order = np.argsort(rng.random(n))  # the paths in a random order: rank 0 first
        for t in range(out.shape[1]):
            nonzero = out[:, t] > 0
            have = int(nonzero.sum())
            want = int(np.rint(float(self.prob(np.array(have / n), t + 1)) * n))
            if want < have:  # zero the highest-ranked crossing paths
                ranked = order[nonzero[order]]
                out[ranked[want:], t] = 0
            elif want > have and have > 0:  # fill the lowest-ranked quiet paths, in rank order
                fill = order[~nonzero[order]][: want - have]
                out[fill, t] = rng.choice(out[nonzero, t], size=want - have, replace=True)
        return out


def inner_origins(last_day: pd.Timestamp, n_origins: int, horizon: int) -> list[pd.Timestamp]:
    """The last `n_origins` weekly origins whose `horizon` days all end by `last_day`."""
    last = pd.Timestamp(last_day) - pd.Timedelta(days=horizon - 1)
    return [last - pd.Timedelta(days=7 * k) for k in reversed(range(n_origins))]


def fit_calibration(pairs: pd.DataFrame) -> PAnyCalibration | None:
    """The Platt map with a lead term fitted on `pairs` (lead, p, y), or None (with a
    warning) when the pairs cannot support one: a single outcome, or a non-increasing map."""
    import statsmodels.api as sm

    y = pairs["y"].to_numpy(dtype=float)
    if y.min() == y.max():
        log.warning("P(any) recalibration skipped: the inner outcomes are all %d", int(y[0]))
        return None
    lead = pairs["lead"].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(y)), _logit(pairs["p"].to_numpy()), lead - 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            params = np.asarray(sm.GLM(y, X, family=sm.families.Binomial()).fit().params)
        except Exception as exc:  # perfect separation and the like: keep the raw forecast
            log.warning("P(any) recalibration skipped: the logistic fit failed (%s)", exc)
            return None
    if not np.all(np.isfinite(params)) or params[1] <= 0:
        log.warning("P(any) recalibration skipped: fitted map %s is not increasing", params)
        return None
    origins = tuple(pd.DatetimeIndex(pairs["origin"]).unique())
    return PAnyCalibration(
        intercept=float(params[0]),
        slope=float(params[1]),
        lead_coef=float(params[2]),
        max_lead=int(lead.max()),
        n_pairs=len(y),
        origins=origins,
    )
