"""Stage 0 (pure): decode one landing content, identify it, and decide every file's status.

`decode_content(data, name)` turns the bytes of one distinct content into a `DecodeOutcome`
(the document or the reason it is unusable); `identify(outcome)` reads what the content says
about itself (report id, report year from the title or 统计期限 sentence). `build_ledger`
then decides, from the scan entries, their content hashes and those identifications, every
file's ledger row:

- ``parsed``: decoded, a report year known, first copy of its content;
- ``duplicate``: same bytes (sha256) or the same normalised text as an earlier file;
- ``rejected``: unusable (symlink escape, empty, too large, unsupported or broken format,
  scanned PDF without text layer …), with the reason;
- ``year_unknown``: decoded, but no year in the sidecar, a YYYY/ folder or the document;
- ``removed``: in the previous ledger but gone from the landing zone (the next run of its
  year drops its rows).

The pipeline's own accounting identity: files in the landing zone = non-removed ledger rows.
Decoding must precede year assignment (the year may come from the document) and duplicate
detection (same normalised text), so it happens before the ledger, in the
`decoded_documents` asset; nothing here reads files or caches (that is
`govreport_dagster.storage`), and the year never comes from the current date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from .calendar import year_out_of_range
from .landing import LandingEntry, sha256_hex
from .model import DecodedDocument, RawFile, RejectedInput, make_report_id

if TYPE_CHECKING:
    from .decode.ocr.embedded import Resources

# A hash entry starting with this is the reason the file could not be read.
UNREADABLE = "unreadable:"

LEDGER_COLUMNS = [
    "source_uri",
    "source_sha256",
    "bytes",
    "report_year",
    "status",
    "reason",
    "report_id",
    "detected_type",
    "year_source",
    "decode_seconds",  # contract extension: the file's decode time (cached decodes keep theirs)
]


@dataclass
class IngestedFile:
    """A ledger row plus what later stages need for parsed files."""

    source_uri: str
    sha256: str | None
    size: int
    status: str
    reason: str
    report_year: int | None = None
    year_source: str | None = None
    report_id: str | None = None
    detected_type: str | None = None
    sidecar: dict[str, Any] = field(default_factory=dict)
    folder_year: int | None = None
    decode_seconds: float | None = None

    def raw_file(self) -> RawFile:
        assert self.sha256 is not None and self.detected_type is not None
        return RawFile(self.source_uri, self.size, self.sha256, self.detected_type, self.sidecar, self.folder_year)


@dataclass(frozen=True)
class Identification:
    """What a file's content says about itself (cached per sha256)."""

    detected_type: str
    rejection: str | None
    report_id: str | None
    document_year: int | None
    document_year_source: str | None
    decode_seconds: float | None = None
    notes: tuple[str, ...] = ()  # what was left out of a usable document (a refused image), for the ledger


@dataclass(frozen=True)
class DecodeOutcome:
    """What decoding one distinct content gave: the document, or the reason it is unusable."""

    sha256: str
    detected_type: str
    document: DecodedDocument | None
    rejection: str | None
    seconds: float | None = None  # the decode's wall time, measured by the guard that ran it


def decode_content(data: bytes, name: str, resources: Resources | None = None) -> DecodeOutcome:
    """Sniff the real type and decode. Never raises: an unusable file or a decoder bug becomes
    a rejection with its reason, so one bad file cannot stop the run. `resources` reads the
    files a page refers to (``<img>`` tables beside an HTML page, for OCR)."""
    from .decode import decode_file, detect_type

    detected = detect_type(data, name)
    try:
        document = decode_file(data, name, detected, resources=resources)
    except RejectedInput as exc:
        return DecodeOutcome(sha256_hex(data), detected, None, exc.reason)
    except Exception as exc:  # a decoder bug must not lose the file: reject it, say why
        return DecodeOutcome(sha256_hex(data), detected, None, f"decoder error ({type(exc).__name__}): {exc}")
    return DecodeOutcome(sha256_hex(data), detected, document, None)


def identify(outcome: DecodeOutcome) -> Identification:
    """What a decoded content says about itself: its report id and the year in its text."""
    from .decode.ocr.embedded import IMAGE_NOT_READ
    from .metadata import detect_report_year

    detected, doc, took = outcome.detected_type, outcome.document, outcome.seconds
    if doc is None:
        return Identification(detected, outcome.rejection, None, None, None, took)
    if doc.flags.get("needs_ocr"):
        reason = doc.flags.get("ocr_reason") or "scanned document without a text layer: needs OCR"
        return Identification(detected, reason, None, None, None, took)
    if not doc.text.strip():
        return Identification(detected, "no text after decoding", None, None, None, took)
    found = detect_report_year(doc.text)
    year, source = found if found else (None, None)
    notes = tuple(step for step in doc.flags.get("steps", []) if step.startswith(IMAGE_NOT_READ))
    return Identification(detected, None, make_report_id(doc.text), year, source, took, notes)


def build_ledger(
    entries: Iterable[LandingEntry],
    hashes: Mapping[str, str],
    identifications: Mapping[str, Identification],
    *,
    previous_uris: Iterable[str] = (),
) -> list[IngestedFile]:
    """Decide the status of every landing file. Deterministic: entries in path order, the
    first copy of a content wins.

    `hashes` maps each entry's source_uri to its sha256, or to `unreadable: <why>` when the
    file could not be read (one column in the scan frame, so the reason survives storage);
    `identifications` maps a sha256 to what its content says about itself.
    """
    rows: list[IngestedFile] = []
    seen_sha: dict[str, str] = {}
    seen_report: dict[str, str] = {}
    present: set[str] = set()
    for entry in entries:
        present.add(entry.source_uri)
        rows.append(_ledger_row(entry, hashes, identifications, seen_sha, seen_report))
    for uri in sorted(set(previous_uris) - present):
        rows.append(IngestedFile(uri, None, 0, "removed", "no longer in the landing zone; its rows are dropped"))
    return rows


def _ledger_row(
    entry: LandingEntry,
    hashes: Mapping[str, str],
    identifications: Mapping[str, Identification],
    seen_sha: dict[str, str],
    seen_report: dict[str, str],
) -> IngestedFile:
    base = {
        "source_uri": entry.source_uri,
        "size": entry.size,
        "sidecar": entry.sidecar,
        "folder_year": entry.folder_year,
    }
    if entry.problem:
        return IngestedFile(sha256=None, status="rejected", reason=entry.problem, **base)
    sha = hashes.get(entry.source_uri)
    if sha is None or sha.startswith(UNREADABLE):
        return IngestedFile(sha256=None, status="rejected", reason=sha or f"{UNREADABLE} not hashed", **base)
    if sha in seen_sha:
        return IngestedFile(sha256=sha, status="duplicate", reason=f"same bytes as {seen_sha[sha]}", **base)
    seen_sha[sha] = entry.source_uri
    ident = identifications[sha]
    common = dict(sha256=sha, detected_type=ident.detected_type, decode_seconds=ident.decode_seconds, **base)
    if ident.rejection:
        return IngestedFile(status="rejected", reason=ident.rejection, **common)

    year, source, notes = _assign_year(entry, ident)
    if entry.sidecar_problem:
        notes.append(entry.sidecar_problem)
    notes.extend(ident.notes)
    if ident.report_id in seen_report:
        notes.insert(0, f"same text as {seen_report[ident.report_id]}")
        return IngestedFile(
            status="duplicate",
            reason="; ".join(notes),
            report_id=ident.report_id,
            report_year=year,
            year_source=source,
            **common,
        )
    if year is None:
        if not notes:
            notes.append("no report year in a sidecar, a YYYY/ folder or the document (title, 统计期限)")
        return IngestedFile(status="year_unknown", reason="; ".join(notes), report_id=ident.report_id, **common)
    seen_report[ident.report_id or sha] = entry.source_uri
    return IngestedFile(
        status="parsed",
        reason="; ".join(notes) or "ok",
        report_year=year,
        year_source=source,
        report_id=ident.report_id,
        **common,
    )


def _assign_year(entry: LandingEntry, ident: Identification) -> tuple[int | None, str | None, list[str]]:
    """Sidecar, then YYYY/ folder, then the document. A disagreement is kept as a note."""
    notes: list[str] = []
    candidates = [
        (entry.sidecar.get("report_year"), "sidecar"),
        (entry.folder_year, "folder"),
        (ident.document_year, ident.document_year_source),
    ]
    year, source = next(((y, s) for y, s in candidates if y is not None), (None, None))
    if year is not None and ident.document_year is not None and ident.document_year != year:
        notes.append(f"{source} says {year} but the document says {ident.document_year}")
    if year is not None and (problem := year_out_of_range(year)):
        notes.append(f"{problem} (from the {source})")
        return None, None, notes
    return year, source, notes


def ledger_frame(rows: list[IngestedFile]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "source_uri": r.source_uri,
                "source_sha256": r.sha256,
                "bytes": r.size,
                "report_year": r.report_year,
                "status": r.status,
                "reason": r.reason,
                "report_id": r.report_id,
                "detected_type": r.detected_type,
                "year_source": r.year_source,
                "decode_seconds": None if r.decode_seconds is None else round(r.decode_seconds, 3),
            }
            for r in rows
        ],
        columns=LEDGER_COLUMNS,
    )
    frame["bytes"] = frame["bytes"].astype("Int64")
    frame["report_year"] = frame["report_year"].astype("Int64")
    frame["decode_seconds"] = frame["decode_seconds"].astype("float64")
    return frame
