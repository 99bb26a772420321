"""Per-file result cache keyed by content hash and parser version.

Year assignment and every per-document stage are pure functions of a file's bytes, so a
re-run of a year (the catch-up schedule, a sensor tick) reuses the work for files whose
sha256 did not change. Entries live under
`<root>/<code fingerprint>/<stage>/<sha256[:2]>/<sha256>.pkl`. The fingerprint hashes the
parser version, the template declaration and the source of every core module the cached
stages import (decoding, identification, sectioning/metadata/narrative, tables, templates,
model — found by following their imports, so a new helper module is covered by itself), so
any change to how a file is read (a fixed extractor, a new label variant) invalidates every
entry by itself — nobody has to remember to bump a version — while editing chart colours,
the benchmark, the GX layer or storage keeps the cache warm. A broken entry is a miss.
"""

from __future__ import annotations

import ast
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

from ..core.model import PARSER_VERSION

T = TypeVar("T")
MISSING: Any = object()  # what get() returns on a miss (None can be a cached value)
_CORE = Path(__file__).resolve().parent.parent / "core"
_CORE_PACKAGE = "govreport_dagster.core"
# The modules whose results are cached per file (the stages in ResultCache); everything
# they import from the core decides those results too.
CACHED_STAGE_MODULES = (
    "govreport_dagster.core.ingest",
    "govreport_dagster.core.decode",
    "govreport_dagster.core.sectioning",
    "govreport_dagster.core.tables",
)


def _module_file(module: str) -> Path | None:
    parts = module.split(".")[2:]  # below govreport_dagster/core
    if not parts:
        return None  # the core package itself holds no code
    rel = Path(*parts)
    for candidate in (_CORE / rel / "__init__.py", _CORE / rel.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(module: str, path: Path) -> set[str]:
    """Absolute names a module imports anywhere (also inside functions: lazy imports count),
    relative imports resolved; `from a import b` gives both `a` and `a.b`."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.update([base, *(f"{base}.{alias.name}" for alias in node.names)])
    return found


def _imported_core_modules(module: str, path: Path) -> set[str]:
    return {n for n in imported_modules(module, path) if n.startswith(_CORE_PACKAGE) and _module_file(n) is not None}


def fingerprint_files() -> list[Path]:
    """The source files that decide a cached result: the import closure of the cached stages
    within the core, plus the core's YAML declarations."""
    todo, seen = list(CACHED_STAGE_MODULES), set()
    while todo:
        module = todo.pop()
        path = _module_file(module)
        if module in seen or path is None:
            continue
        seen.add(module)
        todo.extend(_imported_core_modules(module, path) - seen)
    files = {_module_file(m) for m in seen} | set(_CORE.rglob("*.yaml"))
    return sorted(f for f in files if f is not None)


@cache
def code_fingerprint() -> str:
    """Parser version + a hash of everything in the core that decides a file's results."""
    digest = hashlib.sha256(PARSER_VERSION.encode())
    for path in fingerprint_files():
        digest.update(path.relative_to(_CORE).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{PARSER_VERSION}-{digest.hexdigest()[:12]}"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class ResultCache:
    def __init__(self, root: str | os.PathLike[str] | None, *, fingerprint: str | None = None) -> None:
        """`fingerprint`: the code fingerprint whose entries to use (default this process's;
        a worker writing for a driver is given the driver's, so both use the same folder)."""
        self.root = UPath(root) if root is not None else None
        self.fingerprint = fingerprint or code_fingerprint()
        self.stats: dict[str, CacheStats] = {}

    def _path(self, stage: str, key: str) -> UPath:
        assert self.root is not None
        return self.root / self.fingerprint / stage / key[:2] / f"{key}.pkl"

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

    def has(self, stage: str, key: str) -> bool:
        """Whether an entry exists (a stat, nothing read; not counted in the stats)."""
        return self.root is not None and self._path(stage, key).exists()

    def get(self, stage: str, key: str, *, count: bool = True) -> Any:
        """The cached value, or MISSING (counted as a hit or a miss like get_or_compute,
        unless `count` is False: reading back what a worker computed and stored)."""
        stats = self.stats.setdefault(stage, CacheStats()) if count else CacheStats()
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

    def note_miss(self, stage: str) -> None:
        """Count a miss whose value was computed elsewhere (a worker process) and `put` here."""
        self.stats.setdefault(stage, CacheStats()).misses += 1

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
