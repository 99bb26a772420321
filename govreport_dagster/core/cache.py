"""Per-file result cache keyed by content hash and parser version.

Year assignment and every per-document stage are pure functions of a file's bytes, so a
re-run of a year (the catch-up schedule, a sensor tick) reuses the work for files whose
sha256 did not change. Entries live under `<root>/<stage>/<sha256[:2]>/<sha256>.pkl`; a
parser-version change invalidates them all. A broken entry is treated as a miss.
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from upath import UPath

from .model import PARSER_VERSION

T = TypeVar("T")


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
        return self.root / PARSER_VERSION / stage / key[:2] / f"{key}.pkl"

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

    def _store(self, path: UPath, value: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.rename(path)  # readers never see half a pickle

    def summary(self) -> dict[str, dict[str, int]]:
        return {stage: {"hits": s.hits, "misses": s.misses} for stage, s in self.stats.items()}
