"""Issue 23, "read at a glance", the command line: `crossings outlook` defaults to the
registry's champion, tables fit a narrow terminal without cutting a number, and the help
shows no value type on flags and joins each command's summary into one paragraph."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console
from typer.testing import CliRunner

import crossings.commands.outlook as outlook_cmd
from crossings.app import app
from crossings.output import numbers_table

BODY = {
    "target": "people",
    "from": "2026-03-01",
    "until": "2026-12-31",
    "days": 306,
    "total": {
        "median": 33211,
        "mean": 33500.4,
        "bands": {
            "50": {"lo": 31211, "hi": 35311},
            "80": {"lo": 30211, "hi": 36345},
            "95": {"lo": 28011, "hi": 38345},
        },
    },
    "year_end": {
        "year": 2026,
        "median": 41211,
        "mean": 41500.0,
        "bands": {
            "50": {"lo": 40211, "hi": 42311},
            "80": {"lo": 38211, "hi": 44345},
            "95": {"lo": 36011, "hi": 48345},
        },
    },
    "year_to_date": {"year": 2026, "through": "2026-02-28", "actual": 8000},
    "exceedance": [],
}


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_outlook_model_defaults_to_the_champion() -> None:
    text = " ".join(_help("outlook").split())
    assert "[default: champion]" in text
    assert "[default: hurdle]" not in text


@pytest.mark.parametrize("args", [(), ("outlook",), ("train",), ("backtest",)])
def test_help_shows_no_bool_metavar(args: tuple[str, ...]) -> None:
    text = _help(*args)
    assert "<bool>" not in text
    assert "--help" in text and "<int>" in _help("outlook")  # values keep their type


def test_command_summaries_are_one_paragraph() -> None:
    # Typer kept the docstring's line breaks: "median, bands," ended a line at any width.
    ends = [ln.rstrip(" │").rsplit(" ", 1)[-1] for ln in _help().splitlines()]
    assert "bands," not in ends
    assert "on each" not in " ".join(ln.rstrip(" │")[-7:] for ln in _help().splitlines())


def test_outlook_table_fits_a_narrow_terminal_without_cutting_a_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = StringIO()
    monkeypatch.setattr(outlook_cmd, "console", Console(width=60, file=out))
    outlook_cmd._print(BODY)
    text = out.getvalue()
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "…" not in text
    words = set(text.replace("│", " ").split())
    for number in ("33,211", "30,211–", "36,345", "28,011–", "48,345", "41,500"):
        assert number in words, number


def test_numbers_table_never_folds_a_number() -> None:
    rows = [["a model with a long name", "1,234,567.891", "0.123"]]
    out = StringIO()
    Console(width=40, file=out).print(numbers_table("t", ["model", "crps", "brier"], rows))
    words = set(out.getvalue().replace("│", " ").split())
    assert {"1,234,567.891", "0.123"} <= words
