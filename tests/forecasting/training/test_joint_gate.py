"""Targets sharing the crossing-day gate are promoted together (`joint_gate`)."""

from __future__ import annotations

from forecasting.contract import CHALLENGER_ALIAS, CHAMPION_ALIAS
from forecasting.training.gate import Verdict
from forecasting.training.joint_gate import Judged, held_back, hold


def test_a_split_between_hurdles_holds_the_promoted_one_back() -> None:
    held = held_back(
        {"people": Judged("hurdle", True, False), "boats": Judged("hurdle", False, False)}
    )
    assert list(held) == ["people"]
    assert "boats share the crossing-day gate" in held["people"]


def test_agreeing_or_unshared_targets_are_judged_alone() -> None:
    both = {"people": Judged("hurdle", True, False), "boats": Judged("hurdle", True, False)}
    assert held_back(both) == {}
    neither = {"people": Judged("hurdle", False, False), "boats": Judged("hurdle", False, False)}
    assert held_back(neither) == {}
    mixed = {"people": Judged("hurdle", True, False), "boats": Judged("climatology", False, False)}
    assert held_back(mixed) == {}
    assert held_back({"people": Judged("hurdle", True, False)}) == {}


def test_a_first_champion_is_never_held_back() -> None:
    held = held_back(
        {"people": Judged("hurdle", True, True), "boats": Judged("hurdle", False, False)}
    )
    assert held == {}


def test_holding_keeps_the_comparison_and_says_why() -> None:
    v = Verdict("3", 70.0, False, True, "crps 69 beats the champion's 70")
    assert v.alias == CHAMPION_ALIAS
    kept = hold(v, "held back: boats share the crossing-day gate")
    assert kept.alias == CHALLENGER_ALIAS and not kept.promote
    assert (
        kept.reason
        == "crps 69 beats the champion's 70; held back: boats share the crossing-day gate"
    )
    assert (kept.champion_version, kept.champion_score) == ("3", 70.0)
    assert hold(v, None) is v
