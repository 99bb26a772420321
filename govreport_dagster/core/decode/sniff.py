"""Real file type from the bytes (the extension is only a tie-breaker)."""

from __future__ import annotations

import io
import re
import zipfile

_HEAD = 4096
_MARKUP_RE = re.compile(
    r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s|<title>|<table[\s>]|<div[\s>]|<p[\s>]|<br\s*/?>|<span[\s>]",
    re.IGNORECASE,
)
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_BINARY_MAGIC = {
    b"\x89PNG": "image",
    b"\xff\xd8\xff": "image",
    b"GIF8": "image",
    b"\x1f\x8b": "gzip",
    b"Rar!": "rar",
    b"7z\xbc\xaf": "7z",
    b"{\\rtf": "rtf",
}


def _zip_kind(data: bytes, filename: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:  # any damage to the zip directory: not something we can open
        # … unless it says it is a spreadsheet: its reader then names the damage
        return "xlsx" if filename.lower().endswith(".xlsx") else "unknown"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def _clean_utf16(head: bytes) -> str | None:
    """Mostly-Han UTF-16 without a BOM has too few NULs for the parity test: accept it when
    one byte order decodes strictly to readable text."""
    from .encodings import readable_share

    even = head[: len(head) // 2 * 2]
    for codec in ("utf-16-le", "utf-16-be"):
        for cut in (0, 2):  # the head may end inside a surrogate pair
            try:
                text = even[: len(even) - cut].decode(codec)
            except UnicodeDecodeError:
                continue
            if readable_share(text) >= 0.9:
                return text
            break
    return None


# OLE2 compound files: the stream that holds the content names the application.
_OLE_STREAMS = {"worddocument": "doc", "workbook": "xls", "book": "xls"}
_OLE_EXTENSIONS = {".doc": "doc", ".dot": "doc", ".xls": "xls", ".xlt": "xls"}


def _ole_kind(data: bytes, filename: str) -> str:
    """doc | xls (Word 97–2003 / Excel 97–2003) | ole (another OLE2 file: .ppt, .msg …).

    A damaged container whose directory cannot be read is named by its extension, so that
    its reader reports what is wrong with it rather than "unsupported format"."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            streams = {entry[0].lower() for entry in ole.listdir()}
    except Exception:  # olefile raises several types on damaged directories
        dot = filename.lower().rfind(".")
        return _OLE_EXTENSIONS.get(filename.lower()[dot:], "ole") if dot != -1 else "ole"
    for stream, kind in _OLE_STREAMS.items():
        if stream in streams:
            return kind
    return "ole"


def _head_text(head: bytes) -> str | None:
    """The first bytes as text when they look like text (any common encoding)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", errors="ignore")
    nul = head.count(0)
    if nul:
        # UTF-16 without BOM: NULs in the high byte of ASCII characters, mostly on one parity.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if nul > len(head) // 50 and max(even, odd) >= 0.9 * nul:
            return head.decode("utf-16-le" if odd >= even else "utf-16-be", errors="ignore")
        if (text := _clean_utf16(head)) is not None:
            return text
        if nul > 2:
            return None
    controls = sum(1 for b in head if b < 0x09 or 0x0E <= b < 0x20)
    if controls > max(4, len(head) // 100):
        return None
    return head.decode("latin-1")  # enough for markup sniffing; real decoding comes later


def detect_type(data: bytes, filename: str = "") -> str:
    """pdf | docx | xlsx | doc | xls | ole | html | txt | zip | rtf | image | gzip | … | unknown.

    Looks only at the first few KB (and the zip directory for docx/xlsx, the OLE2 directory
    for doc/xls).
    """
    head = data[:_HEAD]
    if not head:
        return "unknown"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(data, filename)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data, filename)
    for magic, kind in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return kind
    text = _head_text(head)
    if text is None:
        return "unknown"
    if _MARKUP_RE.search(text):
        return "html"
    lowered = filename.lower()
    if lowered.endswith((".html", ".htm", ".shtml", ".xhtml")) and "<" in text and ">" in text:
        return "html"
    return "txt"
