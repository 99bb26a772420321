"""The suites as files: one GX 1.x ExpectationSuite JSON per stage in `expectations/`.

`decoded.json` and `sectioned.json` are written by hand; `tables.json` and `facts.json` are
rendered from the template (`render.RENDERED_SUITES`). Reading them needs neither GX nor
Dagster, so `checks.py` declares the check specs from here at Definitions load.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
SUITES = ("decoded", "sectioned", "tables", "facts")
SEVERITIES = ("error", "warn")


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


@cache
def _suite_text(name: str) -> str:
    return suite_path(name).read_text(encoding="utf-8")


def load_suite(name: str) -> dict[str, Any]:
    """The suite's JSON (a fresh copy: callers may filter it)."""
    return json.loads(_suite_text(name))


def sub_suite(suite: dict[str, Any], table: str | None) -> dict[str, Any]:
    """The suite restricted to the expectations of one contract table (`meta.table`), named
    `<suite>.<table>`; the whole suite when `table` is None."""
    expectations = suite["expectations"]
    if table is not None:
        expectations = [e for e in expectations if e.get("meta", {}).get("table") == table]
    name = suite["name"] if table is None else f"{suite['name']}.{table}"
    return {"name": name, "expectations": expectations, "meta": suite.get("meta", {})}


def suite_tables(name: str) -> list[str]:
    """The contract tables a suite's expectations name (`meta.table`), in first-seen order."""
    return list(dict.fromkeys(e["meta"]["table"] for e in load_suite(name)["expectations"]))


# kwargs naming the columns an expectation reads
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@cache
def columns_read(name: str) -> frozenset[str] | None:
    """Every column a suite's expectations read: the columns they check, the names their
    `row_condition`s mention (a superset: `in`, `and` … are names too, and match no column)
    and the columns a non-exact column-set check requires; None when an expectation reads
    the whole table (an exact column set, an ordered column list, any other `expect_table_…`)."""
    read: set[str] = set()
    for expectation in load_suite(name)["expectations"]:
        kwargs = expectation.get("kwargs", {})
        if expectation["type"] == "expect_table_columns_to_match_set" and not kwargs.get("exact_match", True):
            read.update(kwargs["column_set"])
        elif expectation["type"].startswith("expect_table_"):
            return None
        read.update(kwargs[key] for key in _COLUMN_KWARGS if kwargs.get(key))
        read.update(kwargs.get("column_list") or ())
        read.update(_NAME.findall(_QUOTED.sub(" ", kwargs.get("row_condition") or "")))
    return frozenset(read)
