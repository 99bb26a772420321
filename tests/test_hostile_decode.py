"""Decoding hostile bytes: a file is rejected with a reason or decoded to an encoding the
`encoding_known` expectation allows, never handed to a year's blocking checks (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.decode.encodings import KNOWN_ENCODINGS
from govreport_dagster.core.decode.sniff import detect_type
from govreport_dagster.core.model import RejectedInput
from govreport_dagster.core.tables.digits import parse_number

ROOT = Path(__file__).resolve().parent.parent
HTML = (ROOT / "tests/fixtures/corpus/html/007.html").read_bytes()
TEXT = (ROOT / "tests/fixtures/corpus/001.txt").read_text(encoding="utf-8")


def test_known_encodings_are_the_suites_value_set() -> None:
    suite = json.loads((ROOT / "expectations/decoded.json").read_text(encoding="utf-8"))
    named = {e["meta"]["check_name"]: e for e in suite["expectations"]}
    allowed = named["encoding_known"]["kwargs"]["value_set"]
    assert sorted(allowed) == sorted(KNOWN_ENCODINGS)


def _outcome(data: bytes, name: str) -> str:
    """'rejected' or the detected encoding (which must then be known)."""
    try:
        doc = decode_file(data, name)
    except RejectedInput:
        return "rejected"
    assert doc.detected_encoding in (*KNOWN_ENCODINGS, None), doc.detected_encoding
    return doc.detected_encoding or "binary"


@pytest.mark.parametrize("charset", ["cp037", "unicode_escape", "cp1256", "hz", "latin-1"])
def test_declared_charset_outside_the_known_set_is_never_used(charset: str) -> None:
    page = HTML.replace(b"charset=utf-8", f"charset={charset}".encode()).replace(
        b"charset=UTF-8", f"charset={charset}".encode()
    )
    page = b'<html><head><meta charset="' + charset.encode() + b'"></head>' + page
    assert _outcome(page, "x.html") in (*KNOWN_ENCODINGS, "rejected")


def test_byte_flipped_html_never_decodes_to_an_unknown_encoding() -> None:
    flipped = bytes(b ^ 0x80 if i % 3 == 0 else b for i, b in enumerate(HTML))
    assert _outcome(flipped, "flipped.html") in (*KNOWN_ENCODINGS, "rejected")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_accepted(codec: str) -> None:
    data = TEXT.encode(codec)
    assert detect_type(data, "r.txt") == "txt"
    doc = decode_file(data, "r.txt")
    assert doc.detected_encoding == "utf-16"
    assert "政府信息公开" in doc.text


@pytest.mark.parametrize("digits", [13, 40, 60])
def test_cell_beyond_a_count_is_rejected_with_a_reason(digits: int) -> None:
    value, note = parse_number("9" * digits)
    assert value is None and "out of range" in note


@pytest.mark.parametrize("token", ["nan", "inf", "-Infinity", "1e400", "1_000"])
def test_cell_that_float_would_take_is_not_a_number(token: str) -> None:
    assert parse_number(token) == (None, f"not a number: {token!r}")


def _report_with(insert: str) -> str:
    base = (ROOT / "tests/fixtures/corpus/005.txt").read_text(encoding="utf-8")
    at = base.find("一、本年新收政府信息公开申请数量") + 16
    return base[:at] + insert + base[at:]


@pytest.mark.parametrize("insert", ["1" * 20_000, " ".join(["12"] * 20_000)])
def test_sectioning_and_tables_stay_linear_on_long_digit_runs(insert: str) -> None:
    """Before: 20k digits after a table label took 141 s in tables, 40k 445 s in sectioning."""
    import time

    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables

    doc = decode_file(_report_with(insert).encode(), "long.txt")
    started = time.perf_counter()
    extract_tables(doc, section_report(doc))
    assert time.perf_counter() - started < 15


def test_digit_run_longer_than_any_split_has_no_candidates() -> None:
    from govreport_dagster.core.tables.digits import split_groups

    assert split_groups(["1" * 200], 7) == []
    assert ("12", "3") in split_groups(["123"], 2)


@pytest.mark.parametrize(
    ("maker", "expected"),
    [("_docx_bomb", "zip bomb"), ("_docx_entities", "DTD/entities"), ("_pdf_pages", "pages, more than the limit of")],
)
def test_bombs_are_rejected_quickly(maker: str, expected: str) -> None:
    import time

    from tests.hostile import generate

    data = getattr(generate, maker)()
    started = time.perf_counter()
    with pytest.raises(RejectedInput, match=expected):
        decode_file(data, "bomb.docx" if "docx" in maker else "bomb.pdf")
    assert time.perf_counter() - started < 10


def test_pdf_flate_bomb_is_refused_before_inflating() -> None:
    from govreport_dagster.core.decode.pdf import check_stream_sizes
    from tests.hostile.generate import _pdf_bomb

    small = _pdf_bomb(8 * 2**20)
    check_stream_sizes(small, limit=16 * 2**20)  # within the limit: passes
    with pytest.raises(RejectedInput, match="flate bomb"):
        check_stream_sizes(small, limit=4 * 2**20)
