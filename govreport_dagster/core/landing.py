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


def folder_year(relative_parts: tuple[str, ...]) -> int | None:
    """The year of the nearest YYYY/ folder above a file (its own name excluded)."""
    for part in reversed(relative_parts[:-1]):
        if _YEAR_DIR_RE.match(part):
            return int(part)
    return None


def parse_sidecar(data: object, name: str) -> tuple[dict[str, Any], str | None]:
    """The fields kept from a parsed sidecar JSON, and a problem to note (or None)."""
    if not isinstance(data, dict):
        return {}, f"sidecar {name} ignored: not a JSON object"
    keep = {k: data[k] for k in ("source_url", "agency", "report_year", "title") if k in data}
    if "report_year" in keep:
        try:
            keep["report_year"] = int(keep["report_year"])
        except (TypeError, ValueError):
            return {k: v for k, v in keep.items() if k != "report_year"}, (
                f"sidecar {name}: report_year {data['report_year']!r} is not a year"
            )
    return keep, None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
