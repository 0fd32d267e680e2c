"""Where fetched files go and which files ingest reads: a read-only folder is never written
(even as root), an explicit writable CROSSINGS_SOURCE_DIR is used, the fetch folder
otherwise; the newest publication across folders wins, with the old behaviour for one
folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crossings.sources import resolve_sources
from forecasting.settings import (
    Settings,
    default_arrivals_file,
    default_weather_file,
    etmgeg_last_day,
    get_settings,
)
from forecasting.sources.folders import fetch_dir, is_writable, read_dirs
from tests.conftest import knmi_text
from tests.support.fixtures import make_read_only, make_writable


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_folder_marked_read_only_is_not_writable_even_for_root(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    _touch(ro / "home-office" / "a.ods")
    assert is_writable(ro)
    make_read_only(ro)
    try:
        assert not is_writable(ro)
        assert not is_writable(ro / "not-yet" / "deeper")  # created under a read-only parent
    finally:
        make_writable(ro)
    assert is_writable(tmp_path / "not-yet" / "deeper")  # would be created
    assert not is_writable(_touch(tmp_path / "file"))


def test_where_fetches_go(tmp_path: Path, env: Callable[..., None]) -> None:
    ro, rw, fetched = tmp_path / "ro", tmp_path / "rw", tmp_path / "fetched"
    ro.mkdir()
    rw.mkdir()
    make_read_only(ro)
    try:
        env(fetch_dir=str(fetched))
        assert Settings().source_dir == Path("../shared/data")  # the default, not set
        assert fetch_dir() == fetched
        assert fetch_dir(rw) == rw
        env(source_dir=str(rw))
        assert fetch_dir() == rw and read_dirs() == [rw]
        env(source_dir=str(ro))
        assert fetch_dir() == fetched
        assert read_dirs() == [fetched, ro]
        assert read_dirs(rw) == [rw]
    finally:
        make_writable(ro)


def test_newest_publication_across_folders(tmp_path: Path) -> None:
    shared, fetched = tmp_path / "shared", tmp_path / "fetched"
    old = _touch(shared / "home-office" / "small-boats-time-series-2026-05-15.ods")
    assert default_arrivals_file(shared) == old
    assert default_arrivals_file(fetched, shared) == old  # nothing fetched: as before
    new = _touch(fetched / "home-office" / "small-boats-time-series-2026-05-22.ods")
    assert default_arrivals_file(shared, fetched) == new
    assert default_arrivals_file(fetched, shared) == new
    # The same publication in both: the first folder given wins.
    twin = _touch(shared / "home-office" / new.name)
    assert default_arrivals_file(fetched, shared) == new
    assert default_arrivals_file(shared, fetched) == twin
    # A CSV counts only when no folder has an ODS; an undated name loses to a dated one.
    csv = _touch(tmp_path / "csv" / "home-office" / "small-boats-time-series-2030-01-01.csv")
    assert default_arrivals_file(csv.parent.parent, fetched) == new
    assert default_arrivals_file(csv.parent.parent) == csv
    undated = _touch(tmp_path / "u" / "home-office" / "zzz.ods")
    assert default_arrivals_file(undated.parent.parent, shared) == twin


def test_weather_that_reaches_furthest_wins(tmp_path: Path) -> None:
    shared, fetched = tmp_path / "shared", tmp_path / "fetched"
    long = _touch(shared / "knmi" / "etmgeg_340.txt", knmi_text(40))
    assert etmgeg_last_day(long) == "20240209"
    assert default_weather_file(fetched, shared) == long
    short = _touch(fetched / "knmi" / "etmgeg_340.txt", knmi_text(30))
    assert default_weather_file(fetched, shared) == long  # the fetched copy is older
    short.write_text(knmi_text(40))
    assert default_weather_file(fetched, shared) == short  # as far: the first folder
    short.write_text(knmi_text(50))
    assert default_weather_file(shared, fetched) == short  # further: wherever it is
    other = _touch(fetched / "knmi" / "etmgeg_310.txt", knmi_text(60).replace("340,", "310,"))
    assert default_weather_file(fetched, shared) == other  # first name in sort order
    assert default_weather_file(fetched, shared, name="etmgeg_340.txt") == short
    assert default_weather_file(tmp_path / "none", name="etmgeg_330.txt").name == "etmgeg_330.txt"
    assert etmgeg_last_day(tmp_path / "missing.txt") == ""


def test_commands_read_the_fetch_folder_and_the_source_dir(
    tmp_path: Path, env: Callable[..., None]
) -> None:
    shared, fetched = tmp_path / "shared", tmp_path / "data" / "sources"
    _touch(shared / "home-office" / "small-boats-time-series-2026-05-15.ods")
    weather = _touch(shared / "knmi" / "etmgeg_340.txt", knmi_text(40))
    make_read_only(shared)
    try:
        env(source_dir=str(shared), fetch_dir=str(fetched))
        assert get_settings().fetch_dir == fetched
        a, w = resolve_sources(None, None)
        assert a.parent.parent == shared and w == weather
        new = _touch(fetched / "home-office" / "small-boats-time-series-2026-05-22.ods")
        assert resolve_sources(None, None) == (new, weather)
        assert resolve_sources(None, None, shared)[0].parent.parent == shared  # --source alone
    finally:
        make_writable(shared)
