"""Test data from the corpus: the pre-2019 reports' 统计表 printed again in every flattening.

The bundled fixtures (tests/fixtures/corpus) hold pre-2019 reports whose statistics table is
printed run together (`主动公开信息数条4251516`). `flattenings()` rebuilds that table from
the report's gold rows (label, unit, this year, cumulative) in each form a scraped page or
a decoder gives — a grid (HTML <table>), pipes, spaces, one cell per line, and none at all —
and puts it back in place of the printed table, so every variant must read to the same values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
STYLES = ("grid", "pipes", "spaces", "per_line", "none")


def legacy_reports() -> list[str]:
    """Names of the fixture reports whose gold has a pre-2019 statistics table."""
    out = []
    for gold_path in sorted(CORPUS.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if gold.get("pre2019_table"):
            out.append(gold["file"])
    return out


def gold_of(name: str) -> dict:
    return json.loads((CORPUS / name.replace(".txt", ".gold.json")).read_text(encoding="utf-8"))


def _cells(gold: dict) -> list[list[str]]:
    year = gold["report_year"]
    rows = [["指标名称", "计量单位", f"{year}年度", "历年累计"]]
    for r in gold["pre2019_table"]:
        rows.append([r["indicator"], r["unit"] or "", _fmt(r["this_year"]), _fmt(r["cumulative"])])
    return rows


def _fmt(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}"


def render(cells: list[list[str]], style: str) -> str:
    if style == "grid":
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)
        return f"<table>{body}</table>"
    if style == "pipes":
        return "\n".join("| " + " | ".join(row) + " |" for row in cells)
    if style == "spaces":
        return "\n".join(" ".join(c for c in row if c) for row in cells)
    if style == "per_line":
        return "\n".join(c for row in cells for c in row)
    return "".join(c for row in cells for c in row)


def _table_span(text: str, gold: dict) -> tuple[int, int]:
    """Where the printed table is: from its header to the last row's digits."""
    start = text.index("指标名称")
    last = gold["pre2019_table"][-1]
    label = re.escape(last["indicator"]).replace("：", "[:：]")
    m = list(re.finditer(label + r"\s*" + re.escape(last["unit"] or "") + r"\s*[\d.]+", text[start:]))[-1]
    return start, start + m.end()


def flattening(name: str, style: str) -> tuple[str, bytes]:
    """(file name, bytes) of report `name` with its table printed in `style`."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    gold = gold_of(name)
    lo, hi = _table_span(text, gold)
    table = render(_cells(gold), style)
    if style == "grid":
        paragraphs = "".join(f"<p>{line}</p>" for line in text[:lo].splitlines())
        html = f"<html><body>{paragraphs}{table}<p>{text[hi:]}</p></body></html>"
        return name.replace(".txt", ".html"), html.encode("utf-8")
    return name, (text[:lo] + "\n" + table + "\n" + text[hi:]).encode("utf-8")
