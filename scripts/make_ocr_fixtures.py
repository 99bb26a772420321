"""Regenerate the OCR test fixtures from the corpus PDFs (not run by the tests).

The corpus PDFs ``../shared/corpus/pdf/p01–p03`` are rasterised with pypdfium2 into
grayscale images: an image-only PDF per report (no text layer: what a scanner produces) and a
PNG of each page that holds a table (what an HTML report embeds as ``<img>``). The gold is
copied with ``file`` pointing at the image-only PDF: the values are the same as printed.

Usage: python scripts/make_ocr_fixtures.py [--corpus ../shared/corpus/pdf] [--out tests/fixtures/ocr]
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pypdfium2
from PIL import Image

PDF_DPI = 200  # what office scanners produce; bilevel CCITT G4 keeps a page ~30 KB
PNG_DPI = 150  # grayscale web-page image of a table: ~90 KB a page
BILEVEL_THRESHOLD = 160
PAGES = {"p01": [1, 3, 4, 5], "p02": [1, 2, 3, 4], "p03": [1, 2, 3, 4, 5]}  # title page + table pages
PNG_PAGES = {"p01": [4], "p02": [3], "p03": [3]}  # table 3 pages as standalone images


def render_pages(pdf_path: Path, pages: list[int], dpi: int) -> list[Image.Image]:
    doc = pypdfium2.PdfDocument(str(pdf_path))
    try:
        out = []
        for number in pages:
            bitmap = doc[number - 1].render(scale=dpi / 72, grayscale=True)
            out.append(bitmap.to_pil().convert("L"))
        return out
    finally:
        doc.close()


def image_only_pdf(images: list[Image.Image], dpi: int = PDF_DPI) -> bytes:
    """A scanner's PDF: one bilevel (CCITT G4) image per page, no text layer."""
    bilevel = [im.point(lambda v: 255 if v > BILEVEL_THRESHOLD else 0).convert("1") for im in images]
    buf = io.BytesIO()
    bilevel[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=bilevel[1:])
    return buf.getvalue()


def corpus_and_out(description: str, default_out: str) -> argparse.Namespace:
    """The fixture scripts' arguments: where the corpus PDFs are, where the fixtures go (made)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus/pdf"))
    parser.add_argument("--out", type=Path, default=Path(default_out))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def main() -> None:
    args = corpus_and_out(__doc__.splitlines()[0], "tests/fixtures/ocr")
    for name, pages in PAGES.items():
        src = args.corpus / f"{name}.pdf"
        (args.out / f"{name}_scan.pdf").write_bytes(image_only_pdf(render_pages(src, pages, PDF_DPI)))
        for number, image in zip(PNG_PAGES[name], render_pages(src, PNG_PAGES[name], PNG_DPI), strict=True):
            image.save(args.out / f"{name}_page{number}.png", optimize=True)
        gold = json.loads((args.corpus / f"{name}.gold.json").read_text(encoding="utf-8"))
        gold["file"] = f"{name}_scan.pdf"
        gold["transcription_notes"] = (
            f"Gold of corpus/pdf/{name}.pdf unchanged; the fixture is its pages {pages} rasterised at "
            f"{PDF_DPI} dpi bilevel without a text layer (scripts/make_ocr_fixtures.py)."
        )
        text = json.dumps(gold, ensure_ascii=False, indent=1)
        (args.out / f"{name}_scan.gold.json").write_text(text + "\n", encoding="utf-8")
        print(name, "pages", pages)


if __name__ == "__main__":
    main()
