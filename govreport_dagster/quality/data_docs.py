"""GX's static Data Docs pages for a set of validations, on the process's one GX context.

Each build points the context's only Data Docs site at a local folder, stores the runs'
results, renders, then removes what it stored: a build shows exactly its own validations
(as a fresh context would) without paying for a new context. Nothing leaves the machine.

GX copies its static files (styles, fonts, images: ~4 MB) into every site; with
`static_dir` given, one shared copy serves every site under a Data Docs root and the pages'
links are rewritten to it, so the docs grow with validations, not with copies.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .runtime import SuiteRun, gx_context, gx_module

SITE_NAME = "govreport"
# A relative link into a site's own static folder, as GX writes it (href="../../static/...").
_STATIC_LINK_RE = re.compile(r"""(?P<attr>(?:href|src)=["'])(?:\./|\.\./)*static/""")


def build_data_docs(
    runs: SuiteRun | Iterable[SuiteRun],
    site_dir: Path,
    run_name: str | None = None,
    static_dir: Path | None = None,
) -> Path:
    """Build GX's static Data Docs site for these validations into `site_dir`; returns its
    index.html. With `static_dir`, the site links that shared static folder (filled on first
    use) instead of keeping its own copy."""
    runs = [runs] if isinstance(runs, SuiteRun) else list(runs)
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    context = gx_context()
    _point_site_at(context, site_dir)
    keys = [_store_run(context, run, run_name) for run in runs]
    try:
        context.build_data_docs(site_names=[SITE_NAME])
    finally:
        for key in keys:
            context.validation_results_store.remove_key(key)
        for name in {run.suite for run in runs}:
            with contextlib.suppress(Exception):
                context.suites.delete(name)
    if static_dir is not None:
        share_static_files(site_dir, Path(static_dir))
    return site_dir / "index.html"


def _point_site_at(context: Any, site_dir: Path) -> None:
    """Make a local folder the context's only Data Docs site."""
    for name in list(context.get_config().data_docs_sites or {}):
        context.delete_data_docs_site(name)
    context.add_data_docs_site(
        SITE_NAME,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )


def _store_run(context: Any, run: SuiteRun, run_name: str | None) -> Any:
    """Put the run's suite and result into the context's stores; returns the result's key."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    with contextlib.suppress(Exception):  # already there (same suite validated twice): the page exists
        context.suites.add(gx_module().ExpectationSuite(**run.suite_json))
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=run.suite),
        run_id=RunIdentifier(run_name=run_name or run.suite, run_time=run.run_time),
        batch_identifier=_safe_name(run.suite),
    )
    context.validation_results_store.set(key, run.gx_result)
    return key


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def share_static_files(site_dir: Path, static_dir: Path) -> None:
    """Replace the site's own `static/` by links to `static_dir` (moved there if missing)."""
    own = site_dir / "static"
    if own.is_dir():
        if static_dir.is_dir():
            shutil.rmtree(own)
        else:  # first site under this root: its copy becomes the shared one, renamed atomically
            static_dir.parent.mkdir(parents=True, exist_ok=True)
            staging = static_dir.with_name(f".{static_dir.name}.{os.getpid()}")
            shutil.move(str(own), str(staging))
            try:
                os.rename(staging, static_dir)
            except OSError:  # another process shared its copy first
                shutil.rmtree(staging)
    for page in site_dir.rglob("*.html"):
        prefix = Path(os.path.relpath(static_dir, page.parent)).as_posix() + "/"
        html = page.read_text(encoding="utf-8")
        rewritten = _STATIC_LINK_RE.sub(lambda m, prefix=prefix: m.group("attr") + prefix, html)
        if rewritten != html:
            page.write_text(rewritten, encoding="utf-8")
