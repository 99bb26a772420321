"""Publishing one report year of every contract table as one commit (docs/atomic_publish.md).

Each publish writes a complete *version* of the year, every table, under
`<root>/_years/<YYYY>/<version>/<table>/part-0.parquet`, then makes it current in one atomic
step — the commit point. The version it replaced stays until the year's next commit (named
in `_years/<YYYY>/retired.json`): a reader that resolved the old pointer an instant before
the switch (pandas lists a folder, then opens its files) still finds every file it listed.


- **Local disk**: `_years/<YYYY>/current` is a symlink to the version, and every table's
  `<table>/report_year=<YYYY>` is a fixed relative symlink through it
  (`../_years/<YYYY>/current/<table>`). Replacing `current` (a new symlink renamed over it)
  switches all tables at once, so the contract's `<table>/*/*.parquet` glob and
  `pandas.read_parquet(<table>)` (both follow symlinks) see the whole old or the whole new
  year at every instant, a `kill -9` included.
- **Object stores** (no rename, no symlink): `_years/<YYYY>/current.json` is the pointer; one
  PUT of an object is atomic, so that write is the commit. The Hive view BI globs
  (`<table>/report_year=<YYYY>/part-0.parquet`) is then brought up to the committed version
  by server-side copies (each object replaced whole: a glob never finds two versions of a
  year), and the pointer is marked `materialised`. A writer killed during those copies
  leaves the view mixed until the next run's `recover()` rolls it forward; readers who need
  the cross-table guarantee at every instant read the files the pointer lists.

`recover()` runs at the start of every publish (and every run): it rolls an unfinished
commit forward and removes versions no pointer names whose writer is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Callable, Iterator

from upath import UPath

from .landing import is_local

PART_NAME = "part-0.parquet"
YEARS_DIR = "_years"
POINTER = "current"
RETIRED = "retired.json"  # the version the last commit replaced, removed by the next one
EMPTY_PREFIX = "empty-"
KILL_ENV = "GOVREPORT_TEST_KILL_AT"  # test hook: SIGKILL this process at a named step


def kill_point(step: str) -> None:
    """Die here, as `kill -9` would, when the test hook names this step (tests only)."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def _version_name(prefix: str = "v-") -> str:
    """Names say who wrote them, so recovery never deletes a live writer's version."""
    return f"{prefix}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _writer_gone(name: str, mtime: float | None, older_than: float) -> bool:
    parts = name.split("-")
    with contextlib.suppress(ValueError, IndexError):
        host, pid = parts[-3], int(parts[-2])
        if host == socket.gethostname():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass
            # alive (perhaps this very process, another thread): only when long untouched
            return mtime is not None and time.time() - mtime > older_than
    return mtime is None or time.time() - mtime > older_than


class YearCommit:
    """The per-year version pointer of one warehouse root."""

    def __init__(self, root: UPath, stale_after_seconds: float = 3600) -> None:
        self.root = root
        self.local = is_local(root)
        self.stale_after = stale_after_seconds

    # -- paths ----------------------------------------------------------------------
    def year_dir(self, year: int | str) -> UPath:
        return self.root / YEARS_DIR / str(year)

    def view_path(self, table: str, year: int | str) -> UPath:
        return self.root / table / f"report_year={year}"

    # -- the pointer ------------------------------------------------------------------
    def current(self, year: int | str) -> dict | None:
        """The committed version of a year: {"version", "tables", "materialised"} or None."""
        year_dir = self.year_dir(year)
        if self.local:
            link = os.path.join(year_dir.path, POINTER)
            if not os.path.islink(link):
                return None
            version = os.readlink(link)
            tables = sorted(os.listdir(os.path.join(year_dir.path, version)))
            return {"version": version, "tables": tables, "materialised": True}
        pointer = year_dir / f"{POINTER}.json"
        return json.loads(pointer.read_text()) if pointer.exists() else None

    def committed_files(self, table: str, year: int | str) -> UPath | None:
        """The committed file of one table's year (what a manifest-aware reader opens)."""
        state = self.current(year)
        if state is None or table not in state["tables"]:
            return None
        return self.year_dir(year) / state["version"] / table / PART_NAME

    # -- publishing -------------------------------------------------------------------
    def publish(self, year: int | str, write: Callable[[UPath], list[str]]) -> dict[str, UPath]:
        """`write(version_dir)` writes every table's `<table>/part-0.parquet` there and returns
        the table names; tables of the current version it did not write are carried over.
        Nothing is visible before the commit; returns each table's view path."""
        self.recover()
        year_dir = self.year_dir(year)
        new = year_dir / _version_name()
        new.mkdir(parents=True, exist_ok=True)
        try:
            tables = set(write(new))
        except BaseException:  # a schema violation, a full disk: the version never existed
            self._remove(new)
            raise
        with self._year_lock(year_dir):
            return self._commit(year, new, tables)

    @contextlib.contextmanager
    def _year_lock(self, year_dir: UPath) -> Iterator[None]:
        """Concurrent publishers of one year take turns from reading the current version to
        removing it (a local flock, released by the kernel if the holder is killed). Object
        stores have no lock: there, the last pointer written wins and the loser's version is
        swept later."""
        if not self.local:
            yield
            return
        with open(os.path.join(year_dir.path, ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _commit(self, year: int | str, new: UPath, tables: set[str]) -> dict[str, UPath]:
        year_dir = self.year_dir(year)
        if self.local:
            self._adopt_real_folders(year, tables)
        previous = self.current(year)
        for table in sorted(set(previous["tables"] if previous else ()) - tables):
            self._carry(year_dir / previous["version"] / table, new / table)
            tables.add(table)
        kill_point("publish:staged")
        if self.local:
            self._commit_local(year, new.name, sorted(tables))
        else:
            self._commit_remote(year, new.name, sorted(tables))
        if previous and previous["version"] != new.name:
            self._retire(year_dir, previous["version"], new.name)
        return {t: self.view_path(t, year) for t in sorted(tables)}

    def _retire(self, year_dir: UPath, replaced: str, current: str) -> None:
        """Keep the version this commit replaced for readers still inside it; remove the one
        the commit before retired (its readers had a whole publish to finish)."""
        marker = year_dir / RETIRED
        with contextlib.suppress(FileNotFoundError, ValueError):
            for name in json.loads(marker.read_text()):
                if name not in (replaced, current):
                    self._remove(year_dir / name)
        marker.write_text(json.dumps([replaced]))

    def _carry(self, source: UPath, target: UPath) -> None:
        target.mkdir(parents=True, exist_ok=True)
        if self.local:
            _link_files(source.path, target.path)
        else:
            source.fs.copy((source / PART_NAME).path, (target / PART_NAME).path)

    # -- local: symlinks ------------------------------------------------------------------
    def _commit_local(self, year: int | str, version: str, tables: list[str]) -> None:
        year_dir = self.year_dir(year).path
        if self.current(year) is None:
            # First publish of the year: point at an empty version and link every table
            # through it, so the year appears in all tables at the one switch below.
            empty = _version_name(EMPTY_PREFIX)
            for table in tables:
                os.makedirs(os.path.join(year_dir, empty, table), exist_ok=True)
            _replace_symlink(empty, os.path.join(year_dir, POINTER))
        if not self._links_complete(year, tables):
            for table in tables:
                self._link_view(table, year)
            kill_point("publish:linked")
        _replace_symlink(version, os.path.join(year_dir, POINTER))
        kill_point("publish:committed")

    def _adopt_real_folders(self, year: int | str, tables: set[str]) -> None:
        """Make a year whose folders are real (not links) a version the pointer names.

        A warehouse copied with its symlinks dereferenced (`cp -rL`, `shutil.copytree`'s
        default) has a real `current` folder and real `<table>/report_year=<YYYY>` folders;
        one written before this protocol has only the latter. The tables as readers see them
        now are hard-linked into a new version and `current` is pointed at it (a real
        `current` folder exchanged for the link in one step): readers still see the same
        old year, and the commit that follows switches every table at once, as for any year.
        """
        year_dir = self.year_dir(year).path
        pointer = os.path.join(year_dir, POINTER)
        if os.path.islink(pointer):
            return
        sources = self._real_table_folders(year, tables)
        if not sources:
            return
        adopted = _version_name()
        for table, source in sources.items():
            _link_files(source, os.path.join(year_dir, adopted, table))
        kill_point("publish:adopted")
        _replace_symlink(adopted, pointer)

    def _real_table_folders(self, year: int | str, tables: set[str]) -> dict[str, str]:
        """{table: the real folder holding its year}: the view folder, else `current/<table>`.
        Only the tables being published and those a copied `current` holds: nothing else
        below the root is this protocol's to take over."""
        pointer = os.path.join(self.year_dir(year).path, POINTER)
        copied_tables = set() if os.path.islink(pointer) or not os.path.isdir(pointer) else set(os.listdir(pointer))
        found = {}
        for table in sorted(tables | copied_tables):
            view = self.view_path(table, year).path
            copied = os.path.join(pointer, table)
            if os.path.isdir(view) and not os.path.islink(view):
                found[table] = view
            elif not os.path.islink(pointer) and os.path.isdir(copied):
                found[table] = copied
        return found

    def _links_complete(self, year: int | str, tables: list[str]) -> bool:
        return all(os.path.islink(self.view_path(t, year).path) for t in tables)

    def _link_view(self, table: str, year: int | str) -> None:
        view = self.view_path(table, year).path
        if os.path.islink(view):
            return
        target = os.path.join("..", YEARS_DIR, str(year), POINTER, table)
        os.makedirs(os.path.dirname(view), exist_ok=True)
        staged = f"{view}.link-{uuid.uuid4().hex}"
        os.symlink(target, staged)
        if os.path.isdir(view):  # a folder from before the protocol: exchange it for the link
            if exchange_paths(staged, view):
                shutil.rmtree(staged, ignore_errors=True)
                return
            retired = os.path.join(self.root.path, "_tmp", f"retired-{uuid.uuid4().hex}")
            os.makedirs(os.path.dirname(retired), exist_ok=True)
            os.rename(view, retired)
            shutil.rmtree(retired, ignore_errors=True)
        os.rename(staged, view)

    # -- object stores: pointer object + materialised Hive view -------------------------
    def _commit_remote(self, year: int | str, version: str, tables: list[str]) -> None:
        pointer = self.year_dir(year) / f"{POINTER}.json"
        state = {"version": version, "tables": tables, "materialised": False}
        pointer.write_text(json.dumps(state))  # one PUT: the commit point
        kill_point("publish:committed")
        self._materialise(year, state)

    def _materialise(self, year: int | str, state: dict) -> None:
        fs = self.root.fs
        for index, table in enumerate(state["tables"]):
            if index == 1:
                kill_point("publish:between-tables")
            source = self.year_dir(year) / state["version"] / table / PART_NAME
            view = self.view_path(table, year)
            fs.copy(source.path, (view / PART_NAME).path)  # one object replaced whole
        state = {**state, "materialised": True}
        (self.year_dir(year) / f"{POINTER}.json").write_text(json.dumps(state))

    # -- recovery -------------------------------------------------------------------------
    def years(self) -> list[str]:
        base = self.root / YEARS_DIR
        if not base.exists():
            return []
        return sorted(p.name for p in base.iterdir() if p.name.isdigit())

    def recover(self) -> None:
        """Roll an unfinished commit forward and remove versions no pointer names whose
        writer is gone (left by a killed run). Cheap when there is nothing to do."""
        for year in self.years():
            state = self.current(year)
            if state is not None and not self.local and not state.get("materialised"):
                self._materialise(year, state)
            if state is not None and self.local and state["version"].startswith(EMPTY_PREFIX):
                self._drop_empty_year(year, state)
            self._sweep_versions(year, state["version"] if state else None)

    def _drop_empty_year(self, year: str, state: dict) -> None:
        """A first publish killed before its commit: the year goes back to not existing."""
        if not _writer_gone(state["version"], None, self.stale_after):
            return
        for table in os.listdir(self.root.path):
            view = self.view_path(table, year).path
            if os.path.islink(view):
                os.unlink(view)
        os.unlink(os.path.join(self.year_dir(year).path, POINTER))

    def _sweep_versions(self, year: str, keep: str | None) -> None:
        year_dir = self.year_dir(year)
        for entry in year_dir.iterdir():
            if entry.name in (keep, POINTER, f"{POINTER}.json", RETIRED, ".lock") or entry.name.startswith(POINTER):
                continue
            if _writer_gone(entry.name, _mtime(entry), self.stale_after):
                self._remove(entry)

    def _remove(self, path: UPath) -> None:
        if self.local:
            shutil.rmtree(path.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.fs.rm(path.path, recursive=True)


def _mtime(path: UPath) -> float | None:
    with contextlib.suppress(Exception):
        return path.stat().st_mtime
    return None


def _replace_symlink(target: str, link: str) -> None:
    """Point `link` at `target` in one atomic step (a new symlink renamed over the old; a
    real folder at `link`, from a dereferenced copy, exchanged for it, then removed)."""
    staged = f"{link}.new-{uuid.uuid4().hex}"
    os.symlink(target, staged)
    if not os.path.isdir(link) or os.path.islink(link):
        os.replace(staged, link)
    elif exchange_paths(staged, link):
        shutil.rmtree(staged, ignore_errors=True)
    else:  # no exchange on this system: the folder goes first (readers use the view folders)
        retired = f"{link}.retired-{uuid.uuid4().hex}"
        os.rename(link, retired)
        os.replace(staged, link)
        shutil.rmtree(retired, ignore_errors=True)


def _link_files(source: str, target: str) -> None:
    """Hard-link every file of a table's folder into `target` (no data copied)."""
    os.makedirs(target, exist_ok=True)
    for name in sorted(os.listdir(source)):
        if os.path.isfile(os.path.join(source, name)) and not name.startswith("."):
            os.link(os.path.join(source, name), os.path.join(target, name))


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange_paths(a: str, b: str) -> bool:
    """Atomically exchange two paths (Linux ≥ 3.15); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV, errno.ENOENT):
        return False
    raise OSError(code, os.strerror(code), b)
