"""Set CROSSINGS_* settings for one test: the environment (monkeypatched) and the cached
settings object cleared, so commands run in-process read them."""

from __future__ import annotations

import pytest

from forecasting.settings import get_settings

# Short enough for tests, as in production: one attempt's deadline and the attempts made.
FAST = {"CROSSINGS_FETCH_TIMEOUT_S": "0.5", "CROSSINGS_FETCH_RETRIES": "2"}


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """Set CROSSINGS_<KEY>=value for each keyword (plus FAST) and clear the settings cache;
    the caller clears it again after the test (the `env` fixtures do)."""
    for key, value in {**FAST, **{f"CROSSINGS_{k.upper()}": v for k, v in values.items()}}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


__all__ = ["FAST", "set_env"]
