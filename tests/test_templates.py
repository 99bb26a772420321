"""The template declaration's derived views: versions by year, key unions, item numbers."""

from __future__ import annotations

import pytest

from govreport_dagster.core.templates import (
    LAYOUT_PRECEDENCE,
    TABLE_IDS,
    TEMPLATE_VERSIONS,
    load_templates,
    match_key,
    strip_item_number,
    strip_printed_item_number,
)


def test_version_for_year_follows_declared_report_years() -> None:
    tpl = load_templates()
    for version, spec in tpl.raw["versions"].items():
        first, last = spec["report_years"]
        assert tpl.version_for_year(first) == version
        if last is not None:
            assert tpl.version_for_year(last) == version
            assert tpl.version_for_year(last + 1) != version
    # before the first declared year: still the oldest template (no national table)
    first_version = next(iter(tpl.raw["versions"]))
    assert tpl.version_for_year(tpl.raw["versions"][first_version]["report_years"][0] - 5) == first_version
    assert tpl.version_for_year(2100) == TEMPLATE_VERSIONS[-1]


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_row_and_column_keys_are_the_union_of_the_layouts(table_id: str) -> None:
    tpl = load_templates()
    rows = {k for v in TEMPLATE_VERSIONS[1:] for k in tpl.layout(table_id, v).row_keys}  # type: ignore[union-attr]
    cols = {k for v in TEMPLATE_VERSIONS[1:] for k in tpl.layout(table_id, v).column_keys}  # type: ignore[union-attr]
    assert set(tpl.row_keys(table_id)) == rows and len(tpl.row_keys(table_id)) == len(rows)
    assert set(tpl.column_keys(table_id)) == cols and len(tpl.column_keys(table_id)) == len(cols)
    # each layout's own order is kept within the union
    for v in TEMPLATE_VERSIONS[1:]:
        layout = tpl.layout(table_id, v)
        assert layout is not None
        positions = [tpl.row_keys(table_id).index(k) for k in layout.row_keys]
        assert positions == sorted(positions)


def test_t3_excluded_rows_partition_the_other_processing_rows() -> None:
    tpl = load_templates()
    sub, single = tpl.excluded_rows("t3", "2019"), tpl.excluded_rows("t3", "2021")
    assert sub and single and not set(sub) & set(single)
    for version, excluded in (("2019", sub), ("2021", single)):
        layout = tpl.layout("t3", version)
        assert layout is not None
        assert not set(excluded) & set(layout.row_keys)
        assert set(excluded) <= set(tpl.row_keys("t3"))


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_every_table_declares_header_anchors(table_id: str) -> None:
    anchors = load_templates().header_anchors(table_id)
    assert anchors and all(match_key(a) for a in anchors)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("其中：1、网站公开", "网站公开"),
        ("（一）予以公开", "予以公开"),
        ("1.属于国家秘密", "属于国家秘密"),
        ("一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"),
        ("12．当面申请数", "当面申请数"),
        ("主动公开信息数", "主动公开信息数"),
        # only one marker, only at the start
        ("1.2.其他", "2.其他"),
        ("申请1.数", "申请1.数"),
    ],
)
def test_strip_item_number(label: str, expected: str) -> None:
    assert strip_item_number(label) == match_key(expected)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("（一）予以公开", "予以公开"),
        ("3.其他", "其他"),
        (" （五） 不予处理", "不予处理"),
        ("12．当面申请数", "当面申请数"),
        ("其中：1、网站公开", "网站公开"),
        ("本年收费金额（单位：万元）", "本年收费金额（单位：万元）"),  # printed punctuation kept
        ("“信息不存在”数", "“信息不存在”数"),
        ("1.2.其他", "2.其他"),
        ("1.", ""),
    ],
)
def test_strip_printed_item_number_cuts_the_same_marker_from_the_printed_label(label: str, expected: str) -> None:
    assert strip_printed_item_number(label) == expected
    assert match_key(strip_printed_item_number(label)) == strip_item_number(label)  # one pattern, two views


def test_strip_item_number_is_stable_on_folded_text() -> None:
    for label in ("其中：1、网站公开", "（二）部分公开", "三、本年度办理结果"):
        once = strip_item_number(label)
        assert strip_item_number(match_key(label)) == once


# --------------------------------------------------------------------------------------
# One API over the declaration: layouts, labels, wordings, cells, key types


def test_layouts_come_newest_first() -> None:
    tpl = load_templates()
    assert [layout.version for layout in tpl.layouts("t2")] == list(LAYOUT_PRECEDENCE) == ["2021", "2019"]
    assert tpl.has_layout("2019") and tpl.has_layout("2021")
    assert not tpl.has_layout("pre2019") and not tpl.has_layout("unknown") and not tpl.has_layout(None)


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_labels_one_per_key_in_printed_order(table_id: str) -> None:
    tpl = load_templates()
    assert [r.key for r in tpl.labels(table_id, "rows")] == list(tpl.row_keys(table_id))
    assert [c.key for c in tpl.labels(table_id, "columns")] == list(tpl.column_keys(table_id))


def test_shared_keys_take_the_newest_layouts_label_and_wordings_keep_both() -> None:
    tpl = load_templates()
    decisions = [c for c in tpl.labels("t2", "columns") if c.key == "decisions"]
    assert [c.label for c in decisions] == ["本年处理决定数量"]  # 2021's wording, not 2019's 处理决定数量
    worded = {c.label for c in tpl.wordings("t2", "columns") if c.key == "decisions"}
    assert worded == {"本年处理决定数量", "处理决定数量"}
    normative = next(r for r in tpl.labels("t2", "rows") if r.key == "normative_docs")
    assert normative.label == "行政规范性文件"


def test_cells_of_a_layout_in_printed_order() -> None:
    tpl = load_templates()
    cells = tpl.cells("t2", "2019")
    assert (cells[0][0].key, cells[0][1].key) == ("rules", "new_made")
    assert (cells[-1][0].key, cells[-1][1].key) == ("procurement", "amount_yuan")
    assert len(cells) == 2 * 3 + 2 * 3 + 2 * 3 + 1 * 2 + 1 * 2
    assert tpl.cells("t2", "pre2019") == ()
    t3 = tpl.cells("t3", "2021")
    assert len(t3) == len(tpl.layout("t3", "2021").row_keys) * 7  # type: ignore[union-attr]


def test_key_types_and_fact_tables_are_the_contracts() -> None:
    tpl = load_templates()
    assert tpl.key_types("t2") == ("item_key", "metric_key")
    assert tpl.key_types("t3") == ("outcome_key", "applicant_key")
    assert tpl.key_types("t4") == ("proceeding_key", "result_key")
    assert [tpl.fact_table(t) for t in TABLE_IDS] == [
        "fact_active_disclosure",
        "fact_applications",
        "fact_review_litigation",
    ]
    labels = {(kt, k): v for kt, k, v in tpl.label_rows()}
    assert labels[("proceeding_key", "litigation_direct")] == "行政诉讼未经复议直接起诉"
    assert labels[("outcome_key", "other_processing")] == "（六）其他处理"


def test_section_labels_are_the_official_headings() -> None:
    tpl = load_templates()
    assert tpl.section_labels == {s.key: s.heading for s in tpl.official_sections}
    assert "section_labels" not in tpl.raw


def test_every_narrative_home_section_is_an_official_section() -> None:
    tpl = load_templates()
    official = {s.key for s in tpl.official_sections}
    homes = {m.key: m.section for m in tpl.narrative_metrics}
    assert homes["items_published"] == "active_disclosure"
    assert all(section in official for section in homes.values() if section)
