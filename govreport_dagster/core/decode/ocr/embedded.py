"""Images inside HTML pages and DOCX files: tables published as pictures.

The HTML and DOCX decoders leave an ``EmbeddedImage`` block where a picture sits; here each
one is fetched (a ``data:`` URI, the DOCX part, or — through the caller's ``resources``
function — a file beside the page in the landing zone) and, when it holds a ruled table,
replaced by the OCR blocks of that image. Pictures without a table (logos, seals, QR codes)
are dropped without OCR. Why only ruled tables: OCR text of decoration would pollute the
report text, and the official tables are always ruled.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from govreport_dagster.core.decode.grids import RawGrid
from govreport_dagster.core.model import RejectedInput

MAX_IMAGES = 40  # per document: a page of 500 thumbnails is not a report table
MAX_IMAGE_BYTES = 20_000_000
_MIN_SIDE = 60  # pixels: icons and spacers are smaller than any table (a two-row table is ~100)
_DATA_URI_RE = re.compile(r"^data:image/[a-z0-9.+-]+;base64,(.*)$", re.IGNORECASE | re.DOTALL)

# How a step about a refused picture starts: the ledger carries these steps in the file's
# reason (core.ingest), so a decompression bomb in a page is visible where files are listed.
IMAGE_NOT_READ = "image not read"

Resources = Callable[[str], bytes | None]  # a relative reference → the file's bytes (None: absent)


@dataclass(frozen=True)
class EmbeddedImage:
    """A picture in a document: its reference (src / part name) and bytes when inline."""

    src: str
    data: bytes | None = None


def image_bytes(image: EmbeddedImage, resources: Resources | None) -> bytes | None:
    if image.data is not None:
        return image.data
    m = _DATA_URI_RE.match(image.src.strip())
    if m:
        try:
            return base64.b64decode(m.group(1), validate=False)
        except (binascii.Error, ValueError):
            return None
    if resources is None or re.match(r"^[a-z][a-z0-9+.-]*:", image.src, re.IGNORECASE):
        return None  # remote images are never fetched: nothing goes to the internet at run time
    return resources(image.src)


def _label(src: str) -> str:
    """A picture's reference in one short line (an inline data: URI is not repeated)."""
    if src.strip().lower().startswith("data:"):
        return "inline data: URI"
    return repr(" ".join(src.split())[:60])


def _table_blocks(data: bytes) -> list[str | RawGrid]:
    """OCR blocks of an image that holds a ruled table; [] for any other picture."""
    from govreport_dagster.core.decode.ocr import ocr_gray
    from govreport_dagster.core.decode.ocr.page import load_image
    from govreport_dagster.core.decode.ocr.structure import find_tables

    gray = load_image(data)
    if min(gray.shape) < _MIN_SIDE or not find_tables(gray):
        return []
    return ocr_gray(gray)


def resolve_images(
    blocks: list[str | RawGrid | EmbeddedImage], resources: Resources | None, steps: list[str]
) -> list[str | RawGrid]:
    """Blocks with every picture replaced by its table's OCR blocks (or dropped). Problems
    (missing file, corrupt image, engine missing) are noted in `steps`, never raised: the
    document's text is still usable."""
    out: list[str | RawGrid] = []
    seen = 0
    for block in blocks:
        if not isinstance(block, EmbeddedImage):
            out.append(block)
            continue
        seen += 1
        if seen > MAX_IMAGES:
            continue
        data = image_bytes(block, resources)
        if not data:
            continue
        if len(data) > MAX_IMAGE_BYTES:
            steps.append(f"{IMAGE_NOT_READ} ({_label(block.src)}): {len(data):,} bytes exceed {MAX_IMAGE_BYTES:,}")
            continue
        try:
            found = _table_blocks(data)
        except RejectedInput as exc:
            steps.append(f"{IMAGE_NOT_READ} ({_label(block.src)}): {exc.reason}")
            continue
        if found:
            steps.append(f"ocr: table image {block.src[:60]!r}")
        out.extend(found)
    if seen > MAX_IMAGES:
        steps.append(f"{seen - MAX_IMAGES} images beyond the first {MAX_IMAGES} not examined")
    return out
