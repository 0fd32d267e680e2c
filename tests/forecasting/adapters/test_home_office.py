"""Home Office adapter on small synthetic ODS/CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.adapters import home_office, read_arrivals
from forecasting.errors import InputError
from tests.conftest import sb01_frame, sb02_frame, write_ods


def test_reads_ods_into_canonical_table(sample_ods: Path) -> None:
    t = read_arrivals(sample_ods)
    assert list(t.columns) == ["date", "people", "boats", "uncontrolled_landing_boats", "revised"]
    expected = sb01_frame()
    assert t["people"].tolist() == expected["Migrants arrived"].tolist()
    assert t["boats"].tolist() == expected["Boats arrived"].tolist()
    # '-' is "not recorded", not zero.
    assert t["uncontrolled_landing_boats"].isna().sum() == 10
    assert (t["uncontrolled_landing_boats"].iloc[10:] == 0).all()
    assert t["revised"].tolist() == [False] * 39 + [True]
    assert t.attrs["vintage"] == "2024-02-16"
    assert t.attrs["format"] == "ods"


def test_csv_with_same_columns_loads_identically(sample_ods: Path, tmp_path: Path) -> None:
    csv = tmp_path / "series.csv"
    frame = sb01_frame()
    frame["Date"] = frame["Date"].dt.strftime("%d/%m/%Y")
    frame.to_csv(csv, index=False)
    a, b = read_arrivals(sample_ods), read_arrivals(csv)
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["format"] == "csv"


def test_title_rows_above_header_are_skipped(tmp_path: Path) -> None:
    # Some vintages carry a title and notes above the table.
    daily = sb01_frame(10)
    raw = pd.concat(
        [
            pd.DataFrame(
                [["SB_01: daily arrivals"] + [None] * 4, [None] * 5], columns=daily.columns
            ),
            pd.DataFrame([daily.columns.tolist()], columns=daily.columns),
            daily.astype(object),
        ],
        ignore_index=True,
    )
    path = tmp_path / "v.ods"
    with pd.ExcelWriter(path, engine="odf") as xw:
        raw.to_excel(xw, sheet_name="SB_01", index=False, header=False)
    assert read_arrivals(path)["people"].tolist() == daily["Migrants arrived"].tolist()


def test_weekly_sheet_reads_preventions_as_missing(sample_ods: Path) -> None:
    wk = home_office.read_weekly(sample_ods)
    assert {"week_ending", "people", "boats", "people_prevented", "events_prevented"} <= set(wk)
    assert wk["people_prevented"].isna().all()
    assert wk["people"].sum() == sb01_frame()["Migrants arrived"].sum()


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (
            lambda f: f.assign(Date=f["Date"].astype(object).where(f.index != 5, "not-a-date")),
            "'not-a-date' is not a date",
        ),
        (
            lambda f: f.assign(
                **{"Migrants arrived": f["Migrants arrived"].where(f.index != 7, -3)}
            ),
            "'-3' on 2024-01-08 is not a non-negative whole number",
        ),
        (
            lambda f: f.assign(
                **{"Boats arrived": f["Boats arrived"].astype(float).where(f.index != 8, 2.5)}
            ),
            "'2.5' on 2024-01-09 is not a non-negative whole number",
        ),
        (lambda f: pd.concat([f, f.iloc[[3]]], ignore_index=True), "duplicate date 2024-01-04"),
        (lambda f: f.drop(index=[12, 13]), "gap in the daily sequence after 2024-01-12"),
        (lambda f: f.drop(columns=["Boats arrived"]), "no column 'boats arrived'"),
    ],
    ids=["not-a-date", "negative", "non-integer", "duplicate", "gap", "missing-column"],
)
def test_bad_values_name_file_row_and_column(
    tmp_path: Path,
    mutate,
    needle: str,  # type: ignore[no-untyped-def]
) -> None:
    path = write_ods(tmp_path / "bad.ods", {"SB_01": mutate(sb01_frame())})
    with pytest.raises(InputError) as err:
        read_arrivals(path)
    msg = str(err.value)
    assert needle in msg
    assert "bad.ods" in msg
    assert "column" in msg


def test_bad_value_reports_spreadsheet_row(tmp_path: Path) -> None:
    f = sb01_frame()
    f.loc[7, "Migrants arrived"] = -3
    path = write_ods(tmp_path / "bad.ods", {"SB_01": f})
    with pytest.raises(InputError) as err:
        read_arrivals(path)
    assert err.value.row == 9  # header is row 1, first data row is 2
    assert err.value.column == "migrants arrived"


def test_missing_sheet(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "x.ods", {"SB_02": sb02_frame(sb01_frame())})
    with pytest.raises(InputError, match="no sheet 'SB_01'"):
        read_arrivals(path)


def test_truncated_ods(sample_ods: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.ods"
    cut.write_bytes(sample_ods.read_bytes()[:2000])
    with pytest.raises(InputError, match="truncated or not a valid ODS"):
        read_arrivals(cut)


def test_not_an_ods(tmp_path: Path) -> None:
    fake = tmp_path / "fake.ods"
    fake.write_text("hello, this is text\n")
    with pytest.raises(InputError, match="not a valid ODS"):
        read_arrivals(fake)


def test_missing_count_is_an_error_not_a_zero(tmp_path: Path) -> None:
    f = sb01_frame().astype({"Migrants arrived": object})
    f.loc[4, "Migrants arrived"] = "-"
    with pytest.raises(InputError, match="no count on 2024-01-05"):
        read_arrivals(write_ods(tmp_path / "m.ods", {"SB_01": f}))
