"""Landing zone storage: find every raw file and read it safely.

The landing zone is a folder (local path or any fsspec URL) holding report files flat or
under `YYYY/` folders at any depth. A file `<name>.json` beside `<name>` is a sidecar with
optional `source_url`, `agency`, `report_year`; sidecars are metadata, not reports, and are
not ledgered on their own. Everything else found is a candidate report and ends up in the
ingest ledger, whatever happens to it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from typing import Any

from upath import UPath

from ..core.landing import SIDECAR_SUFFIX, LandingEntry, folder_year, sha256_hex, text_name
from ..core.limits import MAX_DOCUMENT_BYTES, MAX_SIDECAR_BYTES
from ..core.sidecar import parse_sidecar_bytes
from .cache import ResultCache

DEFAULT_MAX_FILE_BYTES = MAX_DOCUMENT_BYTES


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

    The landing root is a boundary: only regular files under it are read. Problems found
    without reading the file (a symlink leaving the root or looping, a FIFO/device/socket,
    a file over the size limit, an empty file, an unreadable entry) are recorded on the
    entry, never raised; such a file is never opened.
    """
    base = open_root(root)
    local = is_local(base)
    real_root = os.path.realpath(str(base)) if local else None
    files: dict[str, UPath] = {}
    for path in _walk(base):
        if local:
            rel = os.path.relpath(str(path), str(base)).replace(os.sep, "/")
        else:
            rel = str(path)[len(str(base)) :].lstrip("/")
        files[rel] = path

    entries = []
    for rel in sorted(files):
        if rel.endswith(SIDECAR_SUFFIX) and rel[: -len(SIDECAR_SUFFIX)] in files:
            continue  # a sidecar: read with its report below
        path = files[rel]
        problem, size, mtime = _inspect(path, real_root, max_file_bytes)
        sidecar, sidecar_problem = _read_sidecar(files.get(rel + SIDECAR_SUFFIX), real_root)
        shown = text_name(str(path))
        entries.append(
            LandingEntry(
                source_uri=shown,
                relative_path=text_name(rel),
                size=size,
                mtime=mtime,
                folder_year=folder_year(tuple(rel.split("/"))),
                problem=problem,
                sidecar=sidecar,
                sidecar_problem=sidecar_problem,
                location=None if shown == str(path) else str(path),
            )
        )
    return entries


def _inspect(path: UPath, real_root: str | None, max_bytes: int) -> tuple[str | None, int, float | None]:
    """(problem or None, size, mtime) of one candidate, without opening it."""
    try:
        if real_root is not None:
            problem = local_problem(str(path), real_root)
            if problem:
                return problem, 0, None
        info = path.stat()
        size = int(info.st_size)
        mtime = float(getattr(info, "st_mtime", 0.0) or 0.0) or None
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}", 0, None
    if size == 0:
        return "empty file (0 bytes)", size, mtime
    if size > max_bytes:
        return f"file too large: {size} bytes exceeds the limit of {max_bytes} bytes", size, mtime
    return None, size, mtime


_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}  # fmt: skip


def local_problem(path: str, real_root: str) -> str | None:
    """Why a local path must not be read (a symlink leaving the root or looping, not a
    regular file), or None. Uses lstat/stat only: nothing is opened."""
    if os.path.islink(path):
        try:
            target = os.path.realpath(path, strict=True)
        except (OSError, RuntimeError):
            return "symlink loop or dangling symlink: not followed"
        if os.path.commonpath([target, real_root]) != real_root:
            return "symlink leaves the landing root: not followed"
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        return f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'special file')}): not read"
    return None


def _walk(base: UPath) -> Iterator[UPath]:
    """All entries below base that are not folders. Symlinked directories are not followed
    (they could loop or leave the root) but yielded, so scan() lists them as refused;
    symlinked files, FIFOs, devices and sockets are yielded and judged by scan()."""
    if is_local(base):
        for dirpath, dirnames, filenames in os.walk(str(base), followlinks=False):
            linked_dirs = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            for name in sorted(filenames + linked_dirs):
                yield UPath(os.path.join(dirpath, name))
        return
    for path in base.rglob("*"):
        if path.is_file():
            yield path


def _read_sidecar(path: UPath | None, real_root: str | None) -> tuple[dict[str, Any], str | None]:
    if path is None:
        return {}, None
    name = text_name(path.name)
    try:
        if real_root is not None and (problem := local_problem(str(path), real_root)):
            return {}, f"sidecar {name} ignored: {problem}"
        data = read_capped(str(path), MAX_SIDECAR_BYTES, local=real_root is not None)
    except (OSError, ValueError) as exc:
        return {}, f"sidecar {name} ignored: {exc}"
    return parse_sidecar_bytes(data, name)


def read_capped(location: str, cap: int, *, local: bool) -> bytes:
    """At most `cap` bytes of a file; ValueError beyond. A local file is opened without
    blocking and checked to be a regular file on the open descriptor (a FIFO swapped in
    after the scan never blocks the run)."""
    if not local:
        with UPath(location).open("rb") as handle:
            data = handle.read(cap + 1)
    else:
        fd = os.open(location, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ValueError("not a regular file: not read")
            data = handle.read(cap + 1)
    if len(data) > cap:
        raise ValueError(f"larger than {cap} bytes")
    return data


def read_bytes(entry: LandingEntry, cap: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """The file's bytes (from its real location), never more than `cap` (OSError beyond)."""
    location = entry.location or entry.source_uri
    try:
        return read_capped(location, max(cap, entry.size), local="://" not in location)
    except ValueError as exc:
        raise OSError(str(exc)) from None


# A file whose mtime is this recent is not memoised: on a filesystem (or object store) with
# coarse timestamps, a rewrite within the same tick would keep size and mtime unchanged.
# Only files that have been still for a while get a memo entry (git's "racily clean" rule).
_MEMO_SETTLE_SECONDS = 2.0


def _memo_key(entry: LandingEntry) -> str | None:
    if entry.mtime is None:
        return None  # nothing to tell an unchanged file from a rewritten one: always read
    stamp = f"{entry.location or entry.source_uri}\n{entry.size}\n{entry.mtime!r}"
    return hashlib.sha256(stamp.encode("utf-8", "surrogateescape")).hexdigest()


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
