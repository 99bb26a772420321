"""Image decompression bombs (issue 17): an image declaring more pixels than the OCR cap is
refused on its header, before any pixel is decoded, with a one-line reason in the ledger;
the file's text (a page or DOCX around the picture) is still read and the run goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from builders import CORPUS, ledger_rows
from PIL import ImageFile

from govreport_dagster.core.decode.ocr.page import MAX_PIXELS, load_image
from govreport_dagster.core.model import RejectedInput
from govreport_dagster.execution_workers import decode_one
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.landing import scan
from tests.hostile.images import docx_with_bomb, html_with_bomb, jpeg_bomb, pdf_with_bomb, png_bomb

REPORT_TEXT = (CORPUS / "005.txt").read_text(encoding="utf-8")


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Any attempt to decode pixels fails the test (Pillow decodes in ImageFile.load)."""

    def decoded(*_args, **_kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoded)


@pytest.mark.parametrize(
    ("width", "height"),
    [(30_000, 30_000), (10_000, 5_000)],  # beyond Pillow's own bomb limit, and between it and our cap
)
@pytest.mark.parametrize("make", [png_bomb, jpeg_bomb])
def test_an_image_over_the_cap_is_refused_on_its_header(no_pixel_decoding, make, width, height) -> None:
    assert width * height > MAX_PIXELS
    data = make(width, height)
    assert len(data) < 10_000  # a few hundred bytes declaring millions of pixels
    with pytest.raises(RejectedInput) as refused:
        load_image(data)
    assert refused.value.reason.startswith("image too large: ") and "decompression bomb" in refused.value.reason
    assert f"{width * height:,} pixels" in refused.value.reason


def test_an_image_under_the_cap_is_still_decoded() -> None:
    assert load_image(png_bomb(200, 4)).shape == (4, 200)  # its 4 rows are all there


def _ledger(tmp_path: Path, files: dict[str, bytes]) -> dict[str, tuple[str, str]]:
    landing = tmp_path / "landing" / "2021"
    landing.mkdir(parents=True)
    for name, data in files.items():
        (landing / name).write_bytes(data)
    rows = ledger_rows(scan(tmp_path / "landing"), ResultCache(tmp_path / "cache"))
    return {row.source_uri.rsplit("/", 1)[-1]: (row.status, row.reason) for row in rows}


def test_every_kind_of_image_bomb_is_a_ledger_row_with_one_line_and_the_run_goes_on(
    tmp_path: Path, no_pixel_decoding
) -> None:
    started = time.perf_counter()
    ledger = _ledger(
        tmp_path,
        {
            "scan.png": png_bomb(),
            "scan.jpg": jpeg_bomb(),
            "scan.pdf": pdf_with_bomb(),
            "page.html": html_with_bomb(REPORT_TEXT),
            "report.docx": docx_with_bomb(REPORT_TEXT),
            "good.txt": REPORT_TEXT.encode("utf-8") + b"\n",
        },
    )
    assert time.perf_counter() - started < 120
    for name in ("scan.png", "scan.jpg"):
        assert ledger[name][0] == "rejected" and ledger[name][1].startswith("image too large: 900,000,000 pixels")
    assert ledger["scan.pdf"] == (
        "rejected",
        "PDF page 1: image too large: 30000×30000 = 900,000,000 pixels exceeds the cap of 40,000,000 "
        "(decompression bomb)",
    )
    # the page and the DOCX are reports: read, and the refused picture named in the reason
    for name, where in (("page.html", "inline data: URI"), ("report.docx", "'/word/media/image1.png'")):
        status, reason = ledger[name]
        assert status in ("parsed", "duplicate"), (name, reason)
        assert f"image not read ({where}): image too large: 900,000,000 pixels" in reason
    assert ledger["good.txt"][0] in ("parsed", "duplicate")
    assert all("\n" not in reason for _status, reason in ledger.values())


def test_a_pdf_page_image_is_refused_before_the_page_is_rendered(monkeypatch) -> None:
    import pypdfium2

    def rendered(*_args, **_kwargs):
        raise AssertionError("the page was rendered")

    monkeypatch.setattr(pypdfium2.PdfPage, "render", rendered)
    outcome = decode_one(pdf_with_bomb(), "scan.pdf")
    assert outcome.document is None and "image too large: 30000×30000" in outcome.rejection
