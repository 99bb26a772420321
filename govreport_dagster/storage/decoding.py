"""Decode every distinct landing content once, by content hash (what `decoded_documents` calls).

The decode itself is the core's pure `decode_content(bytes, name)`; this module supplies the
bytes and keeps each outcome in the ResultCache under its sha256, so a re-run (every yearly
run rescans the landing zone) decodes only new or changed contents, and the landing sensor's
`year_of` and the next run share one decode.

An HTML page whose decode read files beside it (``<img src>`` tables, read by OCR) is keyed by
its own hash *and* those files' hashes: the decode records which sibling files it read
(`flags["sibling_files"]`, name → sha256), the refs are remembered per page hash, and the
next run looks the decode up under the page hash plus the siblings' current hashes, so a
changed image is read again although the page is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..core.calendar import year_out_of_range
from ..core.ingest import UNREADABLE, DecodeOutcome, decode_content, identify
from ..core.landing import LandingEntry, sha256_hex
from .cache import MISSING, ResultCache
from .landing import DEFAULT_MAX_FILE_BYTES, content_sha, read_bytes, read_capped, remember_sha, sibling_reader

DECODED = "decoded"  # the cache stage holding DecodeOutcome by sha256 (+ sibling files' hashes)
SIBLINGS = "decoded_siblings"  # page sha256 → {ref: sha256 | None} of the files its decode read
# (stage, [(cache key, payload)…]) → (cache key, result)…, in order: `execution.map_cached`
FanOut = Callable[[str, list[tuple[str, Any]]], Iterator[tuple[str, Any]]]


@dataclass(frozen=True)
class DecodeSource:
    """What a worker needs to decode one landing file: where to read it (`location`: the
    scan's real path or URL; `uri`: the name the ledger shows) and what the ledger hashed
    (`size`, `sha256`), so the worker can tell the file it reads is that file. `data` is set
    only when the workers cannot open the location (a `memory://` landing, private to the
    driver's process; a local folder beside a remote cluster)."""

    uri: str
    location: str
    size: int
    sha256: str
    data: bytes | None = None


def read_source(source: DecodeSource) -> bytes:
    """The file's bytes as hashed by the ledger; OSError naming why not (gone, unreadable,
    or changed since it was hashed: the ledger's hash would not describe what is decoded)."""
    if source.data is not None:
        return source.data
    try:
        cap = max(DEFAULT_MAX_FILE_BYTES, source.size)
        data = read_capped(source.location, cap, local="://" not in source.location)
    except ValueError as exc:
        raise OSError(str(exc)) from None
    if len(data) != source.size or sha256_hex(data) != source.sha256:
        was = f"{source.size} bytes, sha256 {source.sha256[:12]}…"
        raise OSError(f"changed since it was hashed ({was}; now {len(data)} bytes)")
    return data


def unreadable_outcome(source: DecodeSource, exc: OSError) -> DecodeOutcome:
    """The ledger's one-line reason for a file that could not be read back for decoding."""
    reason = f"gone since it was hashed ({exc.strerror})" if isinstance(exc, FileNotFoundError) else str(exc)
    return DecodeOutcome(source.sha256, "unknown", None, f"{UNREADABLE} {reason}", None)


def decode_landing(
    entries: Iterable[LandingEntry],
    cache: ResultCache,
    fan_out: FanOut | None = None,
    *,
    workers_share_local_files: bool = True,
) -> tuple[dict[str, str], list[DecodeOutcome]]:
    """`decode_stream` with every outcome in a list (tests, small landings)."""
    hashes, outcomes = decode_stream(entries, cache, fan_out, workers_share_local_files=workers_share_local_files)
    return hashes, list(outcomes)


def decode_stream(
    entries: Iterable[LandingEntry],
    cache: ResultCache,
    fan_out: FanOut | None = None,
    *,
    workers_share_local_files: bool = True,
) -> tuple[dict[str, str], Iterator[DecodeOutcome]]:
    """Each readable entry's sha256 (or `unreadable: …`), and one DecodeOutcome per distinct
    content, in path order of its first file, streamed: the caller keeps what it needs of
    each, so a landing's documents are never all in memory at once (issue 12).

    Hashing (or the memo lookup) happens here, before the stream starts; every distinct
    content then goes to `fan_out(stage, [(key, DecodeSource)…])` (key: `decode_key`), which
    yields `(key, outcome)` in order, reading the cached ones from the cache and decoding the
    rest (`execution.map_cached` on all cores); without it they are decoded here, one by one,
    through the cache. The payload is the file's location and hash: workers read the file
    (bytes only for a `memory://` landing, or a local one when `workers_share_local_files`
    is False)."""
    hashes: dict[str, str] = {}
    items: list[tuple[str, DecodeSource]] = []  # every distinct content, in first-seen order
    cached: set[str] = set()  # decode keys already in the cache (no sibling bookkeeping again)
    seen: set[str] = set()
    for entry in entries:
        if entry.problem:
            continue
        try:
            sha, data = _hash(entry, cache)
        except OSError as exc:
            hashes[entry.source_uri] = f"{UNREADABLE} {exc}"
            continue
        hashes[entry.source_uri] = sha
        if sha in seen:
            continue
        seen.add(sha)
        key = decode_key(sha, entry.source_uri, cache)
        if data is None:  # `_hash` reads the bytes only when the decode is not cached
            cached.add(key)
        size = len(data) if data is not None else entry.size
        location = entry.location or entry.source_uri
        inline = location.startswith("memory://") or (not workers_share_local_files and "://" not in location)
        items.append((key, DecodeSource(entry.source_uri, location, size, sha, data if inline else None)))
        del data  # the workers read the file themselves: the driver keeps no document's bytes
    return hashes, _outcomes(items, cached, cache, fan_out)


def _outcomes(
    items: list[tuple[str, DecodeSource]], cached: set[str], cache: ResultCache, fan_out: FanOut | None
) -> Iterator[DecodeOutcome]:
    if fan_out is None:
        decoded = ((key, _decode_here(key, source, cache)) for key, source in items)
    else:
        decoded = fan_out(DECODED, items)
    for key, outcome in decoded:
        if key not in cached:
            remember_siblings(outcome, cache)
        yield outcome


def _decode_here(key: str, source: DecodeSource, cache: ResultCache) -> DecodeOutcome:
    """One decode in this process, through the cache (a read failure is reported, never kept)."""
    cached = cache.get(DECODED, key)
    if cached is not MISSING:
        return cached
    try:
        data = read_source(source)
    except OSError as exc:
        return unreadable_outcome(source, exc)
    outcome = decode_payload(data, source.uri)
    cache.put(DECODED, key, outcome)
    return outcome


def _hash(entry: LandingEntry, cache: ResultCache) -> tuple[str, bytes | None]:
    """The entry's sha256, and its bytes unless its decode is already cached."""
    sha, data = content_sha(entry, cache)
    if data is None and not cache.has(DECODED, decode_key(sha, entry.source_uri, cache)):
        # Hash from the memo but the decode is not cached: the bytes are needed anyway, and
        # they are checked against the memo on the way (a rewritten file is then judged by
        # what it holds now).
        data = read_bytes(entry)
        if (actual := sha256_hex(data)) != sha:
            sha = actual
            remember_sha(entry, cache, sha)
    return sha, data


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
    return decode_payload(data, entry.source_uri)


def decode_payload(data: bytes, uri: str) -> DecodeOutcome:
    """Decode with the page's folder readable (an HTML page's <img> tables beside it, for OCR);
    the files read are recorded in the document's `flags["sibling_files"]` (name → sha256,
    None when absent) for `decode_key`."""
    read = sibling_reader(uri)
    seen: dict[str, str | None] = {}

    def recording(ref: str) -> bytes | None:
        found = read(ref)
        seen[ref] = sha256_hex(found) if found is not None else None
        return found

    outcome = decode_content(data, uri, recording)
    if seen and outcome.document is not None:
        outcome.document.flags["sibling_files"] = dict(sorted(seen.items()))
    return outcome


def _siblings_digest(siblings: dict[str, str | None]) -> str:
    return sha256_hex("\n".join(f"{ref}\t{sha or '-'}" for ref, sha in sorted(siblings.items())).encode())


def decode_key(sha: str, uri: str, cache: ResultCache) -> str:
    """The decode cache key of a content at `uri`: its sha256, and for a page whose decode
    read sibling files, the digest of those files as they are now (read and hashed: the
    images of one page, a few hundred KB)."""
    refs = cache.get(SIBLINGS, sha)
    if refs is MISSING or not refs:
        return sha
    read = sibling_reader(uri)
    current = {ref: (sha256_hex(b) if (b := read(ref)) is not None else None) for ref in refs}
    return f"{sha}+{_siblings_digest(current)[:32]}"


def remember_siblings(outcome: DecodeOutcome, cache: ResultCache) -> None:
    """After a decode: which sibling files it read, and the outcome under the key those files
    give (so the next run with the same files finds it)."""
    siblings = outcome.document.flags.get("sibling_files") if outcome.document is not None else None
    if siblings:
        cache.put(SIBLINGS, outcome.sha256, siblings)
        cache.put(DECODED, f"{outcome.sha256}+{_siblings_digest(siblings)[:32]}", outcome)
