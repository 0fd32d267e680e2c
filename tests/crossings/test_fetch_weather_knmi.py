"""`crossings fetch-weather --provider knmi` against a local stand-in for KNMI's station zip
built from the real etmgeg file (`integration`): new, then unchanged for the same bytes, an
outdated copy replaced, a bad zip or another station's file never written (exit 2), a
missing zip exit 4. And the flags checked per provider: Open-Meteo still needs --lat/--lon/
--start/--end, knmi refuses them (exit 2, naming the flag, before any request)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crossings.app import app
from tests.support.knmi import ZIP_DIR, etmgeg_zip, serve_station
from tests.support.standin import StandIn

runner = CliRunner()
ZIP = f"{ZIP_DIR}/etmgeg_340.zip"


def _run(*args: str) -> tuple[Result, dict[str, Any] | None]:
    res = runner.invoke(app, ["fetch-weather", "--provider", "knmi", *args])
    lines = res.stdout.strip().splitlines()
    payload = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return res, payload


@pytest.fixture
def src(tmp_path: Path, env: Callable[..., None]) -> Path:
    env(source_dir=str(tmp_path / "unused"), fetch_dir=str(tmp_path / "unused"))
    return tmp_path / "src"


@pytest.mark.integration
def test_new_then_unchanged_then_an_outdated_copy_replaced(
    src: Path, knmi_host: StandIn, real_knmi: Path
) -> None:
    text = real_knmi.read_bytes()
    template = serve_station(knmi_host, text)
    res, first = _run("--source", str(src), "--base-url", template, "--json")
    assert res.exit_code == 0, res.output
    target = src / "knmi" / "etmgeg_340.txt"
    assert first == {
        "source": "weather",
        "provider": "knmi",
        "station": 340,
        "status": "new",
        "exit_code": 0,
        "path": str(target),
        "publication": None,
        "last_day": "2026-06-25",
        "url": knmi_host.url(ZIP),
    }
    assert target.read_bytes() == text
    res, second = _run("--source", str(src), "--base-url", template, "--json")
    assert res.exit_code == 0 and second is not None and second["status"] == "unchanged"
    assert knmi_host.requests[ZIP] == 2  # KNMI's file is undated: compared by its bytes
    # A copy that ends earlier (last month's file) is replaced by the new bytes.
    lines = text.decode("latin-1").splitlines(keepends=True)
    target.write_bytes("".join(lines[:-30]).encode("latin-1"))
    res, _ = _run("--source", str(src), "--base-url", knmi_host.base_url + ZIP_DIR)
    assert res.exit_code == 0 and "New: Weather etmgeg_340.txt (data to 2026-06-25)" in (
        " ".join(res.output.split())
    )
    assert target.read_bytes() == text
    assert sorted(p.name for p in (src / "knmi").iterdir()) == ["etmgeg_340.txt"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>maintenance</html>", "is not a valid zip archive"),
        (
            etmgeg_zip(b"x", "etmgeg_310.txt"),
            "the zip holds no etmgeg_340.txt (it holds: etmgeg_310",
        ),
        ("station", "holds station 310, not 340"),
        (etmgeg_zip(b"no header\n1,2\n"), "is not a usable etmgeg file: etmgeg_340.txt: unknown"),
    ],
)
def test_a_bad_zip_is_never_written(
    src: Path, knmi_host: StandIn, real_knmi: Path, body: bytes | str, message: str
) -> None:
    if body == "station":  # station 310's data in 340's zip
        body = etmgeg_zip(real_knmi.read_bytes().replace(b"  340,", b"  310,"))
    assert isinstance(body, bytes)
    template = serve_station(knmi_host, b"", body=body)
    res, out = _run("--source", str(src), "--base-url", template, "--json")
    assert res.exit_code == 2, res.output
    assert out is not None and out["status"] == "failed" and message in out["error"]
    assert not src.exists()


def test_a_missing_zip_exits_4_and_the_url_setting_is_used(
    src: Path, knmi_host: StandIn, env: Callable[..., None]
) -> None:
    env(knmi_url=knmi_host.base_url + ZIP_DIR + "/etmgeg_{station}.zip")
    res, out = _run("--source", str(src), "--station", "310", "--json")
    assert res.exit_code == 4, res.output
    assert out is not None and "etmgeg_310.zip answered HTTP 404" in out["error"]
    assert knmi_host.requests[f"{ZIP_DIR}/etmgeg_310.zip"] == 1 and not src.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "met-office"], "--provider must be one of open-meteo-archive, "),
        (["--provider", "met-office"], "open-meteo-previous-runs, knmi, got 'met-office'"),
        (["--provider", "open-meteo-archive"], "--lat is required with --provider open-meteo"),
        (
            ["--provider", "open-meteo-previous-runs", "--lat", "51", "--lon", "1.5"],
            "--start is required with --provider open-meteo-previous-runs",
        ),
        (
            [
                "--provider",
                "open-meteo-archive",
                "--lat",
                "51",
                "--lon",
                "1.5",
                "--start",
                "2024-01-01",
            ],
            "--end is required with --provider open-meteo-archive",
        ),
        (
            [
                "--provider",
                "open-meteo-archive",
                "--lat",
                "95",
                "--lon",
                "1.5",
                "--start",
                "2024-01-01",
                "--end",
                "2024-01-02",
            ],
            "--lat must be between -90 and 90 degrees, got 95",
        ),
        (
            ["--provider", "open-meteo-archive", "--station", "340", "--lat", "51"],
            "--station is not used with --provider open-meteo-archive",
        ),
        (["--provider", "knmi", "--lat", "51"], "--lat is not used with --provider knmi"),
        (["--provider", "knmi", "--start", "2024-01-01"], "--start is not used with --provider"),
        (["--provider", "knmi", "--out", "w.csv"], "--out is not used with --provider knmi"),
        (["--provider", "knmi", "--station", "0"], "--station must be a positive KNMI station"),
        (["--provider", "knmi", "--base-url", "ftp://x"], "--base-url 'ftp://x' is not an http"),
    ],
)
def test_flags_are_checked_per_provider(
    args: list[str], message: str, knmi_host: StandIn, env: Callable[..., None], tmp_path: Path
) -> None:
    env(knmi_url=knmi_host.base_url + "/{station}", source_dir=str(tmp_path))
    # Any request would go to the stand-in (which counts it), never to the internet.
    local = [] if "--base-url" in args else ["--base-url", knmi_host.base_url]
    res = runner.invoke(app, ["fetch-weather", *args, *local])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, text
    assert text.startswith("error: ") and message in text
    assert sum(knmi_host.requests.values()) == 0
    assert list(tmp_path.iterdir()) == []
