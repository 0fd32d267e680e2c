"""Training weather as it is known when forecasting: the observed weather seen through the
forecast error model at chosen lead days (errors-in-variables training, "train as served").

A model fitted on observed weather learns how crossings respond to the weather that happened;
served, it only ever sees an issued forecast, which misses by an error that grows with lead.
Fitting on copies of the training weather, each passed through `ForecastErrorModel.issue` at
one lead, teaches it the response to forecast weather: the weather effects shrink by just the
amount the forecast error blurs them. The copies are drawn from a fixed seed, so a fit is
reproducible.
"""

from __future__ import annotations

import numpy as np

from forecasting.weather.error_model import ForecastErrorModel

# The seed of the training weather's forecast errors (fixed: a refit gives the same model).
TRAIN_WEATHER_SEED = 20_240_914


def weather_as_served(
    observed: np.ndarray,
    columns: tuple[str, ...],
    leads: tuple[int, ...],
    error_model: ForecastErrorModel | None = None,
    seed: int = TRAIN_WEATHER_SEED,
) -> np.ndarray:
    """Copies of the observed training weather (days × variables), one per lead in `leads`,
    each as a forecast issued that many days ahead would have had it: (copies, days, vars).

    Every day of copy k carries an independent forecast error at lead ``leads[k]``
    (AR(1)-correlated across consecutive days, as the error model draws it).
    """
    model = error_model or ForecastErrorModel()
    rng = np.random.default_rng(seed)
    days = observed.shape[0]
    copies = [
        model.spread(observed, columns, 1, rng, leads=np.full(days, float(lead)))[0]
        for lead in leads
    ]
    return np.stack(copies)


def decay_weights(n_days: int, half_life_days: float | None) -> np.ndarray:
    """Sample weights halving every `half_life_days` back from the newest day (mean 1);
    all ones when `half_life_days` is None."""
    if half_life_days is None:
        return np.ones(n_days)
    age = np.arange(n_days)[::-1].astype(float)
    w = 0.5 ** (age / float(half_life_days))
    return np.asarray(w / w.mean())
