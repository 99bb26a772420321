"""DOCX (python-docx): paragraphs and tables in document order; merged cells expanded."""

from __future__ import annotations

import io
import zipfile

from govreport_dagster.core.decode.grids import RawGrid, SpanCell, expand_spans
from govreport_dagster.core.limits import MAX_UNCOMPRESSED_BYTES
from govreport_dagster.core.model import RejectedInput

MAX_UNCOMPRESSED = MAX_UNCOMPRESSED_BYTES  # one limit for DOCX parts and PDF streams (core.limits)
MAX_RATIO = 200  # deflate rarely beats ~20:1 on document XML; bombs reach thousands
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_zip(data: bytes, max_uncompressed: int) -> None:
    """Bound the uncompressed size and refuse DTDs before any XML is parsed."""
    try:
        _check_zip_parts(data, max_uncompressed)
    except RejectedInput:
        raise
    except Exception as exc:  # zipfile raises ValueError/zlib.error/struct.error … on damaged archives
        raise RejectedInput(f"damaged DOCX (corrupt zip): {type(exc).__name__}: {str(exc)[:120]}") from exc


def _check_zip_parts(data: bytes, max_uncompressed: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise RejectedInput(f"damaged DOCX (not a readable zip): {exc}") from exc
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_uncompressed:
            raise RejectedInput(
                f"DOCX zip bomb: uncompressed size {total / 1e9:.1f} GB exceeds limit {max_uncompressed / 1e9:.1f} GB"
            )
        for info in infos:
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 10_000_000:
                raise RejectedInput(
                    f"DOCX zip bomb: {info.filename} expands {info.file_size / info.compress_size:.0f}x "
                    f"to {info.file_size / 1e6:.0f} MB"
                )
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")):
                continue
            try:
                with zf.open(info) as fh:
                    head = fh.read(4096)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError) as exc:
                raise RejectedInput(f"damaged DOCX part {info.filename}: {exc}") from exc
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise RejectedInput(f"DOCX part {info.filename} declares a DTD/entities (refused: entity expansion)")


def _para_text(p) -> str:
    parts = []
    for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if el.tag == f"{_W}t":
            parts.append(el.text or "")
        elif el.tag == f"{_W}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc) -> str:
    texts = [_para_text(p) for p in tc.iter(f"{_W}p")]
    return " ".join(t.strip() for t in texts if t.strip())


def _int_attr(el, name: str, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(f"{_W}{name}", default)))
    except (TypeError, ValueError):
        return default


def _table_grid(tbl) -> RawGrid | None:
    """Word marks horizontal merges with gridSpan and vertical ones with vMerge
    (restart … continue); convert to rowspan/colspan and expand like HTML."""
    layout: list[list[tuple[int, int, str | None, str]]] = []  # (start col, span, vmerge, text)
    for tr in tbl.iterchildren(f"{_W}tr"):
        trpr = tr.find(f"{_W}trPr")
        col = _int_attr(trpr.find(f"{_W}gridBefore") if trpr is not None else None, "val", 0)
        row = []
        for tc in tr.iterchildren(f"{_W}tc"):
            tcpr = tc.find(f"{_W}tcPr")
            span = max(1, _int_attr(tcpr.find(f"{_W}gridSpan") if tcpr is not None else None, "val", 1))
            vm_el = tcpr.find(f"{_W}vMerge") if tcpr is not None else None
            vmerge = None if vm_el is None else (vm_el.get(f"{_W}val") or "continue")
            row.append((col, span, vmerge, _cell_text(tc)))
            col += span
        layout.append(row)
    span_rows: list[list[SpanCell]] = []
    for r, row in enumerate(layout):
        out_row = []
        for col, span, vmerge, text in row:
            if vmerge == "continue":
                continue  # covered by the restart cell above
            rowspan = 1
            if vmerge == "restart":
                for below in layout[r + 1 :]:
                    if any(c == col and v == "continue" for c, _, v, _ in below):
                        rowspan += 1
                    else:
                        break
            out_row.append(SpanCell(text, rowspan, span))
        span_rows.append(out_row)
    # gridBefore and continue cells leave holes the HTML algorithm fills left to right; place
    # cells at their Word grid columns instead by padding with explicit empty cells.
    rows = expand_spans(_pad_to_columns(layout, span_rows))
    return RawGrid(rows, "docx") if rows else None


def _pad_to_columns(layout: list, span_rows: list[list[SpanCell]]) -> list[list[SpanCell]]:
    # expand_spans skips positions covered by rowspans from above, which is exactly where
    # the vMerge "continue" cells were, so the HTML placement already matches Word's grid
    # except for gridBefore; prepend empty cells for it.
    padded = []
    for row_layout, row in zip(layout, span_rows, strict=True):
        lead = row_layout[0][0] if row_layout else 0
        padded.append([SpanCell("")] * lead + row if lead else row)
    return padded


def extract_docx(data: bytes, max_uncompressed: int = MAX_UNCOMPRESSED) -> list[str | RawGrid]:
    _check_zip(data, max_uncompressed)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise RejectedInput(f"damaged DOCX: {type(exc).__name__}: {str(exc)[:120]}") from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends on damaged parts
        raise RejectedInput(f"damaged DOCX: {type(exc).__name__}: {str(exc)[:120]}") from exc
    body = document.element.body
    blocks: list[str | RawGrid] = []
    buf: list[str] = []
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            buf.append(_para_text(child))
        elif child.tag == f"{_W}tbl":
            grid = _table_grid(child)
            if grid is None:
                continue
            if buf:
                blocks.append("\n".join(buf))
                buf = []
            blocks.append(grid)
        elif child.tag == f"{_W}sdt":  # content controls wrap ordinary paragraphs
            buf.extend(_para_text(p) for p in child.iter(f"{_W}p"))
    if buf:
        blocks.append("\n".join(buf))
    return blocks
