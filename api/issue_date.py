"""The issue-date policy: the day T a forecast is issued on.

T is today when the newest arrivals end at most MAX_BRIDGE_DAYS days before it (those days
are bridged: simulated along each path); otherwise T is the day after the newest arrivals, a
*hindcast*. A caller may ask for any past T with `as_of`; a T after today is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from api.refusals import InvalidInput
from forecasting.contract import MAX_BRIDGE_DAYS


@dataclass(frozen=True)
class IssueDate:
    """The day a forecast is issued on, and whether that is a day before today."""

    day: date
    hindcast: bool


def choose_issue_date(today: date, last_date: date, as_of: date | None) -> IssueDate:
    """T: `as_of` when given (not after `today`), else `today` when the newest arrivals
    (ending on `last_date`) end at most MAX_BRIDGE_DAYS days before it, else the day after
    them (a hindcast)."""
    if as_of is not None:
        if as_of > today:
            raise InvalidInput(
                ("as_of",),
                f"as_of {as_of} is after today ({today}): a forecast is issued on a day "
                "that has come. Leave it out for a forecast issued today",
            )
        return IssueDate(as_of, as_of != today)
    if (today - last_date).days - 1 <= MAX_BRIDGE_DAYS:
        return IssueDate(today, False)
    return IssueDate(last_date + timedelta(days=1), True)
