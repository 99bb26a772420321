"""Markdown previews for asset metadata (the Dagster UI renders them as tables)."""

from __future__ import annotations

import re

import pandas as pd

# Everything Markdown (or the HTML it may contain) could read as syntax: names and reasons
# come from the landing zone and are shown as text, never as links, markup or emphasis.
_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()<>#+!~|])")


def markdown_text(value: str) -> str:
    """One table cell of untrusted text: specials backslash-escaped, line breaks as spaces."""
    return _MARKDOWN_SPECIAL_RE.sub(r"\\\1", " ".join(value.splitlines()))


def markdown_table(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> str:
    """`columns` maps frame column → heading. File paths show their file name only; values
    are escaped (`markdown_text`) so a reason with `|`, a link or HTML cannot break the table."""
    if frame.empty:
        return empty
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    for row in frame[list(columns)].itertuples(index=False):
        cells = []
        for name, value in zip(columns, row, strict=True):
            text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
            if name == "source_uri":
                text = text.rsplit("/", 1)[-1]
            cells.append(markdown_text(text))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
