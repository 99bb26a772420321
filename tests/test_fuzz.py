"""Property-based fuzzing (hypothesis, bounded in time) of the decoders, the table readers
and the sidecar parser: whatever the bytes, the result is a value or a reason, never an
exception, and never an encoding the `encoding_known` expectation would refuse (issue 17)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govreport_dagster.core.decode.encodings import KNOWN_ENCODINGS
from govreport_dagster.core.ingest import decode_content
from govreport_dagster.core.sidecar import parse_sidecar_bytes
from govreport_dagster.core.tables.digits import parse_number, split_groups

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REPORT_BITS = st.sampled_from(
    ["2021年", "政府信息公开", "一、总体情况", "本年新收政府信息公开申请数量", "<table><tr><td>", "</td>", "12",
     "9" * 30, " ", "\n", "|", "<meta charset=cp037>", "\x00", "（一）", "总计"]
)  # fmt: skip


@BOUNDED
@given(st.binary(max_size=4096), st.sampled_from(["a.txt", "a.html", "a.pdf", "a.docx", "a"]))
def test_decode_never_raises_on_bytes(data: bytes, name: str) -> None:
    outcome = decode_content(data, name)
    assert (outcome.document is None) != (outcome.rejection is None)
    if outcome.document is not None:
        assert outcome.document.detected_encoding in (*KNOWN_ENCODINGS, None)


@BOUNDED
@given(st.lists(REPORT_BITS, max_size=60), st.sampled_from(["utf-8", "gb18030", "utf-16-le"]))
def test_decode_never_raises_on_report_like_text(parts: list[str], codec: str) -> None:
    outcome = decode_content("".join(parts).encode(codec, "replace"), "r.txt")
    if outcome.document is not None:
        assert outcome.document.detected_encoding in (*KNOWN_ENCODINGS, None)


@BOUNDED
@given(st.lists(REPORT_BITS, max_size=80))
def test_sectioning_and_tables_never_raise(parts: list[str]) -> None:
    from govreport_dagster.core.sectioning import section_report
    from govreport_dagster.core.tables import extract_tables

    outcome = decode_content("".join(parts).encode(), "r.txt")
    if outcome.document is not None:
        extraction = extract_tables(outcome.document, section_report(outcome.document))
        assert all(c.value is None or abs(c.value) < 10**12 for c in extraction.cells)


@BOUNDED
@given(st.text(max_size=40))
def test_parse_number_is_a_finite_count_or_a_reason(token: str) -> None:
    value, note = parse_number(token)
    if value is None:
        assert note
    else:
        assert abs(value) < 10**12


@BOUNDED
@given(st.lists(st.text("0123456789", min_size=1, max_size=30), min_size=1, max_size=4), st.integers(1, 8))
def test_split_groups_is_bounded(groups: list[str], n: int) -> None:
    for split in split_groups(groups, n):
        assert len(split) == n


@BOUNDED
@given(st.one_of(st.binary(max_size=2048), st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["report_year", "agency", "title", "source_url", "x"]), inner, max_size=5),
    max_leaves=20).map(lambda v: __import__("json").dumps(v).encode())))  # fmt: skip
def test_sidecar_parser_never_raises(raw: bytes) -> None:
    fields, problem = parse_sidecar_bytes(raw, "s.json")
    year = fields.get("report_year")
    assert year is None or (type(year) is int and 1900 <= year <= 2100)
    for key in ("agency", "title", "source_url"):
        if key in fields:
            fields[key].encode("utf-8")
    assert problem is None or isinstance(problem, str)
