"""Decode every distinct landing content once, by content hash (what `decoded_documents` calls).

The decode itself is the core's pure `decode_content(bytes, name)`; this module supplies the
bytes and keeps each outcome in the ResultCache under its sha256, so a re-run (every yearly
run rescans the landing zone) decodes only new or changed contents, and the landing sensor's
`year_of` and the next run share one decode.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.calendar import year_out_of_range
from ..core.ingest import UNREADABLE, DecodeOutcome, decode_content, identify
from ..core.landing import LandingEntry, sha256_hex
from .cache import MISSING, ResultCache
from .landing import content_sha, read_bytes, remember_sha, sibling_reader

DECODED = "decoded"  # the cache stage holding DecodeOutcome by sha256


def decode_landing(entries: Iterable[LandingEntry], cache: ResultCache) -> tuple[dict[str, str], list[DecodeOutcome]]:
    """Each readable entry's sha256 (or `unreadable: …`), and one DecodeOutcome per distinct
    content, in path order of its first file."""
    hashes: dict[str, str] = {}
    outcomes: dict[str, DecodeOutcome] = {}
    for entry in entries:
        if entry.problem:
            continue
        try:
            sha, outcome = _hash_and_decode(entry, cache, outcomes)
        except OSError as exc:
            hashes[entry.source_uri] = f"{UNREADABLE} {exc}"
            continue
        hashes[entry.source_uri] = sha
        if outcome is not None:
            outcomes[sha] = outcome
    return hashes, list(outcomes.values())


def _hash_and_decode(
    entry: LandingEntry, cache: ResultCache, known: dict[str, DecodeOutcome]
) -> tuple[str, DecodeOutcome | None]:
    """The entry's sha256 and, for a content not decoded yet in this scan, its outcome."""
    sha, data = content_sha(entry, cache)
    if sha in known:
        return sha, None
    if data is None:
        # Hash from the memo. Usually the decode is cached too; if not, the bytes are needed
        # anyway, and they are checked against the memo on the way (a rewritten file is then
        # judged by what it holds now).
        cached = cache.get(DECODED, sha)
        if cached is not MISSING:
            return sha, cached
        data = read_bytes(entry)
        if (actual := sha256_hex(data)) != sha:
            sha = actual
            remember_sha(entry, cache, sha)
            if sha in known:
                return sha, None
    payload = data
    return sha, cache.get_or_compute(DECODED, sha, lambda: _decode(payload, entry))


def year_of(entry: LandingEntry, cache: ResultCache) -> int | None:
    """The report year a landing file belongs to (sidecar, folder, document), or None.

    The landing sensor uses this to run exactly the years a new file affects; the decode is
    cached by content hash, so the run that follows reuses it.
    """
    if entry.problem:
        return None
    given = entry.sidecar.get("report_year") or entry.folder_year  # no need to read the file
    if given is None:
        try:
            data = read_bytes(entry)
        except OSError:
            return None
        outcome = cache.get_or_compute(DECODED, sha256_hex(data), lambda: _decode(data, entry))
        ident = identify(outcome)
        given = ident.document_year if ident.rejection is None else None
    return None if given is None or year_out_of_range(int(given)) else int(given)


def _decode(data: bytes, entry: LandingEntry) -> DecodeOutcome:
    """Decode with the page's folder readable (an HTML page's <img> tables beside it, for OCR)."""
    return decode_content(data, entry.source_uri, sibling_reader(entry.source_uri))
