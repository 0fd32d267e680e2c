"""What a public error body must never hold: hosts, ports, URLs or filesystem paths.

`find_leaks` is the one scanner: the API test client's response hook (see
tests/api/test_error_hygiene.py) and the schemathesis runs pass every 4xx/5xx body through it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

# A URL with a scheme (http://, postgresql+psycopg://, sqlite:///, file://).
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# host:port, e.g. localhost:5432, 127.0.0.1:8000, db.internal:6543.
_HOST_PORT = re.compile(
    r"\b(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{2,5}\b",
    re.IGNORECASE,
)
# A bare IPv4 address or localhost.
_HOST = re.compile(r"\b(?:localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b", re.IGNORECASE)
# An absolute POSIX path of two or more parts (/tmp/x, /work/main/data) or a Windows one.
# API paths (/v1/forecast, /docs) are allowed: the caller's own URL path is not a leak.
_PATH = re.compile(r"(?<![\w:/.])/(?!v1/|docs\b|redoc\b|openapi)[\w.-]+/[\w./-]+|[A-Z]:\\\\")
# Things a pool or driver says about itself.
_INTERNALS = ("QueuePool", "psycopg", "sqlalchemy", "Traceback", 'File "')


def find_leaks(text: str) -> list[str]:
    """The fragments of `text` that give away a host, port, URL, path or driver internals."""
    found: list[str] = []
    for pattern in (_URL, _HOST_PORT, _HOST, _PATH):
        found.extend(m.group(0) for m in pattern.finditer(text))
    found.extend(word for word in _INTERNALS if word.lower() in text.lower())
    for root in {tempfile.gettempdir(), str(Path.cwd()), str(Path.home())}:
        if len(root) > 1 and root in text:
            found.append(root)
    return found


def assert_no_leak(text: str) -> None:
    """AssertionError naming what leaked, if anything."""
    leaks = find_leaks(text)
    assert not leaks, f"public error body leaks {leaks}: {text[:300]}"
