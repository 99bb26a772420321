"""Stage 1: raw bytes → DecodedDocument (normalised simplified text + table grids).

Public API: ``detect_type``, ``decode_file``, ``normalize_text``.
"""

from __future__ import annotations

import re

from govreport_dagster.core.decode.encodings import decode_bytes, repair_mojibake
from govreport_dagster.core.decode.grids import RawGrid, render_rows
from govreport_dagster.core.decode.normalize import (
    TABLE_END,
    TABLE_START,
    normalize_cells,
    normalize_core,
    normalize_text,
    strip_markers,
)
from govreport_dagster.core.decode.ocr import ocr_image
from govreport_dagster.core.decode.ocr.embedded import Resources, resolve_images
from govreport_dagster.core.decode.sniff import detect_type
from govreport_dagster.core.limits import MAX_DOCUMENT_BYTES, MAX_UNCOMPRESSED_BYTES
from govreport_dagster.core.model import DecodedDocument, Grid, GridCell, RejectedInput

__all__ = ["decode_file", "detect_type", "normalize_text"]

_UNSUPPORTED = {
    "ole": "unsupported format: OLE2 file that is neither a Word nor an Excel 97–2003 document (.ppt, .msg …)",
    "zip": "unsupported format: zip archive that is not a DOCX",
    "rtf": "unsupported format: RTF",
    "gzip": "unsupported format: gzip archive",
    "rar": "unsupported format: RAR archive",
    "7z": "unsupported format: 7z archive",
    "unknown": "unsupported format: unrecognised binary content",
}
_TABLE_SPAN_RE = re.compile(f"{TABLE_START}([^{TABLE_END}]*){TABLE_END}")


def decode_file(
    data: bytes,
    source_uri: str,
    detected_type: str | None = None,
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    resources: Resources | None = None,
) -> DecodedDocument:
    """Decode one raw file. Raises ``RejectedInput(reason)`` for anything unusable.

    `resources` reads a file the document refers to (an ``<img src>`` beside an HTML page in
    the landing zone); without it only inline (``data:``) images are read."""
    if len(data) > max_bytes:
        raise RejectedInput(f"file too large: {len(data):,} bytes exceeds the limit of {max_bytes:,}")
    if not data:
        raise RejectedInput("empty file")
    kind = detected_type or detect_type(data, source_uri)
    if kind in ("txt", "html"):
        return _decode_text(data, source_uri, kind, resources)
    if kind == "pdf":
        from govreport_dagster.core.decode.pdf_ocr import decode_pdf_blocks

        blocks, flags = decode_pdf_blocks(data)
        doc = _assemble(blocks, source_uri, "pdf", None, None)
        # still needs OCR only when the engine read nothing either (ingest rejects it with the reason)
        doc.flags["needs_ocr"] = bool(flags["whole_ocr_reason"]) and not doc.text.strip() and not doc.tables
        doc.flags["ocr_pages"] = flags["ocr_pages"]  # pages without a usable text layer (read by OCR)
        doc.flags["ocr_reason"] = flags["ocr_reason"]
        doc.flags["steps"].extend(flags["steps"])
        if doc.flags["needs_ocr"]:
            doc.flags["steps"].append("ocr: the engine read no text")
        doc.flags["pages"] = flags["pages"]
        return doc
    if kind == "image":
        doc = _assemble(ocr_image(data), source_uri, "image", None, None)
        doc.flags["steps"].append("ocr: image file")
        return doc
    if kind == "docx":
        from govreport_dagster.core.decode.docx import extract_docx

        ocr_steps: list[str] = []
        blocks = resolve_images(extract_docx(data, max_uncompressed=MAX_UNCOMPRESSED_BYTES), None, ocr_steps)
        doc = _assemble(blocks, source_uri, "docx", None, None)
        doc.flags["steps"].extend(ocr_steps)
        return doc
    if kind in ("doc", "xls", "xlsx"):
        return _decode_office(data, source_uri, kind, max_bytes)
    raise RejectedInput(_UNSUPPORTED.get(kind, f"unsupported format: {kind}"))


def _decode_office(data: bytes, source_uri: str, kind: str, max_bytes: int) -> DecodedDocument:
    from govreport_dagster.core.decode.office import extract_doc, extract_spreadsheet

    limit = max(4 * max_bytes, 1_000_000)
    if kind == "doc":
        blocks = extract_doc(data, max_uncompressed=limit)
    else:
        blocks = extract_spreadsheet(data, kind, max_uncompressed=limit)
    return _assemble(blocks, source_uri, kind, None, None)


def _decode_text(data: bytes, source_uri: str, kind: str, resources: Resources | None = None) -> DecodedDocument:
    text, encoding = decode_bytes(data, is_html=(kind == "html"))
    text, mojibake, replacement = repair_mojibake(text)
    if kind == "html":
        from govreport_dagster.core.decode.html import extract_html

        blocks, title = extract_html(text)
        ocr_steps: list[str] = []
        blocks = resolve_images(blocks, resources, ocr_steps)
        if title:
            # The page title is the report title; main-content detection often leaves it in
            # a sibling header block. Prepend its first part when the body does not repeat it.
            head = re.split(r"[_|]| - ", title)[0].strip()
            first_text = next((b for b in blocks if isinstance(b, str)), "")
            if head and head not in first_text[: 4 * len(head) + 200]:
                blocks.insert(0, head)
        doc = _assemble(blocks, source_uri, "html", encoding, text)
        doc.flags["steps"].extend(ocr_steps)
    else:
        doc = _assemble([text], source_uri, "txt", encoding, text)
    doc.flags["mojibake"] = mojibake
    doc.flags["replacement_chars"] = replacement
    if mojibake == "repaired":
        doc.flags["steps"].insert(0, "mojibake_repaired")
    return doc


def _normalise_grids(grids: list[RawGrid]) -> tuple[list[RawGrid], int]:
    """The grids with normalised cell texts (one normaliser pass for all cells) and text layers."""
    cell_texts = [cell.text for g in grids for row in g.rows for cell in row]
    normalised_cells, cell_pinyin = normalize_cells(cell_texts)
    it = iter(normalised_cells)
    norm_grids = [
        RawGrid(
            [
                [GridCell(next(it), c.row, c.col, c.origin_row, c.origin_col, c.rowspan, c.colspan) for c in row]
                for row in g.rows
            ],
            g.source,
            g.page,
            normalize_text(g.text_layer)[0] if g.text_layer else None,
            g.ocr,
        )
        for g in grids
    ]
    return norm_grids, cell_pinyin


def _assemble(
    blocks: list[str | RawGrid], source_uri: str, source_format: str, encoding: str | None, decoded: str | None
) -> DecodedDocument:
    """Normalise text blocks and grids together and locate each grid's rendered span."""
    grids = [b for b in blocks if isinstance(b, RawGrid)]
    norm_grids, cell_pinyin = _normalise_grids(grids)
    norm_by_id = {id(g): n for g, n in zip(grids, norm_grids, strict=True)}

    marked: list[str] = []
    original: list[str] = []
    for block in blocks:
        if isinstance(block, RawGrid):
            marked.append(TABLE_START + render_rows(norm_by_id[id(block)].rows) + TABLE_END)
            original.append(render_rows(block.rows))
        else:
            marked.append(strip_markers(block))
            original.append(block)
    text, flags = normalize_core("\n".join(marked))
    final, tables = _locate_grids(text, norm_grids)

    script = flags.pop("original_script")
    flags.pop("han_chars_converted", None)
    flags["pinyin_removed"] += cell_pinyin
    flags.setdefault("needs_ocr", False)
    flags.setdefault("mojibake", None)
    original_text = "\n".join(original) if decoded is None or source_format != "txt" else decoded
    return DecodedDocument(
        source_uri=source_uri,
        source_format=source_format,
        detected_encoding=encoding,
        original_script=script,
        text=final,
        original_text=original_text,
        tables=tables,
        flags=flags,
    )


def _locate_grids(text: str, grids: list[RawGrid]) -> tuple[str, list[Grid]]:
    """Drop the table markers from the normalised text and give each grid its char span."""
    tables: list[Grid] = []
    pieces: list[str] = []
    pos = 0
    removed = 0
    for index, m in enumerate(_TABLE_SPAN_RE.finditer(text)):
        pieces.append(text[pos : m.start()])
        start = m.start() - removed
        pieces.append(m.group(1))
        removed += 2
        g = grids[index] if index < len(grids) else None
        if g is not None:
            tables.append(Grid(g.rows, g.source, start, start + len(m.group(1)), g.page, g.text_layer, g.ocr))
        pos = m.end()
    pieces.append(text[pos:])
    return strip_markers("".join(pieces)), tables
