"""One year's stage partitions as the facts stage reads them: `core.year_reports.YearReports`
over the raw, decoded, sectioned and tables frames, building bundles only for the rows asked
for (issue 12: the frames stay compact columns; a year's bundles at once took gigabytes).

The year's reports, in order, are `frames.bundles_from_frames`' (the decoded rows whose
report reached every stage); a chunk of whole bundles is `bundles_from_frames` on the rows
of that chunk, so it is exactly what the year's bundles held at those positions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from ..core.agencies import context_head
from ..core.model import ReportBundle, ReportMetadata, SectionedReport, TableExtraction
from .frames import bundles_from_frames, decoded_from_row, from_json, from_plain, raw_file_from_row
from .stored_frames import FrameRows, rows_of

Frames = dict[str, pd.DataFrame]
# decoded columns a light bundle never reads (the source's own text and grids)
_HEAVY_DECODED = ["original_text", "tables"]
# light bundles built together: their full texts and payloads are Python strings meanwhile
_LIGHT_BATCH = 64


class StageFramesYear:
    """`YearReports` over one year's stage frames (`raw_reports`' files, `decoded_reports`',
    `sectioned_reports`' and `extracted_tables`' reports), each in memory or stored
    (`stored_frames`: read a chunk of rows at a time, never the year whole)."""

    def __init__(self, raw: Frames, decoded: Frames, sectioned: Frames, tables: Frames, year: int) -> None:
        self.report_year = year
        self._files, self._decoded = rows_of(raw["files"]), rows_of(decoded["reports"])
        self._sectioned, self._tables = rows_of(sectioned["reports"]), rows_of(tables["reports"])
        # a repeated report id: the last row wins, as in bundles_from_frames' lookups
        at = [_last_row_of(f) for f in (self._files, self._sectioned, self._tables)]
        self._decoded_ids = self._decoded.column("report_id")
        self._rows = [
            (d, at[0][rid], at[1][rid], at[2][rid])
            for d, rid in enumerate(self._decoded_ids)
            if all(rid in rows for rows in at)
        ]

    def __len__(self) -> int:
        return len(self._rows)

    def report_ids(self) -> list[str]:
        """The year's reports' ids, in the year's order."""
        return [self._decoded_ids[d] for d, *_ in self._rows]

    def bundles(self, positions: Sequence[int]) -> list[ReportBundle]:
        rows = [self._rows[p] for p in positions]
        return bundles_from_frames(
            {"files": self._files.take([r[1] for r in rows])},
            {"reports": self._decoded.take([r[0] for r in rows])},
            {"reports": self._sectioned.take([r[2] for r in rows], ["report_id", "payload"])},
            {"reports": self._tables.take([r[3] for r in rows], ["report_id", "payload"])},
            self.report_year,
        )

    def has_table(self, table_id: str) -> list[bool]:
        # the flat column `tables_frames` wrote from the same extraction's `has_table`
        flags = self._tables.column(f"has_{table_id}")
        return [bool(flags[t]) for *_, t in self._rows]

    def light_bundles(self, positions: Sequence[int], *, with_tables: bool) -> list[ReportBundle]:
        out: list[ReportBundle] = []
        light_decoded = [c for c in self._decoded.columns if c not in _HEAVY_DECODED]
        for start in range(0, len(positions), _LIGHT_BATCH):  # full texts and payloads: a batch at a time
            rows = [self._rows[p] for p in positions[start : start + _LIGHT_BATCH]]
            files = self._files.take([r[1] for r in rows]).to_dict("records")
            decoded = self._decoded.take([r[0] for r in rows], light_decoded)
            sectioned = self._sectioned.take([r[2] for r in rows], ["payload"])["payload"].tolist()
            tables = (
                self._tables.take([r[3] for r in rows], ["payload"])["payload"].tolist()
                if with_tables
                else [None] * len(rows)
            )
            out.extend(
                _light_bundle(self.report_year, *row)
                for row in zip(files, decoded.to_dict("records"), sectioned, tables, strict=True)
            )
        return out


def _last_row_of(frame: FrameRows) -> dict[str, int]:
    return {rid: row for row, rid in enumerate(frame.column("report_id"))}


def _light_bundle(
    year: int, raw_row: dict, decoded_row: dict, sectioned_payload: str, tables_payload: str | None
) -> ReportBundle:
    """A report without what only its own rows read (`YearReports`' light bundle)."""
    decoded = decoded_from_row(decoded_row)
    tables = from_json(TableExtraction, tables_payload) if tables_payload is not None else TableExtraction("")
    return ReportBundle(
        report_id=decoded_row["report_id"],
        report_year=year,
        raw=raw_file_from_row(raw_row),
        decoded=replace(decoded, text=context_head(decoded.text)),
        sectioned=_sectioned_head(sectioned_payload),
        tables=tables,
    )


def _sectioned_head(payload: str) -> SectionedReport:
    """The sectioning's metadata, versions, status and issues; no sections, no narrative."""
    data = json.loads(payload)
    return SectionedReport(
        metadata=from_plain(ReportMetadata, data["metadata"]),
        sections=[],
        template_version=data["template_version"],
        layout_version=data["layout_version"],
        status=data.get("status", "ok"),
        issues=list(data.get("issues", [])),
    )
