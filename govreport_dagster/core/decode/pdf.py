"""PDF text layer (pdfplumber): lines in reading order, ruled tables as grids."""

from __future__ import annotations

import bisect
import io
import logging
import re
import zlib

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.limits import MAX_PDF_PAGES, MAX_UNCOMPRESSED_BYTES
from govreport_dagster.core.model import GridCell, RejectedInput

MAX_PAGES = MAX_PDF_PAGES
_MIN_TEXT_CHARS = 10  # below this over the whole file the PDF is treated as scanned

# pdfminer logs every malformed object at WARNING; the outcome is reported via RejectedInput.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


def _coord_index(values: list[float], x: float) -> int:
    i = bisect.bisect_left(values, x - 1.0)
    return min(i, len(values) - 1)


def _unique(coords: list[float]) -> list[float]:
    """Sorted coordinates with near-duplicates (< 1pt apart) merged."""
    out: list[float] = []
    for x in sorted(coords):
        if not out or x - out[-1] > 1.0:
            out.append(x)
    return out


def _table_grid(page, table, page_no: int) -> RawGrid | None:
    cells = [c for c in table.cells if c is not None]
    if not cells:
        return None
    xs = _unique([c[0] for c in cells] + [c[2] for c in cells])
    ys = _unique([c[1] for c in cells] + [c[3] for c in cells])
    n_cols, n_rows = len(xs) - 1, len(ys) - 1
    if n_cols < 1 or n_rows < 1 or n_cols * n_rows > 50_000:
        return None
    slots: dict[tuple[int, int], GridCell] = {}
    for x0, top, x1, bottom in cells:
        c0, c1 = _coord_index(xs, x0), _coord_index(xs, x1)
        r0, r1 = _coord_index(ys, top), _coord_index(ys, bottom)
        colspan, rowspan = max(1, c1 - c0), max(1, r1 - r0)
        try:
            text = page.within_bbox((x0, top, x1, bottom), strict=False).extract_text() or ""
        except ValueError:
            text = ""
        text = " ".join(text.split())
        for dr in range(rowspan):
            for dc in range(colspan):
                slots.setdefault((r0 + dr, c0 + dc), GridCell(text, r0 + dr, c0 + dc, r0, c0, rowspan, colspan))
    rows = [[slots.get((r, c)) or GridCell("", r, c, r, c) for c in range(n_cols)] for r in range(n_rows)]
    return RawGrid(rows, "pdf", page=page_no)


_STREAM_RE = re.compile(rb"stream\r?\n")
_PAGE_COUNT_RE = re.compile(rb"/Count\s+(\d{1,12})")


def check_page_count(data: bytes, limit: int = MAX_PDF_PAGES) -> None:
    """Refuse a PDF whose page tree declares more pages than `limit` before pdfminer builds
    an object per page (100,000 declared pages took a minute to refuse afterwards)."""
    declared = max((int(m.group(1)) for m in _PAGE_COUNT_RE.finditer(data)), default=0)
    if declared > limit:
        raise RejectedInput(f"PDF declares {declared} pages, more than the limit of {limit}")


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


def extract_pdf(data: bytes) -> tuple[list[str | RawGrid], dict]:
    """Blocks (page text lines and grids in reading order). Raises RejectedInput for
    encrypted, truncated or otherwise unreadable files, and for flate bombs."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    check_page_count(data)
    check_stream_sizes(data)
    blocks: list[str | RawGrid] = []
    info: dict = {"pages": 0}
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = pdf.pages
            info["pages"] = len(pages)
            if len(pages) > MAX_PAGES:
                raise RejectedInput(f"PDF has {len(pages)} pages, more than the limit of {MAX_PAGES}")
            for page_no, page in enumerate(pages, start=1):
                blocks.extend(_page_blocks(page.dedupe_chars(), page_no))
    except RejectedInput:
        raise
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise RejectedInput(f"encrypted PDF: {type(exc).__name__}") from exc
    except Exception as exc:  # pdfminer raises many unrelated types on damaged files
        # pdfplumber wraps pdfminer's exception as the first argument of PdfminerException
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        name = type(inner).__name__
        if "Password" in name or "Encrypt" in name:
            raise RejectedInput(f"encrypted PDF: {name}") from exc
        raise RejectedInput(f"unreadable PDF (truncated or damaged): {name}: {str(inner)[:120]}") from exc
    text_chars = sum(len("".join(b.split())) for b in blocks if isinstance(b, str))
    text_chars += sum(len(c.text) for b in blocks if isinstance(b, RawGrid) for row in b.rows for c in row)
    info["needs_ocr"] = text_chars < _MIN_TEXT_CHARS
    return blocks, info


def _page_blocks(page, page_no: int) -> list[str | RawGrid]:
    tables = page.find_tables()
    grids: list[tuple[float, RawGrid]] = []
    bboxes = []
    for table in tables:
        grid = _table_grid(page, table, page_no)
        if grid is not None:
            grids.append((table.bbox[1], grid))
            bboxes.append(table.bbox)
    outside = page
    for bbox in bboxes:
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
    lines = outside.extract_text_lines(return_chars=False)
    items: list[tuple[float, str | RawGrid]] = [(line["top"], line["text"]) for line in lines]
    items.extend(grids)
    items.sort(key=lambda item: item[0])
    blocks: list[str | RawGrid] = []
    buf: list[str] = []
    for _, item in items:
        if isinstance(item, str):
            buf.append(item)
        else:
            if buf:
                blocks.append("\n".join(buf))
                buf = []
            blocks.append(item)
    if buf:
        blocks.append("\n".join(buf))
    return blocks
