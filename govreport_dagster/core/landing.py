"""Landing-zone vocabulary that needs no storage: what a found file is, which YYYY/ folder
holds it, what its sidecar says. Scanning and reading live in `govreport_dagster.storage.landing`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

_YEAR_DIR_RE = re.compile(r"^(19|20)\d\d$")
SIDECAR_SUFFIX = ".json"


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
    # Where to read it when that differs from source_uri (a name that is not UTF-8: the real
    # name with surrogate escapes); not stored in frames, the scan that made it reads it.
    location: str | None = None


def folder_year(relative_parts: tuple[str, ...]) -> int | None:
    """The year of the nearest YYYY/ folder above a file (its own name excluded)."""
    for part in reversed(relative_parts[:-1]):
        if _YEAR_DIR_RE.match(part):
            return int(part)
    return None


def parse_sidecar(data: object, name: str) -> tuple[dict[str, Any], str | None]:
    """The validated fields kept from a parsed sidecar JSON, and a problem to note (or None)."""
    from .sidecar import sidecar_fields

    return sidecar_fields(data, text_name(name))


def text_name(name: str) -> str:
    """A file name as text Parquet and consoles can hold: the bytes of a name that is not
    UTF-8 (surrogate escapes from os.fsdecode) shown as %XX, everything else unchanged.
    The real name is kept for reading (LandingEntry.location)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogateescape")
        return "".join(chunk if isinstance(chunk, str) else f"%{chunk:02X}" for chunk in _utf8_chunks(raw))


def name_bytes(location: str | None) -> bytes | None:
    """A real file name as stored beside its text name: it differs from that one only when it
    is not UTF-8 (surrogate escapes, which Arrow text cannot hold), so it is kept as bytes."""
    return None if location is None else location.encode("utf-8", "surrogateescape")


def name_from_bytes(stored: object) -> str | None:
    """`name_bytes` read back (None, or a missing value of a stored frame, is no name)."""
    return bytes(stored).decode("utf-8", "surrogateescape") if isinstance(stored, bytes | bytearray) else None


def _utf8_chunks(raw: bytes) -> list[str | int]:
    """Valid UTF-8 runs as text, each undecodable byte as its int value."""
    out: list[str | int] = []
    while raw:
        try:
            out.append(raw.decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            out.append(raw[: exc.start].decode("utf-8"))
            out.append(raw[exc.start])
            raw = raw[exc.start + 1 :]
    return out


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
