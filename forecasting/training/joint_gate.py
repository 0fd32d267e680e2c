"""Targets whose winners share the crossing-day gate are promoted together.

The hurdle fits one crossing-day gate for people and boats (`forecasting.models.hurdle`), so
the two champions give the same P(crossing) on every day only while they come from the same
training job. When the gate would promote one target's hurdle and not the other's, both are
held back as challengers: the champions stay a coherent pair. A target with no champion yet
is never held back (a service needs one), and winners of other families are judged alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from forecasting.training.gate import Verdict

# Registered model names whose people and boats fits share the crossing-day gate.
SHARED_GATE_MODELS: Final[tuple[str, ...]] = ("hurdle",)


@dataclass(frozen=True)
class Judged:
    """One target's winner and what the gate alone would do with it."""

    model: str
    promote: bool
    first_champion: bool


def held_back(judged: Mapping[str, Judged]) -> dict[str, str]:
    """The targets to hold back as challengers, each with the reason to add to its decision:
    those sharing the crossing-day gate that would be promoted while another such target's
    winner would not (and that already have a champion)."""
    shared = {t: j for t, j in judged.items() if j.model in SHARED_GATE_MODELS}
    if len(shared) < 2:
        return {}
    stay = sorted(t for t, j in shared.items() if not j.promote)
    if not stay:
        return {}
    reason = (
        f"held back: {' and '.join(stay)} share the crossing-day gate and "
        f"{'is' if len(stay) == 1 else 'are'} not promoted; the targets move together"
    )
    return {t: reason for t, j in shared.items() if j.promote and not j.first_champion}


def hold(verdict: Verdict, reason: str | None) -> Verdict:
    """`verdict` kept a challenger for `reason` (unchanged when None)."""
    if reason is None:
        return verdict
    return dataclasses.replace(verdict, promote=False, reason=f"{verdict.reason}; {reason}")


__all__ = ["SHARED_GATE_MODELS", "Judged", "held_back", "hold"]
