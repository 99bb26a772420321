"""Decode throughput benchmark: replicate text/HTML sources to n_docs and decode them in batches.

Run: ``python -m govreport_dagster.reporting.benchmark [paths …]`` (defaults to data/sample and
tests/fixtures/corpus). Memory must not grow with n_docs: documents are produced and dropped
one batch at a time, and only counters are kept.
"""

from __future__ import annotations

import itertools
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from govreport_dagster.core.decode import decode_file, detect_type
from govreport_dagster.core.model import RejectedInput

_TEXT_SUFFIXES = (".txt", ".html", ".htm", ".shtml")
REPO_ROOT = Path(__file__).resolve().parents[2]


def source_files(sources: list[Path]) -> list[Path]:
    files: list[Path] = []
    for src in sources:
        if src.is_dir():
            files.extend(p for p in sorted(src.rglob("*")) if p.suffix.lower() in _TEXT_SUFFIXES and p.is_file())
        elif src.is_file():
            files.append(src)
    return [p for p in files if p.name.lower() != "readme.md"]


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _batches(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def run_decode_benchmark(sources: list[Path], n_docs: int = 10_000, batch_size: int = 500) -> dict:
    """Decode the given text/HTML files, cycled to ``n_docs`` documents, in batches of
    ``batch_size``; print and return docs/s, MB/s, peak RSS and a per-format breakdown."""
    files = source_files([Path(s) for s in sources])
    if not files:
        raise ValueError(f"no .txt/.html files under {sources}")
    payloads = [(str(p), p.read_bytes()) for p in files]
    kinds = {uri: detect_type(data, uri) for uri, data in payloads}

    decode_file(payloads[0][1], payloads[0][0])  # warm-up: OpenCC dictionaries, lazy imports
    rss_before = _peak_rss_mb()
    per_format: dict[str, Counter] = defaultdict(Counter)
    per_format_seconds: dict[str, float] = defaultdict(float)
    rss_after_batch: list[float] = []
    total_bytes = 0
    rejected = 0
    stream = itertools.islice(itertools.cycle(payloads), n_docs)
    start = time.perf_counter()
    for batch in _batches(stream, batch_size):
        for uri, data in batch:
            kind = kinds[uri]
            t0 = time.perf_counter()
            try:
                doc = decode_file(data, uri, kind)
                per_format[kind]["tables"] += len(doc.tables)
            except RejectedInput:
                rejected += 1
            per_format_seconds[kind] += time.perf_counter() - t0
            per_format[kind]["docs"] += 1
            per_format[kind]["bytes"] += len(data)
            total_bytes += len(data)
        rss_after_batch.append(_peak_rss_mb())
    elapsed = time.perf_counter() - start
    n = sum(c["docs"] for c in per_format.values())
    result = {
        "docs": n,
        "distinct_sources": len(payloads),
        "batch_size": batch_size,
        "seconds": round(elapsed, 3),
        "docs_per_s": round(n / elapsed, 1),
        "mb_per_s": round(total_bytes / 1e6 / elapsed, 2),
        "rejected": rejected,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_growth_mb": round(rss_after_batch[-1] - rss_before, 1),
        "rss_growth_second_half_mb": round(rss_after_batch[-1] - rss_after_batch[len(rss_after_batch) // 2], 1),
        "per_format": {
            kind: {
                "docs": c["docs"],
                "docs_per_s": round(c["docs"] / per_format_seconds[kind], 1) if per_format_seconds[kind] else None,
                "mb_per_s": round(c["bytes"] / 1e6 / per_format_seconds[kind], 2) if per_format_seconds[kind] else None,
                "tables": c["tables"],
            }
            for kind, c in sorted(per_format.items())
        },
    }
    _print(result)
    return result


def _print(result: dict) -> None:
    print(
        f"decoded {result['docs']:,} docs ({result['distinct_sources']} distinct sources, batches of "
        f"{result['batch_size']}) in {result['seconds']} s: {result['docs_per_s']:,} docs/s, "
        f"{result['mb_per_s']} MB/s, {result['rejected']} rejected"
    )
    print(
        f"peak RSS {result['peak_rss_mb']} MB (growth during run {result['rss_growth_mb']} MB, "
        f"second half {result['rss_growth_second_half_mb']} MB)"
    )
    for kind, figures in result["per_format"].items():
        print(
            f"  {kind:5s} {figures['docs']:>7,} docs  {figures['docs_per_s']} docs/s  "
            f"{figures['mb_per_s']} MB/s  {figures['tables']:,} grids"
        )


# --------------------------------------------------------------------------------------
# Paged formats (issue 13): pages/s of the PDF text layer alone and of the whole decode with
# grids; documents/s of the legacy Office formats (LibreOffice's start dominates .doc).

_PAGED_SUFFIXES = (".pdf", ".doc", ".xls", ".xlsx", ".png", ".jpg", ".jpeg")


def run_page_benchmark(sources: list[Path], rounds: int = 1) -> dict:
    """Decode every PDF/Office/image file ``rounds`` times; print and return per-format
    figures: docs/s, and for PDFs pages/s of the text layer alone (pdfplumber's lines), of
    the whole decode with grids (files read without OCR), and of OCR (files in which pages
    were read by OCR: their whole decode time over the pages OCR read; images: one page)."""
    files = [
        p
        for src in sources
        for p in (sorted(src.rglob("*")) if src.is_dir() else [src])
        if p.is_file() and p.suffix.lower() in _PAGED_SUFFIXES
    ]
    figures: dict[str, Counter] = defaultdict(Counter)
    for path in files * rounds:
        data = path.read_bytes()
        kind = detect_type(data, path.name)
        t0 = time.perf_counter()
        doc = decode_file(data, str(path), kind)
        decode_us = int((time.perf_counter() - t0) * 1e6)
        f = figures[kind]
        f["docs"] += 1
        f["grids"] += len(doc.tables)
        f["decode_us"] += decode_us
        ocr_pages = _ocr_pages(doc, kind)
        if ocr_pages:
            f["ocr_pages"] += ocr_pages
            f["ocr_us"] += decode_us
        if kind == "pdf":
            f["text_us"] += _text_layer_us(data)
            f["pages"] += int(doc.flags.get("pages", 0))
            if not ocr_pages:
                f["grid_pages"] += int(doc.flags.get("pages", 0))
                f["grid_us"] += decode_us
    result = {kind: _paged_figures(c) for kind, c in sorted(figures.items())}
    for kind, r in result.items():
        line = f"  {kind:5s} {r['docs']:>7,} docs  {r['docs_per_s']} docs/s  {r['grids']:,} grids"
        if r["pages"]:
            line += f"  {r['pages']:,} pages  text layer {r['text_pages_per_s']} pages/s"
            line += f"  grid {r['pages_per_s']} pages/s"
        if r["ocr_pages"]:
            line += f"  OCR {r['ocr_pages']:,} pages {r['ocr_pages_per_s']} pages/s"
        print(line)
    return result


def _ocr_pages(doc, kind: str) -> int:
    """Pages the decode read by OCR (0 when none, or when OCR could not run)."""
    if kind == "image":
        return 1
    steps = doc.flags.get("steps", [])
    ran = any(s.startswith("ocr: ") and " not read: " not in s for s in steps)
    return len(doc.flags.get("ocr_pages") or []) if kind == "pdf" and ran else 0


def _text_layer_us(data: bytes) -> int:
    import io

    import pdfplumber

    t0 = time.perf_counter()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text_lines(return_chars=False)
    return int((time.perf_counter() - t0) * 1e6)


def _rate(count: int, micros: int, digits: int = 1) -> float | None:
    return round(count / (micros / 1e6), digits) if micros and count else None


def _paged_figures(c: Counter) -> dict:
    return {
        "docs": c["docs"],
        "grids": c["grids"],
        "pages": c["pages"],
        "ocr_pages": c["ocr_pages"],
        "docs_per_s": _rate(c["docs"], c["decode_us"], 2),
        "pages_per_s": _rate(c["grid_pages"], c["grid_us"]),
        "text_pages_per_s": _rate(c["pages"], c["text_us"]),
        "ocr_pages_per_s": _rate(c["ocr_pages"], c["ocr_us"], 3),
    }


def main(argv: list[str] | None = None) -> dict:
    args = sys.argv[1:] if argv is None else argv
    n_docs = 10_000
    if args and args[0].startswith("--n="):
        n_docs = int(args.pop(0)[4:])
    fixtures = REPO_ROOT / "tests" / "fixtures"
    paths = [Path(a) for a in args] or [REPO_ROOT / "data" / "sample", fixtures / "corpus"]
    result = run_decode_benchmark(paths, n_docs=n_docs)
    # one scanned table page among text pages: the OCR figure, at ~10 CPU s a page
    paged = [Path(a) for a in args] or [
        fixtures / "corpus_pdf",
        fixtures / "corpus_office",
        fixtures / "ocr_mixed" / "p02_mixed.pdf",
    ]
    print("paged formats (each file once):")
    result["paged"] = run_page_benchmark(paged)
    return result


if __name__ == "__main__":
    main()
