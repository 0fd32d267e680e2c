"""Exit codes and failure printing shared by the commands (one place, so every command
exits the same way for the same failure)."""

from __future__ import annotations

import typer

from crossings import output
from forecasting.errors import ConfigError, InputError

EXIT_CONFIG, EXIT_LOCKED, EXIT_TRACKING = 2, 3, 4


def fail(exc: Exception) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    output.print_error(exc)
    return typer.Exit(code=EXIT_CONFIG)


def job_exit(exc: Exception) -> typer.Exit:
    """Print a train/retrain failure and return its documented exit; re-raise the unknown."""
    from forecasting.tracking import TrackingUnavailable
    from forecasting.training.retrain import RetrainLocked

    if isinstance(exc, ConfigError | InputError):
        return fail(exc)
    if isinstance(exc, RetrainLocked):
        output.print_error(exc)
        return typer.Exit(EXIT_LOCKED)
    if isinstance(exc, TrackingUnavailable):
        output.print_error(exc)
        return typer.Exit(EXIT_TRACKING)
    if type(exc).__module__.startswith(("mlflow", "requests", "sqlalchemy")):
        output.print_error(
            RuntimeError(f"MLflow failed: {exc}. No alias was moved by the failed step.")
        )
        return typer.Exit(EXIT_TRACKING)
    raise exc
