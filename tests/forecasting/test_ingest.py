"""`crossings ingest`: outputs, manifest, idempotence and atomicity on bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crossings.app import app
from tests.conftest import sb01_frame, write_ods

runner = CliRunner()


def _snapshot(d: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(d.iterdir())}


def _ingest(ods: Path, weather: Path, out: Path):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app, ["ingest", "--arrivals", str(ods), "--weather", str(weather), "--out", str(out)]
    )


def test_ingest_writes_tables_and_manifest(sample_ods: Path, sample_knmi: Path, tmp_path: Path):
    out = tmp_path / "processed"
    res = _ingest(sample_ods, sample_knmi, out)
    assert res.exit_code == 0, res.output
    assert "Ingested into" in res.output and "2024-02-16" in res.output
    arrivals = pd.read_parquet(out / "arrivals.parquet")
    assert (
        len(arrivals) == 40 and arrivals["people"].sum() == sb01_frame()["Migrants arrived"].sum()
    )
    manifest = json.loads((out / "manifest.json").read_text())
    src = manifest["sources"]["arrivals"]
    assert src["sha256"] == hashlib.sha256(sample_ods.read_bytes()).hexdigest()
    assert (src["vintage"], src["first_date"], src["last_date"], src["rows"]) == (
        "2024-02-16",
        "2024-01-01",
        "2024-02-09",
        40,
    )
    w = manifest["sources"]["weather"]
    assert w["rows"] == 40 and w["location"] == "51.45N 4.34E" and w["source"].startswith("KNMI")
    out_hash = hashlib.sha256((out / "weather.parquet").read_bytes()).hexdigest()
    assert manifest["outputs"]["weather.parquet"]["sha256"] == out_hash


def test_ingest_twice_changes_nothing(sample_ods: Path, sample_knmi: Path, tmp_path: Path):
    out = tmp_path / "p"
    assert _ingest(sample_ods, sample_knmi, out).exit_code == 0
    before = _snapshot(out)
    res = _ingest(sample_ods, sample_knmi, out)
    assert res.exit_code == 0 and "(unchanged)" in res.output
    assert _snapshot(out) == before


def _bad_inputs(
    tmp_path: Path, sample_ods: Path, sample_knmi: Path
) -> dict[str, tuple[Path, Path]]:
    truncated = tmp_path / "truncated.ods"
    truncated.write_bytes(sample_ods.read_bytes()[:1500])
    notods = tmp_path / "notods.ods"
    notods.write_text("<html>Not found</html>")
    f = sb01_frame()
    no_sheet = write_ods(tmp_path / "nosheet.ods", {"SB_99": f})
    no_col = write_ods(tmp_path / "nocol.ods", {"SB_01": f.drop(columns=["Migrants arrived"])})
    bad_date = write_ods(
        tmp_path / "baddate.ods",
        {"SB_01": f.assign(Date=f["Date"].astype(object).where(f.index != 3, "31/02/2024"))},
    )
    neg = write_ods(
        tmp_path / "neg.ods",
        {"SB_01": f.assign(**{"Boats arrived": f["Boats arrived"].where(f.index != 4, -1)})},
    )
    frac = write_ods(
        tmp_path / "frac.ods",
        {
            "SB_01": f.assign(
                **{
                    "Migrants arrived": f["Migrants arrived"]
                    .astype(float)
                    .where(f.index != 4, 10.5)
                }
            )
        },
    )
    dup = write_ods(tmp_path / "dup.ods", {"SB_01": pd.concat([f, f.iloc[[2]]])})
    gap = write_ods(tmp_path / "gap.ods", {"SB_01": f.drop(index=[20])})
    weird = tmp_path / "weird_weather.txt"
    weird.write_text("time;ff\n2024-01-01;3.0\n")
    return {
        "truncated": (truncated, sample_knmi),
        "not-ods": (notods, sample_knmi),
        "missing-sheet": (no_sheet, sample_knmi),
        "missing-column": (no_col, sample_knmi),
        "not-a-date": (bad_date, sample_knmi),
        "negative": (neg, sample_knmi),
        "non-integer": (frac, sample_knmi),
        "duplicate": (dup, sample_knmi),
        "gap": (gap, sample_knmi),
        "weather-layout": (sample_ods, weird),
    }


EXPECTED = {
    "truncated": ("truncated.ods", "truncated or not a valid ODS"),
    "not-ods": ("notods.ods", "not a valid ODS"),
    "missing-sheet": ("nosheet.ods", "no sheet 'SB_01'"),
    "missing-column": ("nocol.ods", "column 'migrants arrived'"),
    "not-a-date": ("baddate.ods", "row 5, column 'Date': '31/02/2024' is not a date"),
    "negative": ("neg.ods", "row 6, column 'boats arrived': '-1' on 2024-01-05"),
    "non-integer": ("frac.ods", "column 'migrants arrived': '10.5' on 2024-01-05"),
    "duplicate": ("dup.ods", "duplicate date 2024-01-03"),
    "gap": ("gap.ods", "gap in the daily sequence after 2024-01-20"),
    "weather-layout": ("weird_weather.txt", "unknown weather file layout"),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_exits_nonzero_and_leaves_out_untouched(
    case: str, sample_ods: Path, sample_knmi: Path, tmp_path: Path
) -> None:
    out = tmp_path / "processed"
    assert _ingest(sample_ods, sample_knmi, out).exit_code == 0
    before = _snapshot(out)
    arrivals, weather = _bad_inputs(tmp_path, sample_ods, sample_knmi)[case]
    res = _ingest(arrivals, weather, out)
    assert res.exit_code != 0
    name, needle = EXPECTED[case]
    message = " ".join(res.output.split())  # rich may wrap a long line
    assert name in message and needle in message, message
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
