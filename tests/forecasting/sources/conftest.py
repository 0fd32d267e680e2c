"""Fixtures over the source stand-ins (tests/support); `no_internet` is autouse."""

from tests.support.fixtures import assets, env, knmi_host, no_internet, page, readonly_source

__all__ = ["assets", "env", "knmi_host", "no_internet", "page", "readonly_source"]
