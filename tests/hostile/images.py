"""Image decompression bombs: a few KB declaring 30000×30000 pixels (900 M pixels, ~900 MB
as grayscale once decoded), as a standalone PNG/JPEG, inline in an HTML page, inside a
DOCX and as the page image of a scanned PDF. Only the header is honest: the pixel data is
a few rows, so nothing here ever holds the image decoded."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib

BOMB_SIDE = 30_000


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """An 8-bit grayscale PNG declaring width×height, with the first rows' data only."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress((b"\x00" + b"\xff" * width) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def jpeg_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A real 16×16 JPEG whose frame header (SOF0) is made to declare width×height."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (16, 16), 255).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    at = data.index(b"\xff\xc0")  # SOF0: marker, length(2), precision(1), height(2), width(2)
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def html_with_bomb(report_text: str) -> bytes:
    """A report page whose text is fine and whose one picture is an inline bomb."""
    source = base64.b64encode(png_bomb()).decode("ascii")
    paragraphs = "".join(f"<p>{line}</p>" for line in report_text.splitlines() if line.strip())
    return (
        f'<html><head><meta charset="utf-8"></head><body>{paragraphs}'
        f'<img src="data:image/png;base64,{source}"></body></html>'
    ).encode()


def docx_with_bomb(report_text: str) -> bytes:
    """A DOCX report (python-docx) with the bomb as a picture after its text."""
    import docx

    document = docx.Document()
    for line in report_text.splitlines():
        if line.strip():
            document.add_paragraph(line)
    document.add_picture(io.BytesIO(png_bomb()))
    saved = io.BytesIO()
    document.save(saved)
    fixed = io.BytesIO()  # the same bytes at every generation: zip entries without the save time
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, (2021, 1, 1, 0, 0, 0))
            target.writestr(entry, source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return fixed.getvalue()


def pdf_with_bomb(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A one-page scanned PDF (no text layer) whose page image declares width×height."""
    pixels = zlib.compress(b"\xff" * width * 4, 9)
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (width, height, len(pixels))
        + pixels
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
