"""The stand-in fixtures (tests/support/fixtures.py) for the end-to-end cycle."""

from tests.support.fixtures import assets, env, knmi_host, no_internet, page, readonly_source

__all__ = ["assets", "env", "knmi_host", "no_internet", "page", "readonly_source"]
