"""Shared fixtures: paths to the real data and small synthetic input files."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tests.support.postgres import pg_url  # noqa: F401  (registers the fixture everywhere)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CROSSINGS_SOURCE_DIR", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real official files; integration tests fail in CI if they are missing."""
    if not (SHARED_DATA / "home-office").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"../shared/data not found at {SHARED_DATA}")
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def real_ods(shared_data: Path) -> Path:
    return sorted((shared_data / "home-office").glob("*.ods"))[-1]


@pytest.fixture(scope="session")
def real_knmi(shared_data: Path) -> Path:
    return shared_data / "knmi" / "etmgeg_340.txt"


def sb01_frame(n_days: int = 40, start: str = "2024-01-01") -> pd.DataFrame:
    """A small SB_01-shaped table with published column titles."""
    dates = pd.date_range(start, periods=n_days, freq="D")
    people = [(i * 37) % 120 if i % 3 == 0 else 0 for i in range(n_days)]
    boats = [p // 40 + (1 if p else 0) for p in people]
    return pd.DataFrame(
        {
            "Date": dates,
            "Migrants arrived": people,
            "Boats arrived": boats,
            "Boats arrived - involved in uncontrolled landings": ["-"] * 10 + [0] * (n_days - 10),
            "Notes": [None] * (n_days - 1) + ["Revised"],
        }
    )


def sb02_frame(daily: pd.DataFrame) -> pd.DataFrame:
    """The matching SB_02-shaped weekly table."""
    wk = daily.set_index("Date")[["Migrants arrived", "Boats arrived"]].resample("W-SUN").sum()
    wk = wk.reset_index().rename(columns={"Date": "Week ending"})
    wk["Boats arrived - involved in uncontrolled landings"] = 0
    wk["Migrants prevented"] = "-"
    wk["Events prevented"] = "-"
    wk["Notes"] = None
    return wk


def write_ods(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write an ODS workbook with the given sheets (odfpy engine)."""
    with pd.ExcelWriter(path, engine="odf") as xw:
        pd.DataFrame({"Title": ["Migrants detected crossing the English Channel"]}).to_excel(
            xw, sheet_name="Cover_sheet", index=False
        )
        for name, frame in sheets.items():
            frame.to_excel(xw, sheet_name=name, index=False)
    return path


KNMI_HEADER = """BRON: KONINKLIJK NEDERLANDS METEOROLOGISCH INSTITUUT (KNMI)
SOURCE: ROYAL NETHERLANDS METEOROLOGICAL INSTITUTE (KNMI)
YYYYMMDD  = Date
FG        = Daily mean windspeed (in 0.1 m/s)

# STN,YYYYMMDD,DDVEC,FHVEC,   FG,  FHX, FHXH,  FHN, FHNH,  FXX, FXXH,   TG,   RH,   PG,  VVN,   NG
"""


def knmi_text(n_days: int = 40, start: str = "2024-01-01") -> str:
    """A small etmgeg file: wind 0.1 m/s units, RH -1 for a trace, one blank RH."""
    rows = []
    for i, d in enumerate(pd.date_range(start, periods=n_days, freq="D")):
        fg = 10 + (i * 13) % 70
        rh = "   -1" if i == 2 else ("     " if i == 3 else f"{(i * 7) % 50:5d}")
        rows.append(
            f"  340,{d:%Y%m%d},  200,{fg:5d},{fg:5d},{fg + 20:5d},   12,{fg // 2:5d},    3,"
            f"{fg * 2:5d},   14,  105,{rh},10132,   65,    6"
        )
    return KNMI_HEADER + "\n" + "\n".join(rows) + "\n"


@pytest.fixture
def sample_ods(tmp_path: Path) -> Path:
    daily = sb01_frame()
    return write_ods(
        tmp_path / "small-boats-time-series-2024-02-16.ods",
        {"SB_01": daily, "SB_02": sb02_frame(daily)},
    )


@pytest.fixture
def sample_knmi(tmp_path: Path) -> Path:
    p = tmp_path / "etmgeg_340.txt"
    p.write_text(knmi_text())
    return p
