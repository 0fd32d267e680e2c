"""The house rules on size: no source file over 400 lines, no class over 250, no function over
60, in every package and the benchmarks. A file, class or function that grows past its limit
is split where it grows, not listed here as an exception."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("forecasting", "api", "crossings", "benchmarks", "experiments")
MAX_FILE_LINES, MAX_CLASS_LINES, MAX_FUNCTION_LINES = 400, 250, 60


def oversized(path: Path) -> list[str]:
    """What in `path` is over its limit, as "kind name lines" strings."""
    text = path.read_text()
    out = []
    if (n := text.count("\n")) > MAX_FILE_LINES:
        out.append(f"file {n} lines > {MAX_FILE_LINES}")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            kind, limit = (
                ("class", MAX_CLASS_LINES)
                if isinstance(node, ast.ClassDef)
                else ("function", MAX_FUNCTION_LINES)
            )
            if size > limit:
                out.append(f"{kind} {node.name} {size} lines > {limit}")
    return out


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_checker_sees_what_it_checks(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    big = tmp_path / "big.py"
    big.write_text(f"def f():\n{body}\n\n\nclass C:\n" + "    y = 1\n" * 250)
    assert sorted(oversized(big)) == ["class C 251 lines > 250", "function f 62 lines > 60"]
    assert len(sources()) > 100


@pytest.mark.parametrize("package", PACKAGES)
def test_no_file_class_or_function_over_its_limit(package: str) -> None:
    found = {
        str(p.relative_to(ROOT)): problems
        for p in sources()
        if p.relative_to(ROOT).parts[0] == package and (problems := oversized(p))
    }
    assert found == {}, "split these where they grew:\n" + "\n".join(
        f"{path}: {'; '.join(problems)}" for path, problems in found.items()
    )
