"""A PDF's pages read from the text layer where it is usable and by OCR where it is not.

`pdf.extract_pdf` reads the text layer page by page and marks each page whose layer is missing
(a scan bound into a text PDF) or garbage (`(cid:N)` glyphs, private-use or mojibake text)
with an `OcrPage` placeholder at its place in reading order. Here those pages are rendered and
read by the OCR pipeline (`ocr.ocr_pdf_by_page`, the same path an image-only PDF takes: grids
with per-cell confidences, `cell_state = ocr` downstream, checked by the identities), and
their blocks replace the placeholders. A PDF without any usable page is OCR'd as a whole.

When OCR cannot run (engine missing, page cap, page too large), a PDF with usable text pages
keeps them and says which pages went unread in its steps; a PDF with none is rejected with
the reason, as an image-only PDF is.
"""

from __future__ import annotations

from dataclasses import dataclass

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.decode.ocr import needs_ocr_reason, ocr_pdf_by_page
from govreport_dagster.core.decode.pdf import extract_pdf
from govreport_dagster.core.model import RejectedInput


@dataclass(frozen=True)
class OcrPage:
    """Where an unreadable page's OCR blocks go in the reading order."""

    number: int


def decode_pdf_blocks(data: bytes) -> tuple[list[str | RawGrid], dict]:
    """Blocks of a PDF and flags: pages, ocr_pages (pages without a usable text layer),
    ocr_reason, whole_ocr_reason (set when the document as a whole was read by OCR), steps."""
    blocks, info = extract_pdf(data, ocr_page=lambda _page, number: [OcrPage(number)])
    text_blocks = [b for b in blocks if not isinstance(b, OcrPage)]
    whole = info.get("ocr_reason") if info.get("needs_ocr") else needs_ocr_reason(text_blocks, {})
    flags = {
        "pages": info["pages"],
        "ocr_pages": info["ocr_pages"],
        "ocr_reason": whole or info.get("ocr_reason"),
        "whole_ocr_reason": whole,
        "steps": [],
    }
    if whole:  # no usable text layer anywhere: every page is read as an image
        by_page = ocr_pdf_by_page(data)
        flags["steps"].append(f"ocr: {whole}")
        return [b for page_blocks in by_page.values() for b in page_blocks], flags
    pages = [b.number for b in blocks if isinstance(b, OcrPage)]
    if not pages:
        return blocks, flags
    try:
        by_page = ocr_pdf_by_page(data, pages)
    except RejectedInput as exc:  # the text pages still stand; the unread pages are named
        flags["steps"].append(f"ocr: pages {_numbers(pages)} not read: {exc.reason}")
        return text_blocks, flags
    flags["steps"].append(f"ocr: pages {_numbers(pages)} read by OCR ({info.get('ocr_reason')})")
    out: list[str | RawGrid] = []
    for block in blocks:
        out.extend(by_page[block.number] if isinstance(block, OcrPage) else [block])
    return out, flags


def _numbers(pages: list[int]) -> str:
    return ", ".join(str(n) for n in pages)
