"""Numerical helpers of the hurdle: keyed uniforms, the counts' inverse CDF, the parameter
draws' factor and the design's scaling (kept apart so hurdle.py reads as the model)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import special

_U_FLOOR = 1e-12  # uniforms are kept inside (0, 1) for the inverse CDFs


@functools.lru_cache(maxsize=64)
def _mvn_factor_cached(cov_bytes: bytes, k: int) -> np.ndarray:
    cov = np.frombuffer(cov_bytes).reshape(k, k)
    s, u = np.linalg.eigh(cov)
    return u * np.sqrt(abs(s))


def mvn_factor(cov: np.ndarray) -> np.ndarray:
    """numpy's "eigh" factor of a covariance (A with A Aᵀ = cov), cached by value."""
    cov = np.ascontiguousarray(cov, dtype=float)
    return _mvn_factor_cached(cov.tobytes(), cov.shape[0])


def day_uniforms(key: np.ndarray, day: pd.Timestamp, n: int) -> np.ndarray:
    """n uniforms in (0, 1) fixed by a stream's key and a calendar day: path i's number for
    that day, whatever else is drawn."""
    u = np.random.default_rng([*key.tolist(), pd.Timestamp(day).toordinal()]).random(n)
    return np.clip(u, _U_FLOOR, 1.0 - _U_FLOOR)


def nbinom_quantile(u: np.ndarray, r: float, p: np.ndarray) -> np.ndarray:
    """The negative binomial's quantile at `u` (scipy's nbinom(r, p).ppf): the smallest k
    with CDF(k) ≥ u, from cdflib's continuous inverse (`nbdtrik`, several times faster)."""
    k = special.nbdtrik(u, r, p)
    return np.maximum(np.ceil(k - 1e-9), 0.0)


def expand(coef: np.ndarray, cov: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients and covariance over the columns `on`, widened to all columns (zeros)."""
    full = np.zeros(len(on))
    full[on] = coef
    wide = np.zeros((len(on), len(on)))
    wide[np.ix_(on, on)] = cov
    return full, wide


def scaled(X: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    out = np.array(X, dtype=float, copy=True)
    out[..., 1:] = (X[..., 1:] - mu) / sd
    return out


def logit_cov(
    X: np.ndarray, beta: np.ndarray, penalty: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    v = p * (1 - p) * (1.0 if weights is None else weights)
    info = (X * v[:, None]).T @ X + np.diag(penalty)
    return np.linalg.pinv(info)
