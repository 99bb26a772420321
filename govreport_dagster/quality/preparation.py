"""Derived columns some expectations refer to, one `prepare_<stage>()` per stage: the suite
stays the declaration of what is expected, these compute what it is expected of.

The prepared frames are shallow copies: pandas 3 copies on write, so adding a column never
touches the stage's frame, and a year's texts are not held twice while they are validated.
They keep only the columns their suite reads (`suites.columns_read`): GX and the range
validation copy a frame's rows (a `row_condition`'s selection, the union of a range's years),
and a column no expectation reads (a cell's note, its confidence) need not be copied.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..core.templates import TEMPLATE_VERSIONS, load_templates
from .stewardship import CORRECTED_CELLS, prepare_corrected_cells
from .suites import columns_read

# Versions with a national template (the six official sections, printed table layouts).
TEMPLATED_VERSIONS = tuple(v for v in TEMPLATE_VERSIONS if v != "pre2019")


def prepare_decoded(df: pd.DataFrame) -> pd.DataFrame:
    """Adds `replacement_ratio`: U+FFFD characters per character of text (0 for empty text)."""
    out = df.copy(deep=False)
    text = out["text"].fillna("").astype(str)
    lengths = text.str.len()
    out["replacement_ratio"] = (text.str.count("\ufffd") / lengths.where(lengths > 0)).fillna(0.0).astype(float)
    return out


def prepare_sectioned(reports: pd.DataFrame, sections: pd.DataFrame, partition_year: int) -> pd.DataFrame:
    """Sections joined with their report's columns, one row per section (a report without
    sections keeps one row with null section columns, so per-report checks still see it).

    Adds `partition_year`, `first_row` (one row per report carries the per-report checks) and
    `official_sections_ok`: the six official sections present, each once, in template order
    (null for pre-2019 reports, which follow no national template).
    """
    report_cols = ["report_id", "template_version", "layout_version", "publish_date", "status"]
    if "detected_year" in reports.columns:
        report_cols.append("detected_year")
    section_cols = ["report_id", "section_key", "heading", "ordinal", "char_start", "char_end"]
    frame = reports[report_cols].merge(sections[section_cols], on="report_id", how="left")
    if "detected_year" not in frame.columns:
        frame["detected_year"] = pd.NA
    frame = frame.sort_values(["report_id", "ordinal"], kind="stable").reset_index(drop=True)
    frame["report_year"] = partition_year  # the frames are the partition's
    frame["partition_year"] = partition_year
    frame["detected_year"] = pd.to_numeric(frame["detected_year"], errors="coerce").astype("Int64")
    frame["first_row"] = ~frame["report_id"].duplicated()
    official = [s.key for s in load_templates().official_sections]
    ok: dict[str, bool | None] = {}
    for report_id, group in frame.groupby("report_id", sort=False):
        version = group["template_version"].iloc[0]
        layout = group["layout_version"].iloc[0]
        if version not in TEMPLATED_VERSIONS and layout not in TEMPLATED_VERSIONS:
            ok[report_id] = None
            continue
        keys = [k for k in group["section_key"].dropna() if k in official]
        ok[report_id] = keys == official
    frame["official_sections_ok"] = frame["report_id"].map(ok).astype("boolean")
    return read_by_suite(frame, "sectioned")


def prepare_tables(cells: pd.DataFrame, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """Adds `layout_version` (from the tables' reports frame when not a column), `mapped` (the row
    label matched the template), `cell_key` = layout:table:row:col, and `value_fraction` (the
    part after the decimal point, for the integer checks)."""
    out = cells.copy(deep=False)
    if "layout_version" not in out.columns:
        layouts = {} if reports is None else dict(zip(reports["report_id"], reports["layout_version"], strict=False))
        out["layout_version"] = out["report_id"].map(layouts)
    out["mapped"] = ~out["row_key"].astype(str).str.startswith("unmapped:")
    out["cell_key"] = (
        out["layout_version"].astype(str) + ":" + out["table_id"] + ":" + out["row_key"] + ":" + out["col_key"]
    )
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    out["value_fraction"] = (value - value.round()).abs().round(9)
    return read_by_suite(out, "tables")


def read_by_suite(frame: pd.DataFrame, suite: str) -> pd.DataFrame:
    """The frame's columns the suite reads (all when it reads the whole table), and `report_id`,
    which names the rows of a failed expectation's examples (`outcomes`)."""
    read = columns_read(suite)
    if read is None:
        return frame
    return frame[[c for c in frame.columns if c in read or c == "report_id"]]


def prepare_facts(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The facts frames as validated: identity lhs/rhs rounded to 1e-6 (money sums), else as built."""
    out = dict(frames)
    if "identity_checks" in out:
        checks = out["identity_checks"].copy()
        for column in ("lhs", "rhs"):
            checks[column] = checks[column].astype(float).round(6)
        out["identity_checks"] = checks
    out[CORRECTED_CELLS] = prepare_corrected_cells(out)  # issue 16: corrected cells with their correction's status
    return out
