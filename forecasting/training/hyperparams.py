"""Model hyperparameters in an experiment config: names and types checked against each
model's constructor, then an actual instantiation per target (ConfigError naming the key)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from forecasting.errors import ConfigError
from forecasting.models import REGISTRY, create, model_class


def _hyperparameter_hints(name: str) -> dict[str, Any]:
    cls = model_class(name)
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # unresolved annotations: fall back to no type checks
        hints = {}
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    return {p: hints.get(p, Any) for p in params}


def _check_value(hint: Any, value: Any) -> Any:
    """Validate one hyperparameter against its annotation: strict for scalars (no '3' for
    3, no true for 1), YAML lists accepted for tuples."""
    if typing.get_origin(hint) is tuple and isinstance(value, list):
        value = tuple(value)
    if hint is Any:
        return value
    return TypeAdapter(hint).validate_python(value, strict=True)


def _check_model(
    name: str, params: Mapping[str, Any], targets: Sequence[str], where: str
) -> dict[str, Any]:
    """One model's type-checked hyperparameters (`where` prefixes every message)."""
    if name not in REGISTRY:
        raise ConfigError(
            f"{where}models.{name}: unknown model; known models: {', '.join(sorted(REGISTRY))}"
        )
    try:
        hints = _hyperparameter_hints(name)
    except ConfigError as exc:  # e.g. an optional dependency is missing
        raise ConfigError(f"{where}models.{name}: {exc}") from exc
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "target":
            raise ConfigError(
                f"{where}models.{name}.target: set the targets at the top level ('targets')"
            )
        if key not in hints:
            known = ", ".join(k for k in hints if k != "target")
            raise ConfigError(
                f"{where}models.{name}.{key}: unknown hyperparameter; {name} takes {known}"
            )
        try:
            out[key] = _check_value(hints[key], value)
        except ValidationError as exc:
            msg = exc.errors()[0]["msg"]
            raise ConfigError(f"{where}models.{name}.{key}: bad value {value!r} ({msg})") from exc
    for target in targets:
        try:
            create(name, target=target, **out)
        except Exception as exc:  # the model's own checks, whatever they raise
            raise ConfigError(f"{where}models.{name}: {exc}") from exc
    return out


def check_models(
    models: Mapping[str, Mapping[str, Any]], targets: Sequence[str], where: str = ""
) -> dict[str, dict[str, Any]]:
    """Check each model name and hyperparameter; returns the type-checked hyperparameters.

    Instantiates every model once per target, so a model's own checks run too.
    """
    return {name: _check_model(name, params, targets, where) for name, params in models.items()}


__all__ = ["check_models"]
