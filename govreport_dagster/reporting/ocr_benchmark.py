"""OCR throughput for the decode benchmark: pages per second over scanned PDFs and images.

Separate from the text-layer benchmark because OCR is three orders of magnitude slower
(seconds a page, not milliseconds a document): replicating it to 10,000 documents would take
hours. ``python -m govreport_dagster.reporting.ocr_benchmark FILE…`` prints one line.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OcrThroughput:
    files: int
    pages: int
    cells: int  # table cells read
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time: the figure a busy shared machine does not distort

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"ocr: {self.pages} pages ({self.files} files, {self.cells:,} table cells) in {self.seconds:.1f} s: "
            f"{self.pages_per_s:.2f} pages/s ({self.cpu_seconds:.1f} CPU s: "
            f"{self.cpu_seconds / max(self.pages, 1):.1f} CPU s a page)"
        )


def measure_ocr(files: list[tuple[str, bytes]]) -> OcrThroughput:
    """Decode every file through OCR (PDFs page by page, images as one page) and time it;
    the engine is loaded before the clock starts (a one-off per process)."""
    from govreport_dagster.core.decode.ocr import ocr_image, ocr_pdf, ocr_pdf_pages
    from govreport_dagster.core.decode.ocr.engine import get_engine

    get_engine()
    pages = cells = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for _name, data in files:
        if data[:5] == b"%PDF-":
            blocks = ocr_pdf(data)
            pages += ocr_pdf_pages(data)
        else:
            blocks = ocr_image(data)
            pages += 1
        cells += sum(len(b.ocr) for b in blocks if not isinstance(b, str))
    return OcrThroughput(len(files), pages, cells, time.perf_counter() - start, time.process_time() - cpu_start)


def main(argv: list[str] | None = None) -> None:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    print(measure_ocr([(p.name, p.read_bytes()) for p in paths]).line())


if __name__ == "__main__":
    main()
