"""Landing zone: find every raw file, read it safely, and say what it is.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from upath import UPath

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
_YEAR_DIR_RE = re.compile(r"^(19|20)\d\d$")
SIDECAR_SUFFIX = ".json"


class LandingZoneMissing(Exception):
    """The configured landing zone does not exist: nothing can run."""


@dataclass(frozen=True)
class LandingEntry:
    """A file found in the landing zone, before anything is decided about it."""

    source_uri: str  # path/URL as seen in the landing zone, ending in the file name
    relative_path: str  # path below the landing root, '/'-separated
    size: int
    mtime: float | None
    folder_year: int | None  # from the nearest YYYY/ folder below the root
    problem: str | None = None  # a reason to reject before reading (symlink escape, size …)
    sidecar: dict[str, Any] = field(default_factory=dict)
    sidecar_problem: str | None = None


def open_root(root: str | os.PathLike[str]) -> UPath:
    """The landing root as a UPath; raises LandingZoneMissing with the reason if absent."""
    path = UPath(root)
    if not path.exists():
        raise LandingZoneMissing(f"landing zone {root!s} does not exist")
    if not path.is_dir():
        raise LandingZoneMissing(f"landing zone {root!s} is not a folder")
    return path


def _folder_year(relative_parts: tuple[str, ...]) -> int | None:
    for part in reversed(relative_parts[:-1]):
        if _YEAR_DIR_RE.match(part):
            return int(part)
    return None


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
                folder_year=_folder_year(parts),
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
    if not isinstance(data, dict):
        return {}, f"sidecar {path.name} ignored: not a JSON object"
    keep = {k: data[k] for k in ("source_url", "agency", "report_year", "title") if k in data}
    if "report_year" in keep:
        try:
            keep["report_year"] = int(keep["report_year"])
        except (TypeError, ValueError):
            return {k: v for k, v in keep.items() if k != "report_year"}, (
                f"sidecar {path.name}: report_year {data['report_year']!r} is not a year"
            )
    return keep, None


def read_bytes(entry: LandingEntry) -> bytes:
    return UPath(entry.source_uri).read_bytes()


_SAFE_REF_RE = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!.*(?:^|/)\.\.(?:/|$))[^?#\\]+")


def sibling_reader(source_uri: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES):
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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
