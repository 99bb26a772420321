"""Landing zone storage: find every raw file and read it safely.

The landing zone is a folder (local path or any fsspec URL) holding report files flat or
under `YYYY/` folders at any depth. A file `<name>.json` beside `<name>` is a sidecar with
optional `source_url`, `agency`, `report_year`; sidecars are metadata, not reports, and are
not ledgered on their own. Everything else found is a candidate report and ends up in the
ingest ledger, whatever happens to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from upath import UPath

from ..core.landing import SIDECAR_SUFFIX, LandingEntry, folder_year, parse_sidecar, sha256_hex
from .cache import ResultCache

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024


class LandingZoneMissing(Exception):
    """The configured landing zone does not exist: nothing can run."""


def open_root(root: str | os.PathLike[str]) -> UPath:
    """The landing root as a UPath; raises LandingZoneMissing with the reason if absent."""
    path = UPath(root)
    if not path.exists():
        raise LandingZoneMissing(f"landing zone {root!s} does not exist")
    if not path.is_dir():
        raise LandingZoneMissing(f"landing zone {root!s} is not a folder")
    return path


def is_local(path: UPath) -> bool:
    return getattr(path, "protocol", "") in ("", "file", "local")


def scan(root: str | os.PathLike[str], *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> list[LandingEntry]:
    """Every candidate report file below `root`, sorted by relative path (deterministic).

    Problems found without reading the file (a symlink leaving the root, a file over the
    size limit, an empty file, an unreadable entry) are recorded on the entry, never raised.
    """
    base = open_root(root)
    local = is_local(base)
    real_root = os.path.realpath(str(base)) if local else None
    files: dict[str, UPath] = {}
    for path in _walk(base):
        rel = path.relative_to(base).as_posix() if local else str(path)[len(str(base)) :].lstrip("/")
        files[rel] = path

    entries = []
    for rel in sorted(files):
        if rel.endswith(SIDECAR_SUFFIX) and rel[: -len(SIDECAR_SUFFIX)] in files:
            continue  # a sidecar: read with its report below
        path = files[rel]
        parts = tuple(rel.split("/"))
        problem = None
        size = 0
        mtime = None
        try:
            if local and os.path.islink(str(path)):
                target = os.path.realpath(str(path))
                if os.path.commonpath([target, real_root]) != real_root:
                    problem = f"symlink leaves the landing root (points to {target})"
            if problem is None:
                info = path.stat()
                size = int(info.st_size)
                mtime = float(getattr(info, "st_mtime", 0.0) or 0.0) or None
                if size == 0:
                    problem = "empty file (0 bytes)"
                elif size > max_file_bytes:
                    problem = f"file too large: {size} bytes exceeds the limit of {max_file_bytes} bytes"
        except OSError as exc:
            problem = f"unreadable: {exc.strerror or exc}"
        sidecar, sidecar_problem = _read_sidecar(files.get(rel + SIDECAR_SUFFIX))
        entries.append(
            LandingEntry(
                source_uri=str(path),
                relative_path=rel,
                size=size,
                mtime=mtime,
                folder_year=folder_year(parts),
                problem=problem,
                sidecar=sidecar,
                sidecar_problem=sidecar_problem,
            )
        )
    return entries


def _walk(base: UPath) -> Iterator[UPath]:
    """All files below base. Symlinked directories are not followed (they could loop or
    leave the root); symlinked files are yielded and judged by scan()."""
    if is_local(base):
        for dirpath, _dirnames, filenames in os.walk(str(base), followlinks=False):
            for name in filenames:
                yield UPath(os.path.join(dirpath, name))
        return
    for path in base.rglob("*"):
        if path.is_file():
            yield path


def _read_sidecar(path: UPath | None) -> tuple[dict[str, Any], str | None]:
    if path is None:
        return {}, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"sidecar {path.name} ignored: {exc}"
    return parse_sidecar(data, path.name)


def read_bytes(entry: LandingEntry) -> bytes:
    return UPath(entry.source_uri).read_bytes()


_SAFE_REF_RE = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!.*(?:^|/)\.\.(?:/|$))[^?#\\]+")


def sibling_reader(source_uri: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Callable[[str], bytes | None]:
    """A function reading files a document refers to relatively (``<img src="t3.png">``)
    from the document's folder: no URL schemes, absolute paths or ``..`` (nothing outside
    the landing zone, nothing from the internet); None when absent or over the size cap."""

    def read(ref: str) -> bytes | None:
        m = _SAFE_REF_RE.match(ref.strip())
        if not m:
            return None
        path = UPath(source_uri).parent / m.group(0)
        try:
            if not path.is_file() or path.stat().st_size > max_bytes:
                return None
            return path.read_bytes()
        except OSError:
            return None

    return read


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

    Every yearly run re-scans the whole landing zone, so the hash is memoised by
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
    remember_sha(entry, cache, sha)
    return sha, data


def remember_sha(entry: LandingEntry, cache: ResultCache, sha: str) -> None:
    key = _memo_key(entry)
    if key is not None and entry.mtime is not None and time.time() - entry.mtime > _MEMO_SETTLE_SECONDS:
        cache.put("content_sha", key, sha)
