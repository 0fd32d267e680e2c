"""Errors raised at the data boundary, with messages that say what is wrong and how to fix it."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: names the file, the row or date, and the column, plus a hint to fix it."""

    def __init__(
        self,
        message: str,
        *,
        path: object | None = None,
        row: object | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        self.hint = hint
        parts = []
        if self.path is not None:
            parts.append(self.path)
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column '{column}'")
        where = ", ".join(parts)
        text = f"{where}: {message}" if where else message
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text)


class ConfigError(ValueError):
    """A bad parameter or configuration value; the message names the key."""
