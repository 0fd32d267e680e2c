"""Atomic promotion across registered models: every alias moves, or none does.

A training job gates each target (people, boats) on its own, but the served pair must come
from one job. `move_together` therefore:

1. reads where each alias points now;
2. writes the intent first: a registered-model tag ``promotion_intent`` on every model
   involved, naming the transaction, the moves and the aliases' previous versions;
3. writes each model's history records (``decision.<time>`` for every gate decision, and
   ``promotion.<time>`` for a new champion), stamped with the transaction id;
4. moves the aliases one by one;
5. on any failure rolls back the aliases that moved, removes the transaction's records and
   re-raises; on success removes the intents.

A job killed between 2 and 5 leaves its intent behind; `recover` (run before the next
promotion) rolls that transaction back, so each model's history always matches its aliases.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlflow.exceptions import MlflowException

from forecasting.contract import CHAMPION_ALIAS
from forecasting.tracking.registry import PROMOTION_PREFIX, registered_model_tags
from forecasting.tracking.store import client, single_attempt

log = logging.getLogger(__name__)

INTENT_TAG = "promotion_intent"
DECISION_PREFIX = "decision."


@dataclass(frozen=True)
class AliasMove:
    """Point `alias` of registered model `name` at `version`; `record` is the gate's
    decision record (kept in the model's decision history, and in its promotion history
    when the alias is the champion)."""

    name: str
    alias: str
    version: str
    record: dict[str, Any] = field(default_factory=dict)


def _alias_version(name: str, alias: str) -> str | None:
    try:
        return str(client().get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def _restore(name: str, alias: str, previous: str | None) -> None:
    c = client()
    if previous is None:
        c.delete_registered_model_alias(name, alias)
    else:
        c.set_registered_model_alias(name, alias, previous)


def _history_tags(move: AliasMove, txn: str, key: str, when: str) -> dict[str, str]:
    entry = {**move.record, "alias": move.alias, "new_version": move.version}
    entry.update({"time": when, "txn": txn})
    text = json.dumps(entry, sort_keys=True, default=str)
    tags = {DECISION_PREFIX + key: text}
    if move.alias == CHAMPION_ALIAS:
        tags[PROMOTION_PREFIX + key] = text
    return tags


def move_together(moves: Sequence[AliasMove]) -> str:
    """Move every alias in `moves`, or none (see module doc); returns the transaction id.
    Raises whatever MLflow raised, after rolling back."""
    now = datetime.now(UTC)
    txn = uuid.uuid4().hex[:12]
    key, when = now.strftime("%Y%m%dT%H%M%S%fZ"), now.isoformat(timespec="seconds")
    previous = {(m.name, m.alias): _alias_version(m.name, m.alias) for m in moves}
    history = [(m, _history_tags(m, txn, key, when)) for m in moves]
    records: dict[str, list[str]] = {}
    for m, tags in history:
        records.setdefault(m.name, []).extend(tags)
    intent = {
        "txn": txn,
        "time": when,
        "moves": [
            {"name": m.name, "alias": m.alias, "version": m.version, "previous": previous[k]}
            for m, k in ((m, (m.name, m.alias)) for m in moves)
        ],
        "records": records,
    }
    c = client()
    moved: list[AliasMove] = []
    try:
        for name in records:  # the intent first: a killed job leaves it for `recover`
            c.set_registered_model_tag(name, INTENT_TAG, json.dumps(intent, sort_keys=True))
        for m, tags in history:
            for tag, text in tags.items():
                c.set_registered_model_tag(m.name, tag, text)
        for m in moves:
            c.set_registered_model_alias(m.name, m.alias, m.version)
            moved.append(m)
            log.info("%s: %s -> v%s (txn %s)", m.name, m.alias, m.version, txn)
    except BaseException:
        log.warning(
            "promotion %s failed after %d of %d moves; rolling back", txn, len(moved), len(moves)
        )
        with single_attempt():
            _rollback(intent)
        raise
    for name in records:
        _forget(name, INTENT_TAG)
    return txn


def _forget(name: str, tag: str) -> None:
    try:
        client().delete_registered_model_tag(name, tag)
    except Exception:  # best effort; a leftover record is cleaned by the next `recover`
        log.warning("could not remove tag %s from %s", tag, name)


def _rollback(intent: dict[str, Any]) -> bool:
    """Undo a transaction: restore every alias, remove its records and intents. Returns
    whether everything was undone (best effort: the store may be down)."""
    for m in intent["moves"]:
        try:
            if _alias_version(m["name"], m["alias"]) != m["previous"]:
                _restore(m["name"], m["alias"], m["previous"])
        except Exception as exc:  # the store is down; the intent stays for `recover`
            log.warning("could not restore %s@%s: %s", m["name"], m["alias"], exc)
            return False
    for name, tags in intent["records"].items():
        for tag in [*tags, INTENT_TAG]:
            _forget(name, tag)
    log.info("promotion %s rolled back", intent["txn"])
    return True


def pending(names: Iterable[str]) -> list[dict[str, Any]]:
    """Unfinished promotion intents on the registered models `names` (one per txn)."""
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        raw = registered_model_tags(name).get(INTENT_TAG)
        if not raw:
            continue
        try:
            intent = json.loads(raw)
        except ValueError:
            log.warning("unreadable %s on %s; removing it", INTENT_TAG, name)
            _forget(name, INTENT_TAG)
            continue
        found.setdefault(intent["txn"], intent)
    return list(found.values())


def recover(names: Iterable[str]) -> int:
    """Roll back any promotion a killed job left half-done; returns how many."""
    undone = 0
    for intent in pending(names):
        log.warning("rolling back unfinished promotion %s from %s", intent["txn"], intent["time"])
        undone += int(_rollback(intent))
    return undone


def decision_history(name: str) -> list[dict[str, Any]]:
    """Every gate decision recorded for `name` (promoted or not), oldest first."""
    tags = registered_model_tags(name)
    out = []
    for key in sorted(k for k in tags if k.startswith(DECISION_PREFIX)):
        try:
            entry = json.loads(tags[key])
        except ValueError:
            continue
        entry.setdefault("key", key)
        out.append(entry)
    return out


__all__ = [
    "DECISION_PREFIX",
    "INTENT_TAG",
    "AliasMove",
    "decision_history",
    "move_together",
    "pending",
    "recover",
]
