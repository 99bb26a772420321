"""Regenerate the mixed-text-layer PDF fixtures from the corpus PDFs (not run by the tests).

Two PDFs whose text layer is usable on some pages only, as they are found in the wild:

- ``p02_mixed.pdf``: ../shared/corpus/pdf/p02.pdf with its page 3 (the end of table 2 and the
  start of table 3) replaced by a scan of itself (200 dpi bilevel, no text layer): a scanned
  page bound into a text PDF. Table 3 starts on the scanned page and continues on a text page.
- ``p01_cid.pdf``: p01's pages 1, 3, 4, 5 as page images with an invisible text layer over
  them whose font has no Unicode map (pdfminer reads every glyph as ``(cid:N)``), as a scanner
  whose OCR font lost its ToUnicode table produces: the whole text layer is garbage.

The gold is the corpus gold with ``file`` pointing at the fixture: the values are as printed.

Usage: python scripts/make_mixed_pdf_fixtures.py [--corpus ../shared/corpus/pdf] [--out tests/fixtures/ocr_mixed]
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pdfplumber
import pypdfium2
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from scripts.make_ocr_fixtures import PDF_DPI, corpus_and_out, image_only_pdf, render_pages

MIXED = ("p02", 3)  # report, page replaced by its scan
CID = ("p01", [1, 3, 4, 5])  # report, pages kept (title page + table pages)


def mixed_pdf(src: Path, scanned_page: int) -> bytes:
    """The PDF with one page replaced by its image-only scan."""
    scan = pypdfium2.PdfDocument(image_only_pdf(render_pages(src, [scanned_page], PDF_DPI)))
    original = pypdfium2.PdfDocument(str(src))
    out = pypdfium2.PdfDocument.new()
    n = len(original)
    out.import_pages(original, list(range(scanned_page - 1)))
    out.import_pages(scan, [0])
    out.import_pages(original, list(range(scanned_page, n)))
    buf = io.BytesIO()
    out.save(buf)
    for doc in (out, scan, original):
        doc.close()
    return buf.getvalue()


def cid_garbage_pdf(src: Path, pages: list[int]) -> bytes:
    """Page images with the page's text drawn invisibly over them in a CID font whose
    encoding and character collection are then made unknown (no Unicode map: `(cid:N)`)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    images = render_pages(src, pages, PDF_DPI)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    with pdfplumber.open(src) as pdf:
        for number, image in zip(pages, images, strict=True):
            page = pdf.pages[number - 1]
            width, height = float(page.width), float(page.height)
            c.setPageSize((width, height))
            bilevel = image.point(lambda v: 255 if v > 160 else 0).convert("1")
            c.drawImage(ImageReader(bilevel), 0, 0, width, height)
            for line in page.extract_text_lines(return_chars=False):
                text = c.beginText(line["x0"], height - line["bottom"])
                text.setTextRenderMode(3)  # invisible, as a scanner's text layer
                text.setFont("STSong-Light", max(4.0, line["bottom"] - line["top"]))
                text.textLine(line["text"])
                c.drawText(text)
            c.showPage()
    c.save()
    # same-length edits keep the xref offsets valid: Identity-H codes, unknown collection
    data = buf.getvalue().replace(b"/UniGB-UCS2-H", b"/Identity-H  ").replace(b"(GB1)", b"(XB1)")
    assert b"/ToUnicode" not in data
    return data


def write_gold(corpus: Path, out: Path, name: str, fixture: str, note: str) -> None:
    gold = json.loads((corpus / f"{name}.gold.json").read_text(encoding="utf-8"))
    gold["file"] = fixture
    script = "scripts/make_mixed_pdf_fixtures.py"
    gold["transcription_notes"] = f"Gold of corpus/pdf/{name}.pdf unchanged; {note} ({script})."
    text = json.dumps(gold, ensure_ascii=False, indent=1)
    (out / fixture.replace(".pdf", ".gold.json")).write_text(text + "\n", encoding="utf-8")


def main() -> None:
    args = corpus_and_out(__doc__.splitlines()[0], "tests/fixtures/ocr_mixed")
    name, page = MIXED
    (args.out / f"{name}_mixed.pdf").write_bytes(mixed_pdf(args.corpus / f"{name}.pdf", page))
    write_gold(args.corpus, args.out, name, f"{name}_mixed.pdf", f"page {page} replaced by its {PDF_DPI} dpi scan")
    name, pages = CID
    (args.out / f"{name}_cid.pdf").write_bytes(cid_garbage_pdf(args.corpus / f"{name}.pdf", pages))
    write_gold(args.corpus, args.out, name, f"{name}_cid.pdf", f"pages {pages} as images under a (cid:N) text layer")


if __name__ == "__main__":
    main()
