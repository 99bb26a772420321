"""Stage 0: from landing-zone files to the ingest ledger and the per-year report list.

Every file seen gets exactly one ledger row with a status and a readable reason:

- ``parsed``: decoded, a report year known, first copy of its content;
- ``duplicate``: same bytes (sha256) or the same normalised text as an earlier file;
- ``rejected``: unusable (symlink escape, empty, too large, unsupported or broken format,
  scanned PDF without text layer …), with the reason;
- ``year_unknown``: decoded, but no year in the sidecar, a YYYY/ folder or the document;
- ``removed``: in the previous ledger but gone from the landing zone (the next run of its
  year drops its rows).

The pipeline's own accounting identity: files in the landing zone = non-removed ledger rows.
Year assignment happens once per file content (the decode + year detection is cached by
sha256), never from the current date.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .cache import MISSING, ResultCache
from .calendar import year_out_of_range
from .landing import LandingEntry, read_bytes, sha256_hex
from .model import DecodedDocument, RawFile, RejectedInput, make_report_id

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


def identify(data: bytes, source_uri: str, cache: ResultCache) -> tuple[Identification, DecodedDocument | None]:
    """Detect the type, decode, and read the report year from the document itself."""
    from .decode import decode_file, detect_type
    from .landing import sibling_reader
    from .metadata import detect_report_year

    sha = sha256_hex(data)
    name = source_uri.rsplit("/", 1)[-1]
    detected = detect_type(data, name)

    def _decode() -> DecodedDocument | RejectedInput:
        try:
            # an HTML page's <img> tables may be files beside it (read for OCR)
            return decode_file(data, source_uri, detected, resources=sibling_reader(source_uri))
        except RejectedInput as exc:
            return exc
        except Exception as exc:  # a decoder bug must not lose the file: reject it, say why
            return RejectedInput(f"decoder error ({type(exc).__name__}): {exc}")

    decoded = cache.get_or_compute("decoded", sha, _decode)
    if isinstance(decoded, RejectedInput):
        return Identification(detected, decoded.reason, None, None, None), None
    if decoded.flags.get("needs_ocr"):
        return Identification(detected, "scanned document without a text layer: needs OCR", None, None, None), decoded
    if not decoded.text.strip():
        return Identification(detected, "no text after decoding", None, None, None), decoded
    found = detect_report_year(decoded.text)
    year, source = found if found else (None, None)
    return Identification(detected, None, make_report_id(decoded.text), year, source), decoded


# A file whose mtime is this recent is not memoised: on a filesystem (or object store) with
# coarse timestamps, a rewrite within the same tick would keep size and mtime unchanged.
# Only files that have been still for a while get a memo entry (git's "racily clean" rule).
_MEMO_SETTLE_SECONDS = 2.0


def _memo_key(entry: LandingEntry) -> str | None:
    if entry.mtime is None:
        return None  # nothing to tell an unchanged file from a rewritten one: always read
    stamp = f"{entry.source_uri}\n{entry.size}\n{entry.mtime!r}"
    return hashlib.sha256(stamp.encode("utf-8")).hexdigest()


def content_sha(entry: LandingEntry, cache: ResultCache) -> tuple[str, bytes | None]:
    """The file's sha256 and, when the file had to be read for it, its bytes.

    Every yearly run re-ledgers the whole landing zone, so the hash is memoised by
    (source_uri, size, mtime): an unchanged file is not read again (bytes None); a new size
    or mtime, or no mtime at all, means read and hash. Blind spot, the same trade-off as the
    landing sensor's cursor: a file rewritten with identical size *and* mtime keeps its old
    hash. Fresh files (mtime within _MEMO_SETTLE_SECONDS) are never memoised, so coarse
    timestamps alone cannot cause it. The memo lives in the ResultCache, so a code change
    (new fingerprint) also clears it. Raises OSError when the file cannot be read.
    """
    key = _memo_key(entry)
    if key is not None:
        known = cache.get("content_sha", key)
        if isinstance(known, str):
            return known, None
    data = read_bytes(entry)
    sha = sha256_hex(data)
    _remember(entry, cache, sha)
    return sha, data


def _remember(entry: LandingEntry, cache: ResultCache, sha: str) -> None:
    key = _memo_key(entry)
    if key is not None and entry.mtime is not None and time.time() - entry.mtime > _MEMO_SETTLE_SECONDS:
        cache.put("content_sha", key, sha)


def build_ledger(
    entries: Iterable[LandingEntry],
    cache: ResultCache,
    *,
    previous_uris: Iterable[str] = (),
    progress: Callable[[int, str], None] | None = None,
) -> list[IngestedFile]:
    """Decide the status of every landing file. Deterministic: entries in path order, the
    first copy of a content wins."""
    rows: list[IngestedFile] = []
    seen_sha: dict[str, str] = {}
    seen_report: dict[str, str] = {}
    present: set[str] = set()
    for index, entry in enumerate(entries):
        present.add(entry.source_uri)
        if progress:
            progress(index, entry.relative_path)
        rows.append(_ledger_row(entry, cache, seen_sha, seen_report))
    for uri in sorted(set(previous_uris) - present):
        rows.append(IngestedFile(uri, None, 0, "removed", "no longer in the landing zone; its rows are dropped"))
    return rows


def _ledger_row(
    entry: LandingEntry, cache: ResultCache, seen_sha: dict[str, str], seen_report: dict[str, str]
) -> IngestedFile:
    base = {
        "source_uri": entry.source_uri,
        "size": entry.size,
        "sidecar": entry.sidecar,
        "folder_year": entry.folder_year,
    }
    if entry.problem:
        return IngestedFile(sha256=None, status="rejected", reason=entry.problem, **base)
    try:
        sha, data = content_sha(entry, cache)
        ident = None
        if data is None and sha not in seen_sha:
            # Hash from the memo. Usually the identification is cached too; if not, the
            # bytes are needed anyway, and they are checked against the memo on the way
            # (a rewritten file is then judged by what it holds now).
            ident = cache.get("identify", sha)
            if ident is MISSING:
                ident, data = None, read_bytes(entry)
                if (actual := sha256_hex(data)) != sha:
                    sha = actual
                    _remember(entry, cache, sha)
    except OSError as exc:
        return IngestedFile(sha256=None, status="rejected", reason=f"unreadable: {exc}", **base)
    if sha in seen_sha:
        return IngestedFile(sha256=sha, status="duplicate", reason=f"same bytes as {seen_sha[sha]}", **base)
    seen_sha[sha] = entry.source_uri
    if ident is None:
        assert data is not None  # read above whenever the identification was not cached
        ident = cache.get_or_compute("identify", sha, lambda: identify(data, entry.source_uri, cache)[0])
    common = dict(sha256=sha, detected_type=ident.detected_type, **base)
    if ident.rejection:
        return IngestedFile(status="rejected", reason=ident.rejection, **common)

    year, source, notes = _assign_year(entry, ident)
    if entry.sidecar_problem:
        notes.append(entry.sidecar_problem)
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
            }
            for r in rows
        ],
        columns=LEDGER_COLUMNS,
    )
    frame["bytes"] = frame["bytes"].astype("Int64")
    frame["report_year"] = frame["report_year"].astype("Int64")
    return frame


def files_for_year(rows: Iterable[IngestedFile], year: int) -> list[IngestedFile]:
    return [r for r in rows if r.status == "parsed" and r.report_year == year]


def year_of(entry: LandingEntry, cache: ResultCache) -> int | None:
    """The report year a landing file belongs to (sidecar, folder, document), or None.

    The landing sensor uses this to run exactly the years a new file affects; the
    identification is cached by content hash, so the run that follows reuses it.
    """
    if entry.problem:
        return None
    given = entry.sidecar.get("report_year") or entry.folder_year  # no need to read the file
    if given is None:
        try:
            data = read_bytes(entry)
        except OSError:
            return None
        ident = cache.get_or_compute("identify", sha256_hex(data), lambda: identify(data, entry.source_uri, cache)[0])
        given = ident.document_year if ident.rejection is None else None
    return None if given is None or year_out_of_range(int(given)) else int(given)
