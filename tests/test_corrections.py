"""People's corrections: the file parsed and validated (bad entries named, the rest kept),
matched to reports, applied beside the printed values only while the source still prints
what they correct, identities kept on both bases, re-runs idempotent. Plain data, no Dagster."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from builders import cells_from, make_bundle, t4_grid

from govreport_dagster.core import corrections as corr
from govreport_dagster.core.facts import build_facts
from govreport_dagster.core.model import TableCell

SHA = "ab" * 32  # make_bundle's source hash

ENTRY = """
  - report_year: 2021
    report_sha256: {sha}
    cell: t4.review.total
    printed: 0
    corrected: 11
    reason: 总计印为0，各分项之和为11
    who: 张三
    when: 2026-11-30
"""


def _file(*entries: str) -> str:
    return "corrections:" + "".join(entries)


def _t4_bundle(total: float = 0, **kw):
    grid = t4_grid()
    grid["review"].update({"upheld": 10, "corrected": 1, "total": total})
    return make_bundle(cells=cells_from("t4", grid), **kw)


def _parsed(text: str) -> list[corr.Correction]:
    found, problems = corr.parse_corrections(text, "c.yaml")
    assert problems == []
    return found


def test_parse_a_valid_entry():
    [c] = _parsed(_file(ENTRY.format(sha=SHA.upper())))
    assert c.cell == ("t4", "review", "total") and c.printed == "0" and c.corrected == 11
    assert (c.report_year, c.report_sha256, c.who, c.when) == (2021, SHA, "张三", "2026-11-30")
    assert c.source == "c.yaml entry 1" and len(c.correction_id) == 12
    assert _parsed(_file(ENTRY.format(sha=SHA)))[0].correction_id == c.correction_id  # stable id


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("who: 张三", "who: ''"), "`who` is empty"),
        (("cell: t4.review.total", "cell: t4.review.sum"), "'sum' is not a column of t4"),
        (("cell: t4.review.total", "cell: review.total"), "is not table.row_key.col_key"),
        (("corrected: 11", "corrected: 2.5"), "is not a count"),
        (("corrected: 11", "corrected: 0"), "nothing to correct"),
        (("    reason:", "    why: x\n    reason:"), "unknown field(s) why"),
        ((f"report_sha256: {SHA}", "agency: ''"), "names no report"),
        (("report_year: 2021", "report_year: last"), "is not a year"),
    ],
)
def test_a_bad_entry_is_named_in_one_line_and_the_others_still_count(change, problem):
    bad = ENTRY.format(sha=SHA).replace(*change)
    good = ENTRY.format(sha=SHA).replace("t4.review.total", "t4.litigation_direct.total")
    found, problems = corr.parse_corrections(_file(bad, good), "c.yaml")
    assert [c.cell[1] for c in found] == ["litigation_direct"]
    assert len(problems) == 1 and problems[0].startswith("c.yaml entry 1: ") and problem in problems[0]
    assert "\n" not in problems[0]


def test_a_file_that_is_not_a_corrections_file():
    assert corr.parse_corrections("corrections: [", "x.yaml")[1][0].startswith("x.yaml: not valid YAML")
    assert "`corrections:` list" in corr.parse_corrections("- a\n- b\n", "x.yaml")[1][0]
    assert corr.parse_corrections("", "empty.yaml") == ([], [])


def test_canonical_printed():
    printed = [corr.canonical_printed(v) for v in (0, "0", 11.0, " 1,200 ", None, "—")]
    assert printed == ["0", "0", "11", "1200", "", "—"]


def test_match_by_hash_else_agency_and_never_between_several():
    bundle = _t4_bundle(report_id="r1", agency="洪泽区人民政府", year=2021)
    by_agency = replace(
        _parsed(_file(ENTRY.format(sha=SHA)))[0], correction_id="a", report_sha256=None, agency="淮安市洪泽区人民政府"
    )
    by_hash = _parsed(_file(ENTRY.format(sha=SHA)))[0]
    assigned, unmatched = corr.match_year([by_hash, by_agency], 2021, [bundle])
    assert [c.agency for c in assigned["r1"]] == [None, "淮安市洪泽区人民政府"] and unmatched == []
    twin = replace(_t4_bundle(report_id="r2", agency="洪泽区人民政府"), raw=replace(bundle.raw, sha256="cd" * 32))
    assigned, unmatched = corr.match_year([by_agency], 2021, [bundle, twin])
    assert assigned == {} and "2 reports of 2021 match by agency" in unmatched[0].status_reason
    _, unmatched = corr.match_year([replace(by_hash, report_sha256="ef" * 32)], 2021, [bundle])
    assert unmatched[0].status == "unmatched" and "source file changed" in unmatched[0].status_reason
    assert corr.match_year([by_hash], 2022, [bundle]) == ({}, [])  # another year's correction


def test_applied_stale_and_conflict():
    [c] = _parsed(_file(ENTRY.format(sha=SHA)))
    assert [o.status for o in corr.check_report([c], _t4_bundle(0))] == ["applied"]
    [stale] = corr.check_report([c], _t4_bundle(7))
    assert stale.status == "stale" and "now prints '7'" in stale.status_reason
    other = replace(c, correction_id="other", corrected=12)
    assert [o.status for o in corr.check_report([c, other], _t4_bundle(0))] == ["conflict", "conflict"]


def test_frame_round_trip():
    found = _parsed(_file(ENTRY.format(sha=SHA), ENTRY.format(sha=SHA).replace("review.total", "review.pending")))
    assert corr.from_frame(corr.to_frame(found)) == found
    assert corr.from_frame(corr.to_frame([])) == []


# --------------------------------------------------------------------------------------
# In the facts stage


def _facts(bundle, corrections=()):
    return build_facts([bundle], [], None, list(corrections))


def test_without_corrections_the_published_values_are_the_printed_ones():
    frames = _facts(_t4_bundle(0))
    t4 = frames["fact_review_litigation"]
    assert (t4["cell_state"] != "corrected").all() and t4["correction_id"].isna().all()
    assert t4["count"].equals(t4["printed_count"])
    assert set(frames["identity_checks"]["value_basis"]) == {"printed"}
    assert len(frames["corrections"]) == 0
    [suggestion] = frames["correction_suggestions"].to_dict("records")  # suggested, not applied
    assert suggestion["cell"] == "t4.review.total" and suggestion["suggested_value"] == 11
    assert not suggestion["accepted"]
    total = t4[(t4["proceeding_key"] == "review") & (t4["result_key"] == "total")].iloc[0]
    assert total["count"] == 0


def test_an_accepted_correction_is_published_with_the_printed_value_and_both_identity_results():
    frames = _facts(_t4_bundle(0), _parsed(_file(ENTRY.format(sha=SHA))))
    t4 = frames["fact_review_litigation"]
    total = t4[(t4["proceeding_key"] == "review") & (t4["result_key"] == "total")].iloc[0]
    assert (total["count"], total["printed_count"], total["raw_text"], total["cell_state"]) == (11, 0, "0", "corrected")
    assert (total["corrected_by"], total["corrected_at"]) == ("张三", "2026-11-30")
    assert total["correction_reason"].startswith("总计印为0")
    checks = frames["identity_checks"]
    review = checks[(checks["identity_id"] == "t4_block_total") & (checks["scope"] == "review")]
    by_basis = dict(zip(review["value_basis"], review["status"], strict=True))
    assert by_basis == {"printed": "failed", "corrected": "passed"}
    assert frames["reports"]["quality_status"].iloc[0] == "identity_violation"  # the printed report's status
    assert frames["corrections"]["status"].tolist() == ["applied"]
    assert frames["correction_suggestions"]["accepted"].tolist() == [True]
    again = _facts(_t4_bundle(0), _parsed(_file(ENTRY.format(sha=SHA))))
    for table, frame in frames.items():  # a re-run is idempotent
        pd.testing.assert_frame_equal(frame, again[table], obj=table)


def test_a_stale_correction_is_listed_and_not_applied():
    frames = _facts(_t4_bundle(7), _parsed(_file(ENTRY.format(sha=SHA))))
    t4 = frames["fact_review_litigation"]
    assert (t4["cell_state"] != "corrected").all() and t4["count"].equals(t4["printed_count"])
    assert frames["corrections"]["status"].tolist() == ["stale"]
    assert set(frames["identity_checks"]["value_basis"]) == {"printed"}


def test_t2_correction_keeps_printed_value():
    cells = [TableCell("t2", "normative_docs", "in_force", 9.0, "number", "9", "text", "char:0")]
    entry = ENTRY.format(sha=SHA).replace("t4.review.total", "t2.normative_docs.in_force")
    entry = entry.replace("printed: 0", "printed: 9")
    frames = _facts(make_bundle(cells=cells), _parsed(_file(entry)))
    row = frames["fact_active_disclosure"].iloc[0]
    assert (row["value"], row["printed_value"], row["cell_state"]) == (11.0, 9.0, "corrected")


def test_facts_suite_catches_a_stale_correction_applied_missing_provenance_and_a_silent_fix():
    from govreport_dagster.quality.preparation import prepare_facts
    from govreport_dagster.quality.runtime import validate_frame

    def outcomes(frames, table):
        return {o.check_name: o for o in validate_frame(prepare_facts(frames)[table], "facts", table=table)}

    frames = _facts(_t4_bundle(0), _parsed(_file(ENTRY.format(sha=SHA))))
    cells = outcomes(frames, "corrected_cells")
    assert cells["corrected_cells_have_provenance"].success and cells["no_stale_correction_applied"].success
    assert cells["no_stale_correction_applied"].element_count == 1
    assert outcomes(frames, "fact_review_litigation")["fact_review_litigation_uncorrected_as_printed"].success

    stale = {**frames, "corrections": frames["corrections"].assign(status="stale")}
    assert not outcomes(stale, "corrected_cells")["no_stale_correction_applied"].success
    anonymous = {**frames, "fact_review_litigation": frames["fact_review_litigation"].assign(corrected_by=None)}
    assert not outcomes(anonymous, "corrected_cells")["corrected_cells_have_provenance"].success
    silently_fixed = _facts(_t4_bundle(0))
    t4 = silently_fixed["fact_review_litigation"]
    t4.loc[(t4["proceeding_key"] == "review") & (t4["result_key"] == "total"), "count"] = 11
    check = outcomes(silently_fixed, "fact_review_litigation")["fact_review_litigation_uncorrected_as_printed"]
    assert not check.success and check.severity == "error"


def test_suggestions_file_is_a_corrections_file_that_needs_a_signature():
    frames = _facts(_t4_bundle(0))
    reports = {r["report_id"]: r for r in frames["reports"].to_dict("records")}
    text = corr.suggestions_file(2021, frames["correction_suggestions"].to_dict("records"), reports, "/x_corrections")
    assert "NOTHING HERE IS APPLIED" in text
    found, problems = corr.parse_corrections(text, "s.yaml")
    assert found == []
    assert problems == ["s.yaml entry 1: `who` is empty (a correction says why, who checked it and when)"]
    [c] = _parsed(text.replace('who: ""', 'who: "张三"').replace('when: ""', 'when: "2026-11-30"'))
    assert (c.cell, c.printed, c.corrected, c.report_sha256) == (("t4", "review", "total"), "0", 11, SHA)
    assert corr.check_report([c], _t4_bundle(0))[0].status == "applied"
