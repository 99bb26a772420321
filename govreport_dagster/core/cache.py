"""Per-file result cache keyed by content hash and parser version.

Year assignment and every per-document stage are pure functions of a file's bytes, so a
re-run of a year (the catch-up schedule, a sensor tick) reuses the work for files whose
sha256 did not change. Entries live under
`<root>/<code fingerprint>/<stage>/<sha256[:2]>/<sha256>.pkl`. The fingerprint hashes the
parser version, the template declaration and the core's source, so any change to how a file
is read (a fixed extractor, a new label variant) invalidates every entry by itself — nobody
has to remember to bump a version. A broken entry is treated as a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from upath import UPath

from .model import PARSER_VERSION

T = TypeVar("T")
MISSING: Any = object()  # what get() returns on a miss (None can be a cached value)
_CORE = Path(__file__).resolve().parent


@cache
def code_fingerprint() -> str:
    """Parser version + a hash of everything in the core that decides a file's results."""
    digest = hashlib.sha256(PARSER_VERSION.encode())
    for path in sorted([*_CORE.rglob("*.py"), *_CORE.rglob("*.yaml")]):
        digest.update(path.relative_to(_CORE).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{PARSER_VERSION}-{digest.hexdigest()[:12]}"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class ResultCache:
    def __init__(self, root: str | os.PathLike[str] | None) -> None:
        self.root = UPath(root) if root is not None else None
        self.stats: dict[str, CacheStats] = {}

    def _path(self, stage: str, key: str) -> UPath:
        assert self.root is not None
        return self.root / code_fingerprint() / stage / key[:2] / f"{key}.pkl"

    def get_or_compute(self, stage: str, key: str, compute: Callable[[], T]) -> T:
        stats = self.stats.setdefault(stage, CacheStats())
        if self.root is None:
            stats.misses += 1
            return compute()
        path = self._path(stage, key)
        try:
            with path.open("rb") as fh:
                value: T = pickle.load(fh)
            stats.hits += 1
            return value
        except FileNotFoundError:
            pass
        except Exception:  # a truncated or stale pickle is a miss, never an error
            pass
        stats.misses += 1
        value = compute()
        self._store(path, value)
        return value

    def get(self, stage: str, key: str) -> Any:
        """The cached value, or MISSING (counted as a hit or a miss like get_or_compute)."""
        stats = self.stats.setdefault(stage, CacheStats())
        if self.root is not None:
            try:
                with self._path(stage, key).open("rb") as fh:
                    value = pickle.load(fh)
                stats.hits += 1
                return value
            except Exception:  # absent, truncated or stale: a miss, never an error
                pass
        stats.misses += 1
        return MISSING

    def put(self, stage: str, key: str, value: Any) -> None:
        """Store a value computed outside get_or_compute (when the caller decides whether
        it may be kept)."""
        if self.root is not None:
            self._store(self._path(stage, key), value)

    def _store(self, path: UPath, value: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.rename(path)  # readers never see half a pickle

    def summary(self) -> dict[str, dict[str, int]]:
        return {stage: {"hits": s.hits, "misses": s.misses} for stage, s in self.stats.items()}
