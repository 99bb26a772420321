"""Markdown previews for asset metadata (the Dagster UI renders them as tables)."""

from __future__ import annotations

import pandas as pd


def markdown_table(frame: pd.DataFrame, columns: dict[str, str], empty: str) -> str:
    """`columns` maps frame column → heading. File paths show their file name only; pipes in
    values are escaped so a reason with `|` cannot break the table."""
    if frame.empty:
        return empty
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    for row in frame[list(columns)].itertuples(index=False):
        cells = []
        for name, value in zip(columns, row, strict=True):
            text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
            if name == "source_uri":
                text = text.rsplit("/", 1)[-1]
            cells.append(text.replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
