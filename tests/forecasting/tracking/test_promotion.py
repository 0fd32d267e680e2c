"""Atomic promotion across targets on a temporary SQLite store: both aliases move or
neither, under a fault between the two moves, and a killed promotion is rolled back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from forecasting import tracking
from forecasting.tracking import promotion
from tests.lifecycle import fresh_store, make_store_template

PEOPLE, BOATS = "atomic-people", "atomic-boats"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store_template(tmp_path_factory.mktemp("store-template"))


@pytest.fixture
def store(template: Path, tmp_path: Path) -> MlflowClient:
    uri = fresh_store(template, tmp_path)
    tracking.configure(uri)
    c = tracking.client()
    for name in (PEOPLE, BOATS):
        c.create_registered_model(name)
        for _ in range(2):
            c.create_model_version(name, source=(tmp_path / "model").as_uri())
    moves = [
        tracking.AliasMove(name, "champion", "1", {"reason": "first champion"})
        for name in (PEOPLE, BOATS)
    ]
    tracking.move_together(moves)
    return c


def champions(c: MlflowClient) -> dict[str, str]:
    return {n: str(c.get_model_version_by_alias(n, "champion").version) for n in (PEOPLE, BOATS)}


def snapshot(c: MlflowClient) -> dict[str, Any]:
    return {
        n: (
            tracking.promotion_history(n),
            tracking.decision_history(n),
            sorted(c.get_registered_model(n).aliases.items()),
        )
        for n in (PEOPLE, BOATS)
    }


def v2_moves() -> list[tracking.AliasMove]:
    return [
        tracking.AliasMove(PEOPLE, "champion", "2", {"reason": "beats"}),
        tracking.AliasMove(BOATS, "champion", "2", {"reason": "beats"}),
    ]


def test_both_move_together(store: MlflowClient) -> None:
    tracking.move_together(v2_moves())
    assert champions(store) == {PEOPLE: "2", BOATS: "2"}
    for name in (PEOPLE, BOATS):
        history = tracking.promotion_history(name)
        assert [h["new_version"] for h in history] == ["1", "2"]
        assert history[0]["txn"] != history[1]["txn"]
        assert promotion.INTENT_TAG not in tracking.registered_model_tags(name)


def test_fault_between_the_two_moves_rolls_back(
    store: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(store)
    real = MlflowClient.set_registered_model_alias
    calls: list[str] = []

    def flaky(self: MlflowClient, name: str, alias: str, version: str) -> None:
        calls.append(name)
        if name == BOATS and version == "2":
            raise MlflowException("store went away", error_code="INTERNAL_ERROR")
        real(self, name, alias, version)

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", flaky)
    with pytest.raises(MlflowException, match="store went away"):
        tracking.move_together(v2_moves())
    assert calls[:2] == [PEOPLE, BOATS]  # people had moved when boats failed
    monkeypatch.undo()
    assert champions(store) == {PEOPLE: "1", BOATS: "1"}
    assert snapshot(store) == before
    assert promotion.pending([PEOPLE, BOATS]) == []


def test_a_killed_promotion_is_recovered(
    store: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(store)
    real = MlflowClient.set_registered_model_alias

    def killed(self: MlflowClient, name: str, alias: str, version: str) -> None:
        if name == BOATS:
            raise SystemExit("killed")  # the process dies: no rollback runs
        real(self, name, alias, version)

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", killed)
    monkeypatch.setattr(promotion, "_rollback", lambda intent: False)
    with pytest.raises(SystemExit):
        tracking.move_together(v2_moves())
    monkeypatch.undo()
    assert champions(store) == {PEOPLE: "2", BOATS: "1"}  # half-promoted, intent left
    assert len(promotion.pending([PEOPLE, BOATS])) == 1
    assert tracking.recover([PEOPLE, BOATS]) == 1
    assert champions(store) == {PEOPLE: "1", BOATS: "1"}
    assert snapshot(store) == before


def test_a_new_alias_is_removed_on_rollback(
    store: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = MlflowClient.set_registered_model_alias

    def flaky(self: MlflowClient, name: str, alias: str, version: str) -> None:
        if name == BOATS:
            raise MlflowException("down", error_code="INTERNAL_ERROR")
        real(self, name, alias, version)

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", flaky)
    moves = [
        tracking.AliasMove(PEOPLE, "challenger", "2"),
        tracking.AliasMove(BOATS, "challenger", "2"),
    ]
    with pytest.raises(MlflowException):
        tracking.move_together(moves)
    monkeypatch.undo()
    assert "challenger" not in store.get_registered_model(PEOPLE).aliases
    assert [d["new_version"] for d in tracking.decision_history(PEOPLE)] == ["1"]
