"""Model registry: every forecaster is found here by name; heavy modules load lazily."""

from __future__ import annotations

import importlib
from typing import Any

from forecasting.errors import ConfigError
from forecasting.models.base import Model

# name -> (module, class). Modules are imported only when the model is asked for.
REGISTRY: dict[str, tuple[str, str]] = {
    "seasonal_naive": ("forecasting.models.baselines", "SeasonalNaive"),
    "climatology": ("forecasting.models.baselines", "Climatology"),
    "prophet": ("forecasting.models.prophet_models", "PlainProphet"),
    "prophet_weather": ("forecasting.models.prophet_models", "WeatherProphet"),
    "sarimax": ("forecasting.models.sarimax", "WeatherSarimax"),
    "hurdle": ("forecasting.models.hurdle", "Hurdle"),
    "ensemble": ("forecasting.models.ensemble", "StackedEnsemble"),
}


def model_class(name: str) -> type[Model]:
    """The class registered under `name`, with a clear error for unknown names."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown model '{name}'; known models: {', '.join(sorted(REGISTRY))}")
    module, cls = REGISTRY[name]
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:  # an optional dependency is missing
        raise ConfigError(
            f"model '{name}' needs {exc.name!r}: install it with `pip install {exc.name}`"
        ) from exc
    return getattr(mod, cls)


def create(name: str, **params: Any) -> Model:
    """Instantiate a registered model, naming the bad hyperparameter on error."""
    cls = model_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(f"model '{name}': bad hyperparameters {sorted(params)} ({exc})") from exc


def parse_model_list(text: str) -> list[str]:
    """Split 'a,b,c' and check each name is registered."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ConfigError("--models needs at least one model name")
    for n in names:
        if n not in REGISTRY:
            model_class(n)  # raises with the list of known models
    return names


__all__ = ["REGISTRY", "Model", "create", "model_class", "parse_model_list"]
