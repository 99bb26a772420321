"""The OCR engine adapter: RapidOCR (PaddleOCR's PP-OCRv4 models on onnxruntime).

Why this engine: its models ship inside the ``rapidocr-onnxruntime`` wheel (nothing is
downloaded at run time) and on the corpus table pages it read every digit right, where
Tesseract's chi_sim read ``1`` as ``工`` (docs/ocr.md has the comparison). The rest of the OCR
code sees only ``OcrEngine``: recognise text-line images, find text on a page; another engine
fits behind the same two methods.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

ENGINE_PACKAGE = "rapidocr-onnxruntime"


class OcrEngineMissing(Exception):
    """The OCR engine cannot be loaded on this machine; `reason` says why (one line)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TextLine:
    """A line of text found on a page: its box (x0, y0, x1, y1), text and confidence."""

    box: tuple[int, int, int, int]
    text: str
    confidence: float


class OcrEngine(Protocol):
    name: str

    def recognise(self, lines: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence (0..1) of each single-line grayscale image."""

    def find_text(self, page: np.ndarray) -> list[TextLine]:
        """Every text line of a grayscale page image."""


class RapidOcrEngine:
    """RapidOCR with its bundled models; one instance per process (model load ~0.5 s)."""

    name = "rapidocr"

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # the package, onnxruntime or OpenCV missing
            raise OcrEngineMissing(f"OCR engine not installed ({ENGINE_PACKAGE}: {exc})") from exc
        try:
            # One thread per session: onnxruntime's default pool spins on every core, which on a
            # shared or busy machine makes a page 10-50× slower; parallelism comes from files.
            self._ocr = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
        except Exception as exc:  # damaged install: model file missing or unreadable
            raise OcrEngineMissing(f"OCR engine cannot load its models: {type(exc).__name__}: {exc}") from exc
        self._lock = threading.Lock()  # onnxruntime sessions are shared; keep calls serial

    def recognise(self, lines: list[np.ndarray]) -> list[tuple[str, float]]:
        if not lines:
            return []
        import cv2

        images = [cv2.cvtColor(line, cv2.COLOR_GRAY2BGR) for line in lines]
        with self._lock:
            results, _ = self._ocr.text_rec(images)
        return [(str(text), float(score)) for text, score in results]

    def find_text(self, page: np.ndarray) -> list[TextLine]:
        import cv2

        with self._lock:
            found, _ = self._ocr(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR), use_cls=False)
        lines = []
        for box, text, score in found or []:
            xs = [p[0] for p in box]
            ys = [p[1] for p in box]
            lines.append(TextLine((int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))), str(text), float(score)))
        return lines


_engine: OcrEngine | None = None
_engine_lock = threading.Lock()


def get_engine() -> OcrEngine:
    """The process-wide engine. Raises OcrEngineMissing (not cached: installing it later works)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = RapidOcrEngine()
        return _engine


def clear_engine() -> None:
    """Forget the loaded engine: the next `get_engine` loads it again (after an install, or
    in a test that simulates the package missing)."""
    global _engine
    with _engine_lock:
        _engine = None
