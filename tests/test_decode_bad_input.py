"""Hostile and broken input: a DecodedDocument or a clean RejectedInput, in bounded time."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from builders import make_docx, make_pdf, mutate_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.model import DecodedDocument, RejectedInput

ROOT = Path(__file__).resolve().parent.parent
SEED_BYTES = [p.read_bytes() for p in sorted((ROOT / "data" / "sample").glob("*.txt"))]
SMALL_HTML = (
    "<html><head><meta charset='gbk'></head><body><p>一、总体情况</p><table>"
    "<tr><td rowspan=2>甲</td><td>1</td></tr><tr><td>2</td></tr></table></body></html>"
).encode("gbk")


def decode_or_reject(data: bytes, name: str = "x") -> DecodedDocument | RejectedInput:
    try:
        doc = decode_file(data, name)
    except RejectedInput as exc:
        assert exc.reason
        return exc
    assert isinstance(doc, DecodedDocument)
    assert isinstance(doc.text, str) and "\ue000" not in doc.text
    for grid in doc.tables:
        assert 0 <= grid.char_start <= grid.char_end <= len(doc.text)
    return doc


def test_size_limit_and_empty() -> None:
    with pytest.raises(RejectedInput, match="file too large"):
        decode_file(b"x" * 1001, "big.txt", max_bytes=1000)
    with pytest.raises(RejectedInput, match="empty file"):
        decode_file(b"", "e.txt")


def test_legacy_doc_rejected() -> None:
    # an OLE2 header with nothing behind it: damaged, said without starting LibreOffice
    with pytest.raises(RejectedInput, match=r"unreadable \.doc \(damaged\): no readable OLE2 directory"):
        decode_file(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512, "old.doc")


def test_binary_garbage_rejected() -> None:
    with pytest.raises(RejectedInput, match=r"unsupported format|undecodable"):
        decode_file(bytes(range(256)) * 16, "x.txt")


def test_undecodable_text_rejected() -> None:
    with pytest.raises(RejectedInput, match="undecodable bytes"):
        decode_file(bytes([0x81, 0x30, 0xFF, 0xFE, 0x80]) * 200, "x.txt", detected_type="txt")


def test_truncated_pdf_rejected() -> None:
    data = make_pdf()
    with pytest.raises(RejectedInput, match="PDF"):
        decode_file(data[: len(data) // 3], "cut.pdf")


def test_encrypted_pdf_rejected() -> None:
    with pytest.raises(RejectedInput, match="encrypted PDF"):
        decode_file(make_pdf(password="secret"), "locked.pdf")


def _zip_with(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_docx_zip_bomb_rejected_before_parsing() -> None:
    # 300 MB of zeros compresses to ~300 KB: rejected from the zip directory alone
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * 1_000_000
            for _ in range(300):
                fh.write(chunk)
    start = time.perf_counter()
    with pytest.raises(RejectedInput, match="DOCX zip bomb"):
        decode_file(buf.getvalue(), "bomb.docx")
    assert time.perf_counter() - start < 20  # a hang guard, not a speed target (see govreport bench)


def test_docx_entity_declarations_refused() -> None:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
        b"<w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = _zip_with({"[Content_Types].xml": b"<Types/>", "word/document.xml": lol})
    with pytest.raises(RejectedInput, match="DTD"):
        decode_file(data, "lol.docx")


def test_damaged_docx_rejected() -> None:
    data = _zip_with({"word/document.xml": b"<not xml"})
    with pytest.raises(RejectedInput, match="DOCX"):
        decode_file(data, "broken.docx")


@pytest.mark.parametrize(
    "html",
    [
        b"<html><body>" + b"<div>" * 1_000_000 + "正文".encode() + b"</div>" * 1_000_000,
        b"<p>" + b"<table><tr><td>" * 200_000,
        b"<html><body><table><tr><td rowspan=100000000 colspan=100000000>x</td></tr>" + b"<tr><td>1</td></tr>" * 2000,
    ],
    ids=["div-1e6", "table-2e5", "span-bomb"],
)
def test_pathological_html_bounded(html: bytes) -> None:
    start = time.perf_counter()
    result = decode_or_reject(html, "evil.html")
    assert time.perf_counter() - start < 60  # a hang guard, not a speed target (see govreport bench)
    if isinstance(result, RejectedInput):
        assert "HTML" in result.reason


_BASES = [*SEED_BYTES, SMALL_HTML]
_PROPERTY = settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(st.binary(max_size=4096), st.sampled_from(["a.txt", "a.html", "a.pdf", "a.docx", "a"]))
def test_random_bytes_never_crash(data: bytes, name: str) -> None:
    decode_or_reject(data, name)


@_PROPERTY
@given(
    st.sampled_from(range(len(_BASES))),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
)
def test_mutated_text_and_html_never_crash(base: int, ops: list[tuple[int, int, int]]) -> None:
    decode_or_reject(mutate_bytes(_BASES[base], ops), "m.html" if base == len(_BASES) - 1 else "m.txt")


_PDF = make_pdf()
_DOCX = make_docx()


@settings(max_examples=60, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["pdf", "docx"]),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_mutated_pdf_and_docx_never_crash(kind: str, ops: list[tuple[int, int, int]]) -> None:
    base = _PDF if kind == "pdf" else _DOCX
    decode_or_reject(mutate_bytes(base, ops), f"m.{kind}")
