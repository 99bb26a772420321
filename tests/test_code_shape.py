"""The shape limits issue 10 set for the package: no module over 450 lines, no function over
60, so a reader can hold any one of them in view. A new capability that outgrows them is
split into named steps (the style of pdfplumber's table.py) rather than let the limit slide."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("govreport_dagster/**/*.py"), *ROOT.glob("assets/**/*.py")])
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def test_no_module_over_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_no_function_over_the_limit() -> None:
    long = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert not long, long
