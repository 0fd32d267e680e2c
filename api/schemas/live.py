"""The served OpenAPI document's examples, dated from the served data.

The examples (`api.schemas.examples`, the parameters' and the CSV ones) are written for a
forecast issued on EXAMPLE_START. Served, every date in them moves by the days from
EXAMPLE_START to the issue date a forecast gets now from the loaded data (today, or the day
after the newest arrivals when they are old: `api.issue_date`), so the example `start`,
`as_of`, `until` and scenario days are ones the service accepts, whatever day it is. Years
move with the data's end; 1 January and 31 December stay year ends. Before any data is
loaded the document keeps the written dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Final

from fastapi import FastAPI

from api.schemas.examples import EXAMPLE_DATA_AS_OF, EXAMPLE_START

WRITTEN_ISSUE_DATE: Final = date.fromisoformat(EXAMPLE_START)
_WRITTEN_YEAR: Final = date.fromisoformat(EXAMPLE_DATA_AS_OF).year
_ISO_DATE: Final = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")  # in timestamps, CSV too
_EXAMPLE_KEYS: Final = frozenset({"example", "examples"})


def served_issue_date(state: Any) -> date | None:
    """The issue date of a forecast asked now without `as_of`, from the service on the
    app's `state` (None while it has no data)."""
    service = getattr(state, "service", None)
    if service is None:
        return None
    obs = service.observed.get()
    return None if obs is None else service.issue_date(obs, None).day


def shift_examples(doc: Any, days: int, years: int) -> Any:
    """A copy of the OpenAPI `doc` whose example values have every date `days` later (year
    ends and `year` fields `years` later)."""
    if isinstance(doc, dict):
        return {
            k: _shift(v, days, years) if k in _EXAMPLE_KEYS else shift_examples(v, days, years)
            for k, v in doc.items()
        }
    if isinstance(doc, list):
        return [shift_examples(v, days, years) for v in doc]
    return doc


def _shift(value: Any, days: int, years: int) -> Any:
    """`value` (an example) with its dates moved."""
    if isinstance(value, dict):
        return {
            k: v + years if k == "year" and isinstance(v, int) else _shift(v, days, years)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shift(v, days, years) for v in value]
    if isinstance(value, str):
        return _ISO_DATE.sub(lambda m: _moved(m, days, years), value)
    return value


def _moved(m: re.Match[str], days: int, years: int) -> str:
    """The date `m` matched, moved (a year end to the same end of its moved year)."""
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    if (month, day) in ((1, 1), (12, 31)):
        return date(year + years, month, day).isoformat()
    return (date(year, month, day) + timedelta(days=days)).isoformat()


def install_live_examples(app: FastAPI, issue_date: Callable[[], date | None]) -> None:
    """Serve `app`'s OpenAPI document with its examples moved to `issue_date()` (the
    document itself is built once; each move is kept until the issue date changes)."""
    build = app.openapi
    moved: dict[date, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        doc = build()
        day = issue_date()
        if day is None:
            return doc
        if day not in moved:
            days = (day - WRITTEN_ISSUE_DATE).days
            data_year = (date.fromisoformat(EXAMPLE_DATA_AS_OF) + timedelta(days=days)).year
            moved.clear()
            moved[day] = shift_examples(doc, days, data_year - _WRITTEN_YEAR)
        return moved[day]

    app.openapi = openapi  # type: ignore[method-assign]
