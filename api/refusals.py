"""What the forecast service refuses to serve, in its own terms (api/errors.py answers them).

`InvalidInput` names the request value it cannot serve (answered with a 422 whose `loc` says
where the request carried it); `NotReady` says no champion or observed data is loaded (503).
"""

from __future__ import annotations

from collections.abc import Sequence


class InvalidInput(ValueError):
    """A request value the service cannot serve. `field` names it in the service's terms:
    ``("start",)``, ``("as_of",)``, ``("weather",)`` or ``("weather", i, var)``."""

    def __init__(self, field: Sequence[str | int], message: str, kind: str = "value_error"):
        super().__init__(message)
        self.field = tuple(field)
        self.message = message
        self.kind = kind


class NotReady(RuntimeError):
    """No champion (or no observed data) is loaded for the request (answered with 503)."""
