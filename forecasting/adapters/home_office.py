"""Adapter for the Home Office small-boats time series (ODS as published on GOV.UK, or CSV)."""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import schema
from forecasting.errors import InputError

log = logging.getLogger(__name__)

DAILY_SHEET = "SB_01"
WEEKLY_SHEET = "SB_02"
NOT_RECORDED = "-"

# Published column title -> canonical name. Titles are matched case- and space-insensitively.
_DAILY_COLUMNS = {
    "date": schema.DATE,
    "migrants arrived": schema.PEOPLE,
    "boats arrived": schema.BOATS,
    "boats arrived - involved in uncontrolled landings": schema.UNCONTROLLED,
    "notes": "notes",
}
_WEEKLY_COLUMNS = {
    "week ending": "week_ending",
    "migrants arrived": schema.PEOPLE,
    "boats arrived": schema.BOATS,
    "boats arrived - involved in uncontrolled landings": schema.UNCONTROLLED,
    "migrants prevented": "people_prevented",
    "events prevented": "events_prevented",
    "notes": "notes",
}
_REQUIRED_DAILY = ("date", "migrants arrived", "boats arrived")
_REQUIRED_WEEKLY = ("week ending", "migrants arrived", "boats arrived")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_VINTAGE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _norm(title: object) -> str:
    return re.sub(r"\s+", " ", str(title)).strip().lower().replace("–", "-")


def _is_ods(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _read_ods_sheet(path: Path, sheet: str) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(path) as zf:
            if zf.read("mimetype").strip() != _ODS_MIMETYPE:
                raise InputError(
                    "is a zip archive but not an OpenDocument spreadsheet",
                    path=path,
                    hint="Pass the .ods file as published on GOV.UK, or a CSV",
                )
            bad = zf.testzip()
            if bad is not None:
                raise InputError(f"corrupt member {bad}", path=path, hint="Download it again")
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise InputError(
            f"is truncated or not a valid ODS file ({exc})",
            path=path,
            hint="Download the file again from GOV.UK",
        ) from exc
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="odf", dtype=object)
    except Exception as exc:  # odfpy raises a variety of XML errors on damaged files
        raise InputError(
            f"could not be read as ODS ({type(exc).__name__}: {exc})",
            path=path,
            hint="Download the file again from GOV.UK",
        ) from exc
    if sheet not in sheets:
        raise InputError(
            f"has no sheet '{sheet}' (sheets: {', '.join(map(str, sheets))})",
            path=path,
            hint="Is this the 'Migrants detected crossing the English Channel' time series?",
        )
    return sheets[sheet]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, header=None, dtype=object, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"could not be read as CSV ({exc})",
            path=path,
            hint="Pass the ODS as published, or a CSV with the SB_01 columns",
        ) from exc


def _frame_with_header(raw: pd.DataFrame, first_title: str, path: Path, sheet: str) -> pd.DataFrame:
    """Find the header row (GOV.UK sheets may carry title rows above it) and apply it."""
    first_col = raw.iloc[:, 0].map(_norm)
    hits = np.flatnonzero(first_col.to_numpy() == first_title)
    if len(hits) == 0:
        raise InputError(
            f"no header row starting with '{first_title.capitalize()}' in sheet {sheet}",
            path=path,
            column=first_title.capitalize(),
            hint="The table must have the published column titles",
        )
    h = int(hits[0])
    body = raw.iloc[h + 1 :].copy()
    body.columns = [_norm(c) for c in raw.iloc[h]]
    # Spreadsheet row numbers (1-based, as a person sees them) make errors easy to find.
    body.index = pd.RangeIndex(h + 2, h + 2 + len(body))
    blank = body.apply(lambda r: all(_is_blank(v) for v in r), axis=1)
    return body[~blank]


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _parse_dates(col: pd.Series, path: Path, title: str) -> pd.Series:
    out = []
    for row, v in col.items():
        if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "year"):
            out.append(pd.Timestamp(v).normalize())
            continue
        text = str(v).strip()
        ts = pd.NaT
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d %H:%M:%S"):
            try:
                ts = pd.to_datetime(text, format=fmt)
                break
            except (ValueError, TypeError):
                continue
        if pd.isna(ts):
            raise InputError(
                f"'{text}' is not a date",
                path=path,
                row=row,
                column=title,
                hint="Use YYYY-MM-DD or DD/MM/YYYY",
            )
        out.append(ts)
    return pd.Series(out, index=col.index, dtype="datetime64[ns]")


def _parse_counts(
    col: pd.Series, dates: pd.Series, path: Path, title: str, *, nullable: bool
) -> pd.Series:
    values: list[object] = []
    for row, v in col.items():
        text = str(v).strip() if not _is_blank(v) else ""
        if text in (NOT_RECORDED, ""):
            if nullable:
                values.append(pd.NA)
                continue
            raise InputError(
                f"no count on {dates[row].date()} ('{text or 'blank'}')",
                path=path,
                row=row,
                column=title,
                hint="Every day needs a count; 0 means no arrivals",
            )
        try:
            x = float(text.replace(",", ""))
        except ValueError:
            x = np.nan
        if not np.isfinite(x) or x < 0 or x != int(x):
            raise InputError(
                f"'{text}' on {dates[row].date()} is not a non-negative whole number",
                path=path,
                row=row,
                column=title,
                hint="Counts must be whole numbers ≥ 0, or '-' where not recorded",
            )
        values.append(int(x))
    return pd.Series(values, index=col.index, dtype="Int64")


def _load_sheet(path: Path, sheet: str) -> pd.DataFrame:
    if not path.exists():
        raise InputError("does not exist", path=path, hint="Check the path")
    if path.is_dir():
        raise InputError("is a folder, not a file", path=path)
    if _is_ods(path):
        return _read_ods_sheet(path, sheet)
    if path.suffix.lower() == ".ods":
        raise InputError(
            "is truncated or not a valid ODS file (no zip signature)",
            path=path,
            hint="Download the file again from GOV.UK",
        )
    return _read_csv(path)


def _check_columns(body: pd.DataFrame, required: tuple[str, ...], path: Path, sheet: str) -> None:
    missing = [c for c in required if c not in body.columns]
    if missing:
        raise InputError(
            f"sheet {sheet} has no column '{missing[0]}'",
            path=path,
            column=missing[0],
            hint=f"Expected columns: {', '.join(required)}",
        )


def vintage_of(path: Path, last_date: pd.Timestamp) -> str:
    """The publication date: from the file name if it has one, else the day after the data end."""
    m = _VINTAGE_RE.search(path.name)
    if m:
        return m.group(1)
    return (last_date + pd.Timedelta(days=1)).date().isoformat()


def read_daily(path: str | Path) -> pd.DataFrame:
    """Read sheet SB_01 (or a CSV with its columns) into the canonical arrivals table.

    `attrs` carries `vintage` and `format`. A '-' (not recorded) in the uncontrolled-landings
    column becomes a missing value, never a zero.
    """
    path = Path(path)
    raw = _load_sheet(path, DAILY_SHEET)
    body = _frame_with_header(raw, "date", path, DAILY_SHEET)
    _check_columns(body, _REQUIRED_DAILY, path, DAILY_SHEET)
    titles = {v: k for k, v in _DAILY_COLUMNS.items()}
    dates = _parse_dates(body["date"], path, "Date")
    out = pd.DataFrame({schema.DATE: dates})
    for canon in (schema.PEOPLE, schema.BOATS):
        out[canon] = _parse_counts(body[titles[canon]], dates, path, titles[canon], nullable=False)
    if titles[schema.UNCONTROLLED] in body.columns:
        out[schema.UNCONTROLLED] = _parse_counts(
            body[titles[schema.UNCONTROLLED]],
            dates,
            path,
            titles[schema.UNCONTROLLED],
            nullable=True,
        )
    else:
        out[schema.UNCONTROLLED] = pd.array([pd.NA] * len(out), dtype="Int64")
    notes = body["notes"] if "notes" in body.columns else pd.Series("", index=body.index)
    out[schema.REVISED] = notes.map(
        lambda v: "revised" in str(v).lower() if not _is_blank(v) else False
    )
    result = schema.validate_arrivals(out, path=path)
    fmt = "ods" if _is_ods(path) else "csv"
    result.attrs = {"vintage": vintage_of(path, result[schema.DATE].iloc[-1]), "format": fmt}
    log.info("read %d daily rows from %s", len(result), path)
    return result


def read_weekly(path: str | Path) -> pd.DataFrame:
    """Read sheet SB_02 (weekly arrivals and French preventions); '-' becomes missing."""
    path = Path(path)
    raw = _load_sheet(path, WEEKLY_SHEET)
    body = _frame_with_header(raw, "week ending", path, WEEKLY_SHEET)
    _check_columns(body, _REQUIRED_WEEKLY, path, WEEKLY_SHEET)
    dates = _parse_dates(body["week ending"], path, "Week ending")
    out = pd.DataFrame({"week_ending": dates})
    for title, canon in _WEEKLY_COLUMNS.items():
        if canon in ("week_ending", "notes") or title not in body.columns:
            continue
        required = title in _REQUIRED_WEEKLY
        out[canon] = _parse_counts(body[title], dates, path, title, nullable=not required)
    dup = out["week_ending"].duplicated()
    if dup.any():
        row = out.index[dup.to_numpy()][0]
        raise InputError(
            f"duplicate week {out.loc[row, 'week_ending'].date()}",
            path=path,
            row=row,
            column="Week ending",
        )
    return out.sort_values("week_ending").reset_index(drop=True)
