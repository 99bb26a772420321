"""Files made by local-only writers (matplotlib, GX's Data Docs site builder) stored beside a
warehouse that may be on an object store: they are written to a local folder first and
uploaded through fsspec, so a remote warehouse gets its charts and Data Docs too."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from upath import UPath

from .landing import is_local


@contextmanager
def local_folder_for(target: str | os.PathLike[str], keep_existing: tuple[str, ...] = ()) -> Iterator[Path]:
    """A local folder standing for `target`: the folder itself when it is local, else a
    temporary one whose files are uploaded to `target` on a clean exit. Files under the
    `keep_existing` sub-folders (e.g. GX's shared static files) are uploaded only when the
    target lacks them."""
    target = UPath(target)
    if is_local(target):
        folder = Path(target.path)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="govreport-upload-") as tmp:
        yield Path(tmp)
        upload_folder(Path(tmp), target, keep_existing)


def upload_folder(local: Path, target: UPath, keep_existing: tuple[str, ...] = ()) -> int:
    """Upload every file below `local` to the same relative key below `target`; returns the
    number of files uploaded."""
    fs = target.fs
    base = target.path.rstrip("/")
    existing = {
        prefix: {f[len(base) + 1 :] for f in fs.find(f"{base}/{prefix}")} if fs.exists(f"{base}/{prefix}") else set()
        for prefix in keep_existing
    }
    uploaded = 0
    for file in sorted(p for p in local.rglob("*") if p.is_file()):
        rel = file.relative_to(local).as_posix()
        prefix = next((p for p in keep_existing if rel.startswith(p.rstrip("/") + "/")), None)
        if prefix is not None and rel in existing[prefix]:
            continue
        fs.put_file(str(file), f"{base}/{rel}")
        uploaded += 1
    return uploaded


def remote_path(target: str | os.PathLike[str], local_root: Path, local_file: Path) -> UPath | Path:
    """Where `local_file` (made under `local_root` standing for `target`) ends up."""
    target = UPath(target)
    if is_local(target):
        return local_file
    return target / local_file.relative_to(local_root).as_posix()
