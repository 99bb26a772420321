"""Stage objects ⇄ DataFrames: one codec per stage object, to rows and back, in one place.

Each stage asset stores a partition as a set of DataFrames (Parquet).

- landing scan entries (`entries_frame` / `entries_from_frame`) and what each decode found
  (`documents_frame` / `identification_from_row`; not the text, which stays in the decode
  cache and each year's `decoded_reports`): `decoded_documents`;
- ledger rows (`IngestedFile`: `ingested_from_row`, `raw_file_from_row`): `ingest_ledger`,
  `raw_reports`;
- `DecodedDocument` (`decoded_frame` / `decoded_from_row`): flat columns only;
- `SectionedReport` and `TableExtraction` (`sectioned_frames`, `tables_frames` /
  `from_json` of `payload`): two representations on purpose. The flat columns (and the
  `sections` and `cells` frames) are what users and the GX suites read; the `payload` JSON
  is what the next stage reads to rebuild the object exactly (nested narrative metrics,
  candidates, legacy rows that have no flat column). Section text is therefore stored twice
  (in `sections.text` and in the payload); a reader of only one of them would need a lossy
  reconstruction, so both stay until the GX suites read the payload.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import pandas as pd

from ..core import model
from ..core.ingest import DecodeOutcome, Identification, IngestedFile
from ..core.landing import LandingEntry, name_bytes, name_from_bytes
from ..core.model import DecodedDocument, SectionedReport, TableExtraction

T = TypeVar("T")


def to_json(obj: Any) -> str:
    return json.dumps(model.to_plain(obj), ensure_ascii=False)


def from_json(cls: type[T], text: str) -> T:
    return from_plain(cls, json.loads(text))


def from_plain(cls: Any, data: Any) -> Any:
    """Rebuild a (nested) dataclass from `model.to_plain` output, guided by type hints."""
    if data is None:
        return None
    origin = get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(cls) if a is not type(None)]
        return from_plain(options[0], data) if len(options) == 1 else data
    if dataclasses.is_dataclass(cls):
        hints = _type_hints(cls)
        kwargs = {f.name: from_plain(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data}
        return cls(**kwargs)
    if origin is list:
        (inner,) = get_args(cls) or (Any,)
        return [from_plain(inner, v) for v in data]
    if origin is tuple:
        return tuple(data)
    if origin is dict:
        return dict(data)
    if cls is date:
        return date.fromisoformat(data)
    return data


@cache
def _type_hints(cls: type) -> dict[str, Any]:
    # resolving string annotations is most of the cost of rebuilding a stage object
    return get_type_hints(cls)


# -- decoded_documents: landing scan entries and decode outcomes ---------------------

ENTRY_COLUMNS = ["source_uri", "relative_path", "size", "mtime", "folder_year", "problem", "sidecar",
                 "sidecar_problem", "content", "location"]  # fmt: skip
# One row per distinct content: what its decode and identification found, without its text
# (a landing's texts would all be in the driver's memory at once: issue 12).
DOCUMENT_COLUMNS = ["sha256", "detected_type", "rejection", "source_uri", "source_format", "detected_encoding",
                    "original_script", "n_tables", "flags", "decode_seconds", "identified_rejection",
                    "report_id", "document_year", "document_year_source", "notes"]  # fmt: skip


def entries_frame(entries: list[LandingEntry], hashes: dict[str, str]) -> pd.DataFrame:
    """One row per scanned file; `content` is its sha256 or why it could not be read."""
    rows = [
        {
            "source_uri": e.source_uri,
            "relative_path": e.relative_path,
            "size": e.size,
            "mtime": e.mtime,
            "folder_year": e.folder_year,
            "problem": e.problem,
            "sidecar": json.dumps(e.sidecar, ensure_ascii=False),
            "sidecar_problem": e.sidecar_problem,
            "content": hashes.get(e.source_uri),
            "location": name_bytes(e.location),
        }
        for e in entries
    ]
    frame = _frame(rows, ENTRY_COLUMNS)
    frame["folder_year"] = frame["folder_year"].astype("Int64")
    frame["mtime"] = frame["mtime"].astype("float64")
    return frame


def entries_from_frame(frame: pd.DataFrame) -> tuple[list[LandingEntry], dict[str, str]]:
    entries, hashes = [], {}
    for row in frame.to_dict("records"):
        entries.append(
            LandingEntry(
                source_uri=row["source_uri"],
                relative_path=row["relative_path"],
                size=int(row["size"]),
                mtime=_optional(row["mtime"], float),
                folder_year=_optional(row["folder_year"], int),
                problem=_optional(row["problem"], str),
                sidecar=json.loads(row["sidecar"] or "{}"),
                sidecar_problem=_optional(row["sidecar_problem"], str),
                location=name_from_bytes(row.get("location")),
            )
        )
        if (content := _optional(row["content"], str)) is not None:
            hashes[row["source_uri"]] = content
    return entries, hashes


def documents_frame(identified: Iterable[tuple[DecodeOutcome, Identification]]) -> pd.DataFrame:
    """One row per distinct content: what its decode and identification found (the document's
    text and grids are not kept: each year's `decoded_reports` reads them from the cache)."""
    rows = []
    for o, ident in identified:
        doc = o.document
        row: dict[str, Any] = {"sha256": o.sha256, "detected_type": o.detected_type, "rejection": o.rejection,
                               "decode_seconds": o.seconds, "identified_rejection": ident.rejection,
                               "report_id": ident.report_id, "document_year": ident.document_year,
                               "document_year_source": ident.document_year_source,
                               "notes": json.dumps(list(ident.notes), ensure_ascii=False)}  # fmt: skip
        if doc is not None:
            row |= {
                "source_uri": doc.source_uri,
                "source_format": doc.source_format,
                "detected_encoding": doc.detected_encoding,
                "original_script": doc.original_script,
                "n_tables": len(doc.tables),
                "flags": json.dumps(doc.flags, ensure_ascii=False),
            }
        rows.append(row)
    frame = _frame(rows, DOCUMENT_COLUMNS)
    for column in ("n_tables", "document_year"):
        frame[column] = frame[column].astype("Int64")
    return frame


def identification_from_row(row: dict[str, Any]) -> Identification:
    """What a `documents` row says its content identified as (the ledger's input)."""
    return Identification(
        detected_type=row["detected_type"],
        rejection=_optional(row["identified_rejection"], str),
        report_id=_optional(row["report_id"], str),
        document_year=_optional(row["document_year"], int),
        document_year_source=_optional(row["document_year_source"], str),
        decode_seconds=_optional(row.get("decode_seconds"), float),
        notes=tuple(json.loads(row["notes"] or "[]")),
    )


def _document_columns(doc: DecodedDocument) -> dict[str, Any]:
    """The columns of a DecodedDocument shared by `documents` and `decoded_reports` rows."""
    return {
        "source_uri": doc.source_uri,
        "source_format": doc.source_format,
        "detected_encoding": doc.detected_encoding,
        "original_script": doc.original_script,
        "text": doc.text,
        "original_text": doc.original_text,
        "tables": doc.tables_json(),
    }


def _optional(value: Any, kind: type) -> Any:
    return None if value is None or pd.isna(value) else kind(value)


# -- ingest_ledger / raw_reports rows ------------------------------------------------


def raw_file_from_row(row: dict[str, Any]) -> model.RawFile:
    return model.RawFile(
        source_uri=row["source_uri"],
        size=int(row["bytes"]),
        sha256=row["source_sha256"],
        detected_type=row["detected_type"],
        sidecar=json.loads(row["sidecar"] or "{}"),
        folder_year=_optional(row["folder_year"], int),
    )


def ingested_from_row(row: dict[str, Any]) -> IngestedFile:
    """Rebuild the ledger's view of a parsed file from a raw_reports row."""
    raw = raw_file_from_row(row)
    return IngestedFile(
        source_uri=raw.source_uri,
        sha256=raw.sha256,
        size=raw.size,
        status="parsed",
        reason="ok",
        report_year=None,
        year_source=row["year_source"],
        report_id=row["report_id"],
        detected_type=raw.detected_type,
        sidecar=raw.sidecar,
        folder_year=raw.folder_year,
    )


# -- decoded_reports -----------------------------------------------------------------


def decoded_frame(items: list[tuple[IngestedFile, DecodedDocument]], year: int) -> pd.DataFrame:
    rows = []
    for ingested, doc in items:
        flags = doc.flags
        rows.append(
            {
                "report_id": ingested.report_id,
                "report_year": year,
                "source_sha256": ingested.sha256,
                "bytes": ingested.size,
                "year_source": ingested.year_source,
                "sidecar": json.dumps(ingested.sidecar, ensure_ascii=False),
                **_document_columns(doc),
                "n_tables": len(doc.tables),
                "pinyin_removed": int(flags.get("pinyin_removed", 0) or 0),
                "chrome_removed_chars": int(flags.get("chrome_removed_chars", 0) or 0),
                "needs_ocr": bool(flags.get("needs_ocr", False)),
                "mojibake": flags.get("mojibake"),
                "steps": json.dumps(flags.get("steps", []), ensure_ascii=False),
            }
        )
    return _frame(rows, DECODED_COLUMNS)


DECODED_COLUMNS = [
    "report_id",
    "report_year",
    "source_uri",
    "source_sha256",
    "bytes",
    "year_source",
    "sidecar",
    "source_format",
    "detected_encoding",
    "original_script",
    "text",
    "original_text",
    "tables",
    "n_tables",
    "pinyin_removed",
    "chrome_removed_chars",
    "needs_ocr",
    "mojibake",
    "steps",
]


def decoded_from_row(row: dict[str, Any]) -> DecodedDocument:
    flags = {
        "pinyin_removed": row["pinyin_removed"],
        "chrome_removed_chars": row["chrome_removed_chars"],
        "needs_ocr": row["needs_ocr"],
        "mojibake": row["mojibake"],
        "steps": json.loads(row["steps"]),
    }
    return DecodedDocument(
        source_uri=row["source_uri"],
        source_format=row["source_format"],
        detected_encoding=row["detected_encoding"],
        original_script=row["original_script"],
        text=row["text"],
        # absent when the reader skipped them (the facts stage: io_manager.FrameSelection)
        original_text=row.get("original_text", ""),
        tables=[model.Grid.from_dict(g) for g in json.loads(row.get("tables", "[]"))],
        flags=flags,
    )


# -- sectioned_reports ---------------------------------------------------------------

SECTIONED_REPORT_COLUMNS = [
    "report_id",
    "report_year",
    "title",
    "agency_name",
    "agency_level",
    "detected_year",
    "year_source",
    "publish_date",
    "index_no",
    "doc_no",
    "template_version",
    "layout_version",
    "status",
    "issues",
    "n_sections",
    "n_narrative",
    "payload",
]
SECTION_COLUMNS = ["report_id", "report_year", "section_key", "heading", "ordinal", "char_start", "char_end", "text"]


def sectioned_frames(items: list[tuple[str, SectionedReport]], year: int) -> dict[str, pd.DataFrame]:
    reports, sections = [], []
    for report_id, rep in items:
        md = rep.metadata
        reports.append(
            {
                "report_id": report_id,
                "report_year": year,
                "title": md.title,
                "agency_name": md.agency_name,
                "agency_level": md.agency_level,
                "detected_year": md.report_year,
                "year_source": md.year_source,
                "publish_date": md.publish_date.isoformat() if md.publish_date else None,
                "index_no": md.index_no,
                "doc_no": md.doc_no,
                "template_version": rep.template_version,
                "layout_version": rep.layout_version,
                "status": rep.status,
                "issues": json.dumps(rep.issues, ensure_ascii=False),
                "n_sections": len(rep.sections),
                "n_narrative": len(rep.narrative),
                "payload": to_json(rep),
            }
        )
        for s in rep.sections:
            sections.append({**s.record(report_id), "report_year": year})
    return {
        "reports": _frame(reports, SECTIONED_REPORT_COLUMNS),
        "sections": _frame(sections, SECTION_COLUMNS),
    }


# -- extracted_tables ----------------------------------------------------------------

CELL_COLUMNS = [
    "report_id",
    "report_year",
    "table_id",
    "row_key",
    "col_key",
    "value",
    "cell_state",
    "raw_text",
    "source",
    "position",
    "inferred",
    "note",
    "confidence",
]
TABLE_REPORT_COLUMNS = [
    "report_id",
    "report_year",
    "layout_version",
    "has_t2",
    "has_t3",
    "has_t4",
    "missing",
    "warnings",
    "ambiguous",
    "n_legacy",
    "payload",
]


def tables_frames(items: list[tuple[str, TableExtraction]], year: int) -> dict[str, pd.DataFrame]:
    cells, reports = [], []
    for report_id, ext in items:
        for c in ext.cells:
            cells.append({"report_id": report_id, "report_year": year, **model.to_plain(c)})
        reports.append(
            {
                "report_id": report_id,
                "report_year": year,
                "layout_version": ext.layout_version,
                "has_t2": ext.has_table("t2"),
                "has_t3": ext.has_table("t3"),
                "has_t4": ext.has_table("t4"),
                "missing": json.dumps([model.to_plain(m) for m in ext.missing], ensure_ascii=False),
                "warnings": json.dumps(ext.warnings, ensure_ascii=False),
                "ambiguous": json.dumps(ext.ambiguous, ensure_ascii=False),
                "n_legacy": len(ext.legacy),
                "payload": to_json(ext),
            }
        )
    cells_frame = _frame(cells, CELL_COLUMNS)
    cells_frame["value"] = cells_frame["value"].astype("float64")
    return {"cells": cells_frame, "reports": _frame(reports, TABLE_REPORT_COLUMNS)}


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# -- all stages of a year → ReportBundles (the facts stage's input) -------------------


def bundles_from_frames(
    raw: dict[str, pd.DataFrame],
    decoded: dict[str, pd.DataFrame],
    sectioned: dict[str, pd.DataFrame],
    tables: dict[str, pd.DataFrame],
    year: int,
) -> list[model.ReportBundle]:
    """Join one year's stage partitions by report_id. Reports missing from a later stage
    (a stage skipped them) are left out here and counted by the caller."""
    raw_by_id = {r["report_id"]: r for r in raw["files"].to_dict("records")}
    sec_by_id = {r["report_id"]: r["payload"] for r in sectioned["reports"].to_dict("records")}
    tab_by_id = {r["report_id"]: r["payload"] for r in tables["reports"].to_dict("records")}
    bundles = []
    for row in decoded["reports"].to_dict("records"):
        rid = row["report_id"]
        if rid not in sec_by_id or rid not in tab_by_id or rid not in raw_by_id:
            continue
        raw_file = raw_file_from_row(raw_by_id[rid])
        bundles.append(
            model.ReportBundle(
                report_id=rid,
                report_year=year,
                raw=raw_file,
                decoded=decoded_from_row(row),
                sectioned=from_json(SectionedReport, sec_by_id[rid]),
                tables=from_json(TableExtraction, tab_by_id[rid]),
            )
        )
    return bundles
