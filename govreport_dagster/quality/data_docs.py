"""GX's static Data Docs pages for a set of validations, on the process's one GX context.

Each build points the context's only Data Docs site at a local folder, stores the runs'
results, renders, then removes what it stored: a build shows exactly its own validations
(as a fresh context would) without paying for a new context. Nothing leaves the machine.

GX copies its static files (styles, fonts, images: ~4 MB) into every site; with
`static_dir` given, one shared copy serves every site under a Data Docs root and the pages'
links are rewritten to it, so the docs grow with validations, not with copies.

GX's page templates put values into the HTML as they are (no escaping): an unexpected value
is data from the landing zone (a file name, report text), so every string of a result is
HTML-escaped before GX sees it and a `<script>` in a report shows as text.
"""

from __future__ import annotations

import contextlib
import copy
import html
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .runtime import SuiteRun, gx_context, gx_module

SITE_NAME = "govreport"
# A build re-points the shared context's one site: builds in threads of one process take turns.
_BUILD_LOCK = threading.Lock()
# A relative link into a site's own static folder, as GX writes it (href="../../static/...").
_STATIC_LINK_RE = re.compile(r"""(?P<attr>(?:href|src)=["'])(?:\./|\.\./)*static/""")

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
# GX 1.x's CDN links (render/view/templates/*.j2) → the vendored copy under VENDOR_DIR; CDN
# links not listed are dropped (vega: charts of profiling expectations, none in our suites;
# the dark theme). The datepicker is needed: the index table's filters fail without it.
_FILTER_CONTROL = (
    "https://unpkg.com/bootstrap-table@1.19.{patch}/dist/extensions/filter-control/bootstrap-table-filter-control"
)
CDN_FILES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper/popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/bootstrap-datepicker.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    **{
        f"{_FILTER_CONTROL.format(patch=patch)}{suffix}": f"bootstrap-table/bootstrap-table-filter-control.min.{ext}"
        for patch in (0, 1)
        for suffix, ext in ((".css", "css"), (".min.css", "css"), (".min.js", "js"))
    },
}
_CDN_TAG_RE = re.compile(
    r"""<link\b[^>]*\bhref=["'](?P<url>https?://[^"']+)["'][^>]*>"""
    r"""|<script\b[^>]*\bsrc=["'](?P<url2>https?://[^"']+)["'][^>]*>\s*</script>"""
)
# GX static files no page of ours references (walk-through animations of GX's own docs): 3.4 MB.
UNREFERENCED_GX_STATIC = (
    "images/glossary_scroller.gif",
    "images/validation_failed_unexpected_values.gif",
    "images/iterative-dev-loop.png",
)
_CORS_ATTR_RE = re.compile(r"""\s+(?:integrity|crossorigin)=["'][^"']*["']""")
_HOSTED_IMAGE_RE = re.compile(
    r"""(?P<attr>src=["'])https://great-expectations-web-assets\.[^/"']+/(?P<name>[\w.-]+)(?:\?[^"']*)?"""
)


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
    with _BUILD_LOCK:
        _build_site(gx_context(), runs, site_dir, run_name)
    static_dir = site_dir / "static" if static_dir is None else Path(static_dir)
    if static_dir != site_dir / "static":
        share_static_files(site_dir, static_dir)
    make_offline(site_dir, static_dir)
    return site_dir / "index.html"


def _build_site(context: Any, runs: list[SuiteRun], site_dir: Path, run_name: str | None) -> None:
    """Render the runs into the site, then take them out of the context again."""
    _point_site_at(context, site_dir)
    keys = [_store_run(context, run, run.run_name or run_name) for run in runs]
    try:
        context.build_data_docs(site_names=[SITE_NAME])
    finally:
        for key in keys:
            context.validation_results_store.remove_key(key)
        for name in {run.suite for run in runs}:
            with contextlib.suppress(Exception):
                context.suites.delete(name)


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
    context.validation_results_store.set(key, escaped_result(run.gx_result))
    return key


def escaped_result(gx_result: Any) -> Any:
    """A copy of a suite's validation result with every string in what was observed (values,
    counts, details, exception messages) HTML-escaped: those come from the data. The
    expectations' own configuration is ours and stays as it is."""
    copied = copy.deepcopy(gx_result)
    for result in copied.results:
        result.result = escape_strings(result.result or {})
        result.exception_info = escape_strings(result.exception_info or {})
    return copied


def escape_strings(value: Any) -> Any:
    """`value` with every string in it (dict keys too) HTML-escaped, quotes included."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {escape_strings(k): escape_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(escape_strings(v) for v in value)
    return value


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
        prefix = _relative_prefix(page, static_dir)
        _rewrite(page, lambda html, prefix=prefix: _STATIC_LINK_RE.sub(lambda m: m.group("attr") + prefix, html))


def make_offline(site_dir: Path, static_dir: Path) -> None:
    """Point the site's pages at the vendored copies of the CSS/JS GX links from CDNs (in
    `static_dir/vendor`, copied there on first use) and drop the links nothing of ours needs
    (charts, the dark theme), so the pages look right with no network."""
    for unreferenced in UNREFERENCED_GX_STATIC:
        (static_dir / unreferenced).unlink(missing_ok=True)
    vendor = static_dir / "vendor"
    if not vendor.is_dir():
        staging = static_dir / f".vendor.{os.getpid()}"
        shutil.copytree(VENDOR_DIR, staging)
        try:
            os.rename(staging, vendor)
        except OSError:  # another process copied it first
            shutil.rmtree(staging)
    for page in site_dir.rglob("*.html"):
        prefix = _relative_prefix(page, static_dir)
        _rewrite(page, lambda html, prefix=prefix: offline_html(html, prefix))


def offline_html(html: str, static_prefix: str) -> str:
    """The page with every CDN stylesheet/script linked to `<static_prefix>vendor/…` or
    dropped, and GX's hosted images taken from its own static images."""

    def tag(match: re.Match[str]) -> str:
        url = match.group("url") or match.group("url2")
        local = CDN_FILES.get(url)
        if local is None:
            return ""
        out = match.group(0).replace(url, f"{static_prefix}vendor/{local}")
        return _CORS_ATTR_RE.sub("", out)  # file:// pages cannot make CORS requests

    html = _CDN_TAG_RE.sub(tag, html)
    return _HOSTED_IMAGE_RE.sub(lambda m: f"{m.group('attr')}{static_prefix}images/{m.group('name')}", html)


def write_year_index(site_dir: Path, year: str, year_dir: Path, run_names: Iterable[str] | None = None) -> Path:
    """`year_dir/index.html`: the pages of the validations that judged one year (`run_names`,
    by default the year's own) in a multi-year site (built once per stage for a run over a
    range of years), so every year keeps its own link."""
    year_dir.mkdir(parents=True, exist_ok=True)
    names = set(run_names or [year])
    pages = sorted(p for p in (site_dir / "validations").rglob("*.html") if names & set(p.relative_to(site_dir).parts))
    links = "\n".join(
        f'<li><a href="{Path(os.path.relpath(p, year_dir)).as_posix()}">{p.relative_to(site_dir).as_posix()}</a></li>'
        for p in pages
    )
    site_index = Path(os.path.relpath(site_dir / "index.html", year_dir)).as_posix()
    index = year_dir / "index.html"
    index.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Data Docs {year}</title></head><body>'
        f"<h1>GX validations of report year {year}</h1><ul>{links}</ul>"
        f'<p><a href="{site_index}">All years of this run</a></p></body></html>',
        encoding="utf-8",
    )
    return index


def _relative_prefix(page: Path, static_dir: Path) -> str:
    return Path(os.path.relpath(static_dir, page.parent)).as_posix() + "/"


def _rewrite(page: Path, change: Callable[[str], str]) -> None:
    html = page.read_text(encoding="utf-8")
    rewritten = change(html)
    if rewritten != html:
        page.write_text(rewritten, encoding="utf-8")
