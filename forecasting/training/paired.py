"""Is the challenger really better? A paired Diebold–Mariano test over backtest origins.

Both models are scored on the same origins (same window, data, weather draws), so the
question is about the per-origin score differences d_o = challenger_o − champion_o (each the
mean over the origin's lead days and weather draws). The test is one-sided, H1: E[d] < 0,
with a Newey–West (HAC) variance from statsmodels over `lags = ceil(horizon / step) − 1`
lags (the origins whose forecast windows overlap) and the Harvey–Leybourne–Newbold
small-sample correction, read against Student's t with n − 1 degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from forecasting.contract import WeatherMode

MIN_ORIGINS = 3


@dataclass(frozen=True)
class PairedTest:
    """The test's outcome: p-value (one-sided, challenger better), mean difference
    (challenger − champion; negative favours the challenger), statistic and origins."""

    p_value: float
    mean_diff: float
    statistic: float
    n_origins: int
    lags: int


def origin_scores(
    rows: pd.DataFrame, model: str, weather_mode: WeatherMode, metric: str = "crps"
) -> pd.Series:
    """A model's per-origin score in one weather mode: the mean of `metric` over the lead days
    and weather draws of each origin (indexed by origin, sorted)."""
    sel = rows.loc[(rows["model"] == model) & (rows["weather_mode"] == weather_mode)]
    return sel.groupby("origin", sort=True)[metric].mean()


def hac_lags(horizon: int, step: int) -> int:
    """Lags over which per-origin differences are correlated: origins whose forecast windows
    overlap (0 when the step is at least the horizon)."""
    return max(math.ceil(horizon / max(step, 1)) - 1, 0)


def diebold_mariano(
    challenger: pd.Series, champion: pd.Series, horizon: int, step: int
) -> PairedTest | None:
    """One-sided DM test of challenger < champion over the origins both have; None when
    fewer than MIN_ORIGINS origins are shared."""
    both = pd.concat([challenger.rename("a"), champion.rename("b")], axis=1, join="inner")
    both = both.dropna()
    n = len(both)
    if n < MIN_ORIGINS:
        return None
    d = (both["a"] - both["b"]).to_numpy(dtype=float)
    lags = min(hac_lags(horizon, step), n - 2)
    mean = float(d.mean())
    if np.allclose(d, d[0]):  # no spread: the sign alone decides
        p = 0.0 if mean < 0 else 1.0
        stat = -math.inf if mean < 0 else (math.inf if mean > 0 else 0.0)
        return PairedTest(p, mean, stat, n, lags)
    fit = sm.OLS(d, np.ones((n, 1))).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    se = float(np.sqrt(fit.cov_params()[0, 0]))
    # Harvey, Leybourne & Newbold (1997): h here is the lag window plus one.
    h = lags + 1
    hln = math.sqrt(max((n + 1 - 2 * h + h * (h - 1) / n) / n, 1e-12))
    stat = hln * mean / se
    p = float(stats.t.cdf(stat, df=n - 1))
    return PairedTest(p, mean, float(stat), n, lags)


__all__ = ["MIN_ORIGINS", "PairedTest", "diebold_mariano", "hac_lags", "origin_scores"]
