"""The planner page's static files: its styles and scripts, in api/web/static/.

They are package data (pyproject.toml, [tool.setuptools.package-data]), so they ship in the
wheel and the image, and are read once, when the module using them is imported. The page
inlines them as they are read: the page's Content-Security-Policy allows its inline code by
the sha256 of the text served (api/middleware/security.py), so a file's bytes are its hash.
"""

from __future__ import annotations

from importlib.resources import files

STATIC_DIR = "static"


def read_asset(name: str) -> str:
    """The text of api/web/static/`name` (UTF-8; line endings read as \\n)."""
    return files(__package__).joinpath(STATIC_DIR).joinpath(name).read_text(encoding="utf-8")


__all__ = ["read_asset"]
