"""PDF text layer (pdfplumber): lines in reading order, ruled tables as grids (`pdf_grid`).

Bad input is a `RejectedInput` with the reason: encrypted, damaged, more pages than an
annual report has. Pages whose text layer is missing (scans) or garbage (`(cid:0)` glyphs
from a font without a Unicode map, private-use or mojibake text) contribute no text: they
are listed in ``info["ocr_pages"]`` (→ ``DecodedDocument.flags["ocr_pages"]``), and
``ocr_page`` puts their blocks in place (`pdf_ocr` reads them by OCR there).
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.pdf_grid import (
    PdfTable,
    continues,
    find_tables,
    merge_continued,
    table_to_grid,
)
from govreport_dagster.core.decode.pdf_words import word_tables
from govreport_dagster.core.limits import MAX_PDF_PAGES, MAX_UNCOMPRESSED_BYTES
from govreport_dagster.core.model import RejectedInput

# An annual report runs to a few dozen pages; a 500-page file is a compilation or a
# hostile input, and reading every page's tables would hold a worker for minutes.
MAX_PAGES = MAX_PDF_PAGES
_MIN_TEXT_CHARS = 10  # usable characters below this on a page with an image: a scan
_GARBAGE_SHARE = 0.3  # share of unmapped glyphs above which a page's text layer is garbage
_MARGIN_SHARE = 0.08  # top/bottom share of the page where running headers and footers sit
_PAGE_NUMBER_RE = re.compile(
    r"^[\s\-—–_·]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[\s\-—–_·]*$"
)
_CID_RE = re.compile(r"\(cid:\d+\)")
# A browser's print header and footer: "11/30/26, 8:10 PM <page title>", "<URL> 1/8"
_BROWSER_STAMP_RE = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{2,4},?\s*\d{1,2}:\d{2}(\s*[AP]M)?", re.IGNORECASE)
_URL_LINE_RE = re.compile(r"^\s*(file|https?)://\S+(\s+\d+\s*/\s*\d+)?\s*$", re.IGNORECASE)

# An OCR reader for one page: (pdfplumber page, 1-based page number) → blocks for that page
# (or placeholders the caller replaces: `pdf_ocr.OcrPage`).
PageReader = Callable[[object, int], list]

# pdfminer logs every malformed object at WARNING; the outcome is reported via RejectedInput.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass
class _Line:
    text: str
    top: float
    bottom: float


@dataclass
class _Page:
    number: int
    height: float
    items: list[tuple[float, _Line | PdfTable]]  # by top, reading order
    text_layer: str  # ok | missing | garbage


def text_layer_status(page) -> str:
    """ok | missing | garbage — whether a page's text layer can be read (else: OCR it)."""
    chars = page.chars
    glyphs = [c["text"] for c in chars if not c["text"].isspace()]
    unmapped = sum(1 for g in glyphs if _is_unmapped(g))
    if glyphs and unmapped / len(glyphs) >= _GARBAGE_SHARE:
        return "garbage"
    if len(glyphs) - unmapped < _MIN_TEXT_CHARS and page.images:
        return "missing"
    return "ok"


def _is_unmapped(glyph: str) -> bool:
    """A glyph no Chinese report prints: pdfminer's `(cid:N)` for a font without a Unicode
    map, U+FFFD, private-use code points, or Latin-1/Latin Extended letters, which is what GBK
    text read through a single-byte encoding (mojibake: `Õþ¸®`) looks like."""
    if _CID_RE.fullmatch(glyph) or glyph == "\ufffd" or "\ue000" <= glyph <= "\uf8ff":
        return True
    return len(glyph) == 1 and "\u00c0" <= glyph <= "\u024f"


_STREAM_RE = re.compile(rb"stream\r?\n")
_PAGE_COUNT_RE = re.compile(rb"/Count\s+(\d{1,12})")


def check_page_count(data: bytes, limit: int = MAX_PDF_PAGES) -> None:
    """Refuse a PDF whose page tree declares more pages than `limit` before pdfminer builds
    an object per page (100,000 declared pages took a minute to refuse afterwards)."""
    declared = max((int(m.group(1)) for m in _PAGE_COUNT_RE.finditer(data)), default=0)
    if declared > limit:
        raise RejectedInput(f"PDF has {declared} pages, more than the limit of {limit} for one report")


def check_stream_sizes(data: bytes, limit: int = MAX_UNCOMPRESSED_BYTES) -> None:
    """Refuse a PDF whose Flate streams together decompress to more than `limit` bytes
    (a flate bomb: 3 MB expanding to 3 GB), measured chunk by chunk, never holding more
    than a chunk: pdfminer would inflate each stream whole in memory."""
    total = 0
    for match in _STREAM_RE.finditer(data):
        inflater = zlib.decompressobj()
        start = match.end()
        end = data.find(b"endstream", start)
        chunk = data[start : end if end >= 0 else len(data)]
        try:
            while chunk and total <= limit and not inflater.eof:
                produced = len(inflater.decompress(chunk, 1 << 20))
                total += produced
                if not produced and inflater.unconsumed_tail == chunk:
                    break  # no progress: damaged stream, pdfminer decides
                chunk = inflater.unconsumed_tail
        except zlib.error:
            continue  # not Flate (or damaged): pdfminer decides
        if total > limit:
            raise RejectedInput(f"PDF streams decompress to more than the limit of {limit:,} bytes (flate bomb)")


def pages_without_text_layer(data: bytes) -> list[int]:
    """1-based numbers of the pages an OCR engine has to read (missing or garbage text)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [n for n, page in enumerate(pdf.pages, start=1) if text_layer_status(page) != "ok"]


def extract_pdf(
    data: bytes, *, max_pages: int = MAX_PAGES, ocr_page: PageReader | None = None
) -> tuple[list[str | RawGrid], dict]:
    """Blocks (page text lines and grids in reading order) and info: pages, ocr_pages (the
    pages without a usable text layer), text_layer (their status: missing | garbage),
    needs_ocr (no page has one), ocr_reason. Raises RejectedInput for encrypted, damaged or
    overlong files."""
    import pdfplumber

    check_page_count(data, max_pages)
    check_stream_sizes(data)
    info: dict = {"pages": 0, "ocr_pages": []}
    ocr_blocks: dict[int, list[str | RawGrid]] = {}
    pages: list[_Page] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            info["pages"] = len(pdf.pages)
            if len(pdf.pages) > max_pages:
                raise RejectedInput(
                    f"PDF has {len(pdf.pages)} pages, more than the limit of {max_pages} for one report"
                )
            for number, page in enumerate(pdf.pages, start=1):
                status = text_layer_status(page)
                if status != "ok":
                    info["ocr_pages"].append(number)
                    if ocr_page is not None:
                        ocr_blocks[number] = ocr_page(page, number)
                    pages.append(_Page(number, float(page.height), [], status))
                    continue
                pages.append(_read_page(page.dedupe_chars(), number, status))
    except RejectedInput:
        raise
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        raise RejectedInput(_open_error(exc)) from exc
    _drop_running_lines(pages)
    blocks = _blocks(pages, ocr_blocks)
    text_chars = sum(len("".join(b.split())) for b in blocks if isinstance(b, str))
    text_chars += sum(len(c.text) for b in blocks if isinstance(b, RawGrid) for row in b.rows for c in row)
    if text_chars < _MIN_TEXT_CHARS:  # no page says anything: text drawn as curves, or scans
        info["ocr_pages"] = list(range(1, len(pages) + 1))
    info["text_layer"] = {p.number: p.text_layer for p in pages if p.text_layer != "ok"}
    # the document as a whole has no text to read (a scanned page among text pages is listed
    # in ocr_pages and read in place through `ocr_page`)
    info["needs_ocr"] = bool(pages) and len(info["ocr_pages"]) == len(pages)
    info["ocr_reason"] = (
        _ocr_reason(info["text_layer"], len(info["ocr_pages"]), len(pages)) if info["ocr_pages"] else None
    )
    return blocks, info


def _ocr_reason(text_layer: dict[int, str], n_ocr: int, n_pages: int) -> str:
    garbage = sum(status == "garbage" for status in text_layer.values())
    if garbage:
        return (
            f"text layer is garbage on {garbage} of {n_pages} pages ((cid:n) glyphs: a font without a "
            "Unicode map): needs OCR"
        )
    return f"scanned: {n_ocr} of {n_pages} pages without a text layer: needs OCR"


def _open_error(exc: Exception) -> str:
    # pdfplumber wraps pdfminer's exception as the first argument of PdfminerException
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return f"encrypted PDF: {name}"
    return f"unreadable PDF (truncated or damaged): {name}: {str(inner)[:120]}"


def _read_page(page, number: int, status: str) -> _Page:
    """Text lines outside the tables and the tables (ruled, then unruled from word
    positions: `pdf_words`), ordered by their top."""
    tables = [t for t in (table_to_grid(page, table, number) for table in find_tables(page)) if t is not None]
    outside = page
    for table in tables:
        left, right = table.col_edges[0], table.col_edges[-1]
        bbox = (left, table.top, right, table.bottom)
        # keep only characters whose centre is outside the table (their text is in the grid)
        outside = outside.filter(
            lambda obj, b=bbox: (
                not (
                    obj.get("object_type") == "char"
                    and b[0] <= (obj["x0"] + obj["x1"]) / 2 <= b[2]
                    and b[1] <= (obj["top"] + obj["bottom"]) / 2 <= b[3]
                )
            )
        )
    unruled = word_tables(outside, number, margin=float(page.height) * _MARGIN_SHARE)
    if unruled:
        placed = {_char_key(c) for _, chars in unruled for c in chars}
        outside = outside.filter(lambda obj: obj.get("object_type") != "char" or _char_key(obj) not in placed)
        tables.extend(table for table, _ in unruled)
    lines = outside.extract_text_lines(return_chars=False)
    items: list[tuple[float, _Line | PdfTable]] = [
        (line["top"], _Line(line["text"], line["top"], line["bottom"])) for line in lines
    ]
    for t in tables:
        if len(t.col_edges) > 2:
            items.append((t.top, t))
        else:  # a one-column "table" is a box or ruled writing paper around prose: its lines are text
            items.extend((t.top, _Line(row[0].text, t.top, t.bottom)) for row in t.grid.rows if row[0].text)
    items.sort(key=lambda item: item[0])
    return _Page(number, float(page.height), items, status)


def _char_key(char: dict) -> tuple:
    return (char["text"], round(char["x0"], 2), round(char["top"], 2))


def _is_margin(line: _Line, height: float) -> bool:
    return line.bottom <= height * _MARGIN_SHARE or line.top >= height * (1 - _MARGIN_SHARE)


def _chrome_key(text: str) -> str:
    return re.sub(r"\d+", "#", "".join(text.split()))


def _drop_running_lines(pages: list[_Page]) -> None:
    """Page numbers, a browser's print header/footer (date and time, URL) and running headers/
    footers (a margin line repeated on most pages, digits aside) are page chrome, not report
    text. The first page keeps its repeated lines (there the running title is the title)."""
    counts: Counter[str] = Counter()
    for p in pages:
        counts.update({_chrome_key(it.text) for _, it in p.items if isinstance(it, _Line) and _is_margin(it, p.height)})
    repeated = {k for k, n in counts.items() if n >= 2 and n * 2 >= len(pages)}
    for p in pages:
        kept = []
        for top, it in p.items:
            if isinstance(it, _Line) and _is_margin(it, p.height):
                if _is_chrome(it.text, p.number, repeated):
                    continue
                if p.number == 1 and (stamp := _BROWSER_STAMP_RE.match(it.text)):
                    # the first page's print header: its page title is the report's title
                    it = _Line(it.text[stamp.end() :].strip(), it.top, it.bottom)
            kept.append((top, it))
        p.items = kept


def _is_chrome(text: str, page_number: int, repeated: set[str]) -> bool:
    if _PAGE_NUMBER_RE.match(text) or _URL_LINE_RE.match(text):
        return True
    return page_number > 1 and (_chrome_key(text) in repeated or bool(_BROWSER_STAMP_RE.match(text)))


def _blocks(pages: list[_Page], ocr_blocks: dict[int, list[str | RawGrid]]) -> list[str | RawGrid]:
    """Text and grids in reading order; a table continued on the next page is one grid."""
    items: list[_Line | PdfTable | list[str | RawGrid]] = []
    for p in pages:
        if p.number in ocr_blocks:
            items.append(ocr_blocks[p.number])
            continue
        page_items = [it for _, it in p.items]
        first = page_items[0] if page_items else None
        if isinstance(first, PdfTable) and items and isinstance(items[-1], PdfTable) and continues(items[-1], first):
            items[-1] = merge_continued(items[-1], page_items.pop(0))
        items.extend(page_items)
    blocks: list[str | RawGrid] = []
    buf: list[str] = []
    for it in items:
        if isinstance(it, _Line):
            buf.append(it.text)
            continue
        if buf:
            blocks.append("\n".join(buf))
            buf = []
        blocks.extend(it if isinstance(it, list) else [it.grid])
    if buf:
        blocks.append("\n".join(buf))
    return blocks
