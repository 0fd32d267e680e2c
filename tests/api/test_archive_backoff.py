"""An archive outage under load: the writer backs off (full jitter, capped) and new forecasts
do not wake it, so a few failed attempts are made however many forecasts arrive."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from api.archive.store import ForecastArchive
from api.archive.writer import BACKOFF_BASE, backoff_delay
from tests.support.archive import make_record

DOWN_URL = "postgresql://nobody@127.0.0.1:9/none"  # nothing listens on port 9


def test_backoff_delays_are_full_jitter_up_to_the_cap() -> None:
    for failed in (1, 2, 3, 6, 20):
        cap = min(1.0, BACKOFF_BASE * 2 ** (failed - 1))
        delays = [backoff_delay(failed, 1.0) for _ in range(2_000)]
        assert min(delays) >= 0.0 and max(delays) <= cap
        assert abs(sum(delays) / len(delays) - cap / 2) < cap * 0.05  # uniform on [0, cap]


def test_forecasts_arriving_during_an_outage_do_not_wake_the_writer(tmp_path: Path) -> None:
    archive = ForecastArchive(DOWN_URL, outbox=str(tmp_path / "outbox.db"), max_backoff=1.0)
    archive.start()
    try:
        submitted, end = 0, time.monotonic() + 4.0
        while time.monotonic() < end:  # 4 s of forecasts, one every 10 ms
            archive.submit(make_record(date(2026, 5, 15), str(submitted)))
            submitted += 1
            time.sleep(0.01)
        # Uniform waits up to 0.2, 0.4, 0.8, then 1 s: about 10 attempts in 4 s on average,
        # and 30 would need 27 one-second draws to sum under 3.3 s (woken by every forecast,
        # the old writer made one attempt per forecast: 227).
        assert submitted > 200
        assert 2 <= archive.write_errors <= 30, archive.write_errors
        assert archive.pending == submitted and archive.written == 0
    finally:
        archive.close(timeout=1)
