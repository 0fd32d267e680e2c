"""Memoised random draws: a generator in a given state draws the same numbers every time.

Every forecast's random numbers come from named streams (`forecasting.weather.future.stream`):
the same seed, issue date, mode and draw give the same generator state. The API asks many
questions from one state (every scenario issued on the same day, every horizon of a default
forecast), so the large blocks of draws that do not depend on the question (the weather
paths' standard-normal errors, the model's parameter draws) are drawn once per state here and
reused. A hit returns the same numbers and leaves the generator where drawing them would
have: callers get bit-identical results, faster (tests/forecasting/test_draws.py).

The memo is per process, bounded (`MAX_ENTRIES` blocks, least recently used go first), and
only holds blocks of at least `MIN_SIZE` numbers: smaller ones are cheaper to draw than to
look up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Final

import numpy as np

MAX_ENTRIES: Final = 32
MIN_SIZE: Final = 4096

_memo: OrderedDict[tuple[Hashable, ...], tuple[np.ndarray, Mapping[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def _frozen(value: Any) -> Hashable:
    """A bit generator's state (nested dicts of ints and strings) as a hashable key."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in sorted(value.items()))
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.tobytes())
    return value


def drawn(
    rng: np.random.Generator,
    what: tuple[Hashable, ...],
    size: int,
    draw: Callable[[np.random.Generator], np.ndarray],
) -> np.ndarray:
    """`draw(rng)`, memoised on the generator's state and `what` (a key naming the draw and
    every argument it depends on); `size` is how many numbers it holds. The result is
    read-only; afterwards `rng` is in the state `draw` leaves it in."""
    if size < MIN_SIZE:
        return draw(rng)
    bits = rng.bit_generator
    key = (type(bits).__name__, _frozen(bits.state), *what)
    with _lock:
        hit = _memo.get(key)
        if hit is not None:
            _memo.move_to_end(key)
    if hit is not None:
        values, after = hit
        bits.state = after
        return values
    values = draw(rng)
    values.flags.writeable = False
    with _lock:
        _memo[key] = (values, bits.state)
        while len(_memo) > MAX_ENTRIES:
            _memo.popitem(last=False)
    return values


def clear() -> None:
    """Forget every memoised draw."""
    with _lock:
        _memo.clear()
