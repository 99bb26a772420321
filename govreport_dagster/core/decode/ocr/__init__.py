"""OCR for documents without a text layer: scanned PDFs, table images, standalone PNG/JPEG.

``ocr_image`` and ``ocr_pdf`` return decoder blocks (text and ``RawGrid``s with per-cell OCR
confidence), the same shape the PDF/HTML/DOCX decoders produce, so the tables stage reads
OCR grids with the same template-driven grid reader. Any failure becomes ``RejectedInput``
with a one-line reason (engine missing, corrupt or oversized image, too many pages).
"""

from __future__ import annotations

import re

import numpy as np

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.ocr.engine import OcrEngineMissing, get_engine
from govreport_dagster.core.decode.ocr.page import MAX_PIXELS, load_image, page_blocks, too_large_reason
from govreport_dagster.core.model import RejectedInput

__all__ = [
    "MAX_OCR_PAGES",
    "MAX_PIXELS",
    "OCR_DPI",
    "check_page_images",
    "needs_ocr_reason",
    "ocr_gray",
    "ocr_image",
    "ocr_pdf",
    "ocr_pdf_by_page",
    "ocr_pdf_pages",
]

OCR_DPI = 150  # table digits are ~20 px high at this resolution: enough, and 4× cheaper than 300
MAX_OCR_PAGES = 60  # OCR costs seconds a page; a longer scan is an annex or a book, not a report


_CID_RE = re.compile(r"\(cid:\d+\)")
_GARBAGE_SHARE = 0.3  # share of a text layer's glyphs printed as (cid:N) that makes it unusable


def needs_ocr_reason(blocks: list[str | RawGrid], info: dict) -> str | None:
    """Why a PDF's text layer cannot be used (None when it can): no text at all (a scan), or
    glyphs without a Unicode mapping, which pdfminer prints as ``(cid:N)``."""
    if info.get("needs_ocr"):
        return "no text layer"
    texts = [b for b in blocks if isinstance(b, str)]
    texts += [c.text for b in blocks if isinstance(b, RawGrid) for row in b.rows for c in row if c.is_origin]
    text = "".join("".join(t.split()) for t in texts)
    found = _CID_RE.findall(text)
    glyphs = len(text) - sum(len(m) for m in found) + len(found)  # a (cid:N) is one glyph
    if found and len(found) >= _GARBAGE_SHARE * glyphs:
        return f"text layer is unmapped glyphs ({len(found):,} of {glyphs:,} glyphs print as (cid:N))"
    return None


def _engine():
    try:
        return get_engine()
    except OcrEngineMissing as exc:
        raise RejectedInput(f"needs OCR, but {exc.reason}") from exc


def ocr_image(data: bytes) -> list[str | RawGrid]:
    """Blocks of one image file (PNG, JPEG, …)."""
    return ocr_gray(load_image(data))


def ocr_gray(gray: np.ndarray) -> list[str | RawGrid]:
    """Blocks of one decoded grayscale image."""
    return page_blocks(_engine(), gray, 1)


def ocr_pdf(data: bytes, pages: list[int] | None = None) -> list[str | RawGrid]:
    """Blocks of a PDF's pages (1-based numbers; all pages by default) rendered as images."""
    return [block for blocks in ocr_pdf_by_page(data, pages).values() for block in blocks]


def ocr_pdf_by_page(data: bytes, pages: list[int] | None = None) -> dict[int, list[str | RawGrid]]:
    """Each page's blocks (1-based numbers, in order; all pages by default), read as images:
    what the text-layer reader splices in for scanned or garbage pages of a text PDF."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise RejectedInput(f"unreadable PDF for OCR: {exc}") from exc
    try:
        numbers = pages if pages is not None else list(range(1, len(pdf) + 1))
        if len(numbers) > MAX_OCR_PAGES:
            raise RejectedInput(f"scanned PDF: {len(numbers)} pages to OCR exceed the cap of {MAX_OCR_PAGES}")
        scale = OCR_DPI / 72
        for number in numbers:  # every size checked before the engine loads or a page renders
            width, height = pdf[number - 1].get_size()
            if width * height * scale * scale > MAX_PIXELS:
                raise RejectedInput(f"PDF page {number} too large to OCR: {width:.0f}×{height:.0f} pt")
            check_page_images(pdf[number - 1], number)
        engine = _engine()
        out: dict[int, list[str | RawGrid]] = {}
        for number in numbers:
            page = pdf[number - 1]
            gray = page.render(scale=scale, grayscale=True).to_numpy()
            if gray.ndim == 3:
                gray = gray[:, :, 0]
            out[number] = page_blocks(engine, gray, number)
        return out
    finally:
        pdf.close()


def check_page_images(page, number: int) -> None:
    """Refuse a page whose images declare more pixels than the cap, before rendering decodes
    them: a CCITT or JBIG2 image of a few KB can declare 30000×30000 pixels (the flate check
    in pdf.py sees only Flate streams). The sizes come from the image dictionaries."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        if not isinstance(image, pypdfium2.PdfImage):
            continue
        width, height = image.get_px_size()
        refused = too_large_reason(width, height)
        if refused:
            raise RejectedInput(f"PDF page {number}: {refused}")


def ocr_pdf_pages(data: bytes) -> int:
    """Number of pages (for the benchmark's pages/s)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        return len(pdf)
    finally:
        pdf.close()
