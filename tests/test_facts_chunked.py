"""The year's facts read a chunk of reports at a time (issue 12) are the facts of the whole
year at once: the same frames (rows, order, dtypes) whatever the chunk size, with duplicates
split across chunks, a neighbour-year link and corrections; the stage frames give the same
reports as `bundles_from_frames`; and no more than a chunk of reports is asked for at once."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from builders import cells_from, full_bundle, make_bundle, t3_grid, t4_grid

from govreport_dagster.core import corrections as corr
from govreport_dagster.core.agencies import context_head
from govreport_dagster.core.facts import build_facts, build_year_facts
from govreport_dagster.core.ingest import IngestedFile
from govreport_dagster.core.model import ReportBundle
from govreport_dagster.core.year_reports import CHUNK_REPORTS, ListedYear
from govreport_dagster.storage.frames import bundles_from_frames, decoded_frame, sectioned_frames, tables_frames
from govreport_dagster.storage.year_reports import StageFramesYear

PINGTAN = ("平潭综合实验区管委会", "平潭综合实验区")  # two spellings, one agency
HONGZE = "淮安市洪泽区人民政府"


def _sha(bundle: ReportBundle, n: int) -> ReportBundle:
    return replace(bundle, raw=replace(bundle.raw, sha256=f"{n:02x}" * 32))


def _current() -> list[ReportBundle]:
    """2021: 平潭 at positions 0 and 2 and 洪泽 at 1 and 4 (duplicates across chunks of 1–3)."""
    carried = t3_grid("2021")
    carried["carried_over"].update({"natural_person": 1, "total": 1})
    carried["total_processed"].update({"natural_person": 1, "total": 1})
    carried["granted"].update({"natural_person": 1, "total": 1})
    review = t4_grid()
    review["review"].update({"upheld": 10, "corrected": 1, "total": 0})  # total printed 0: a correction fixes it
    reports = [
        full_bundle("a1", agency=PINGTAN[0], t3=carried),
        full_bundle("b1", agency=HONGZE),
        full_bundle("a2", agency=PINGTAN[1], t3=carried),
        make_bundle("c1", 2021, "某某镇人民政府", cells=cells_from("t4", review)),
        full_bundle("b2", agency=HONGZE),
        make_bundle("d1", 2021, "另一个镇"),
        full_bundle("e1", agency="城关镇人民政府"),
    ]
    return [_sha(b, i + 1) for i, b in enumerate(reports)]


def _previous() -> list[ReportBundle]:
    """2020: 平潭's p0 has no table 3, p1 has (the link is p1); 洪泽's q1; an unrelated z."""
    grid = t3_grid("2019")
    grid["carried_forward"].update({"natural_person": 1, "total": 1})
    grid["new_received"].update({"natural_person": 1, "total": 1})
    reports = [
        make_bundle("z", 2020, "另一个县人民政府", cells=cells_from("t3", t3_grid("2019"))),
        make_bundle("p1", 2020, PINGTAN[1], cells=cells_from("t3", grid)),
        make_bundle("p0", 2020, PINGTAN[0]),
        make_bundle("q1", 2020, HONGZE, cells=cells_from("t3", t3_grid("2019"))),
    ]
    return [_sha(b, 0x40 + i) for i, b in enumerate(reports)]


def _following() -> list[ReportBundle]:
    return [_sha(full_bundle("f1", agency=PINGTAN[0], year=2022), 0x60)]


def _corrections() -> list[corr.Correction]:
    def entry(year: int, who: str, cell: str, printed: str, corrected: int) -> str:
        return f"""
  - report_year: {year}
    {who}
    cell: {cell}
    printed: {printed}
    corrected: {corrected}
    reason: 核对原件
    who: 张三
    when: 2026-11-30
"""

    text = "corrections:" + "".join(
        [
            entry(2021, f"report_sha256: '{'04' * 32}'", "t4.review.total", "0", 11),  # c1: applied
            entry(2021, f"report_sha256: '{'01' * 32}'", "t3.granted.total", "1", 2),  # a1: applied
            entry(2021, f"report_sha256: '{'02' * 32}'", "t4.review.total", "5", 6),  # b1: stale
            entry(2021, f"agency: {HONGZE}", "t4.review.total", "0", 1),  # b1 and b2: unmatched
            entry(2021, f"report_sha256: '{'ee' * 32}'", "t4.review.total", "0", 1),  # no such report
            entry(2020, f"report_sha256: '{'41' * 32}'", "t3.new_received.total", "1", 3),  # p1, a1's prior
        ]
    )
    found, problems = corr.parse_corrections(text, "c.yaml")
    assert problems == []
    return found


def _assert_same(expected: dict[str, pd.DataFrame], got: dict[str, pd.DataFrame]) -> None:
    assert list(got) == list(expected)
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(got[table], frame, check_exact=True, obj=table)


def test_chunk_size_is_a_small_fraction_of_a_national_year() -> None:
    assert 64 <= CHUNK_REPORTS <= 1000


@pytest.mark.parametrize("chunk_reports", [1, 2, 3])
def test_chunked_facts_are_the_whole_years_facts(chunk_reports: int) -> None:
    whole = build_facts(_current(), _previous(), _following(), _corrections())
    chunked = build_year_facts(
        ListedYear(_current()), ListedYear(_previous()), ListedYear(_following()), _corrections(), chunk_reports
    )
    _assert_same(whole, chunked)

    reports = chunked["reports"].set_index("report_id")
    flagged = reports["duplicate_agency_year"].to_dict()
    assert flagged == {"a1": True, "b1": True, "a2": True, "c1": False, "b2": True, "d1": False, "e1": False}
    checks = chunked["identity_checks"]
    carry = checks[(checks["report_id"] == "a2") & (checks["identity_id"] == "x_t3_carry")].set_index("scope")
    assert carry.loc["natural_person", "status"] == "passed"
    assert carry["detail"].str.contains("p1").all()  # the neighbour with table 3, not p0 (first by id)
    corrected = checks[(checks["report_id"] == "a1") & (checks["value_basis"] == "corrected")]
    assert len(corrected) and (corrected["identity_id"] == "x_t3_carry").any()  # p1's correction read too
    statuses = chunked["corrections"]["status"].value_counts().to_dict()
    assert statuses == {"applied": 2, "unmatched": 2, "stale": 1}  # the 2020 one is 2020's
    assert chunked["correction_suggestions"]["accepted"].tolist() == [True]  # c1's total: 11
    assert chunked["agencies"]["agency_name"].tolist()[:3] == [PINGTAN[0], HONGZE, PINGTAN[1]]


class _Recording(ListedYear):
    """A year that records which positions were asked for, and how."""

    def __init__(self, reports: list[ReportBundle]) -> None:
        super().__init__(reports)
        object.__setattr__(self, "asked", [])

    def bundles(self, positions):
        self.asked.append(("whole", list(positions)))
        return super().bundles(positions)

    def light_bundles(self, positions, *, with_tables):
        self.asked.append(("tables" if with_tables else "head", list(positions)))
        return super().light_bundles(positions, with_tables=with_tables)


def test_a_chunk_at_a_time_and_only_the_linked_neighbours() -> None:
    current, previous, following = _Recording(_current()), _Recording(_previous()), _Recording(_following())
    build_year_facts(current, previous, following, _corrections(), chunk_reports=2)
    assert max(len(p) for _how, p in current.asked) <= 2
    assert [p for how, p in current.asked if how == "whole"] == [[0, 1], [2, 3], [4, 5], [6]]
    # p1 for 平潭 (never p0: the link is decided from the heads), q1 for 洪泽, never z
    linked = sorted({previous.reports[p].report_id for how, ps in previous.asked if how == "tables" for p in ps})
    assert linked == ["p1", "q1"]
    assert build_year_facts(ListedYear([]), previous, following)["reports"].empty


# --------------------------------------------------------------------------------------
# The stage frames as a year of reports


def _stage_frames(bundles: list[ReportBundle], year: int) -> tuple[dict, dict, dict, dict]:
    ingested = [
        IngestedFile(b.raw.source_uri, b.raw.sha256, b.raw.size, "parsed", "ok", year, "folder", b.report_id, "txt")
        for b in bundles
    ]
    files = pd.DataFrame(
        [
            {
                "report_id": i.report_id,
                "source_uri": i.source_uri,
                "source_sha256": i.sha256,
                "bytes": i.size,
                "detected_type": i.detected_type,
                "year_source": i.year_source,
                "sidecar": json.dumps(b.raw.sidecar),
                "folder_year": year,
            }
            for i, b in zip(ingested, bundles, strict=True)
        ]
    )
    decoded = decoded_frame([(i, b.decoded) for i, b in zip(ingested, bundles, strict=True)], year)
    sectioned = sectioned_frames([(b.report_id, b.sectioned) for b in bundles], year)
    tables = tables_frames([(b.report_id, b.tables) for b in bundles[:-1]], year)  # the last never got here
    return {"files": files}, {"reports": decoded}, sectioned, tables


def test_stage_frames_give_bundles_from_frames_reports_a_chunk_at_a_time() -> None:
    long_text = "平潭综合实验区" + "正文" * 5000  # longer than the agency's context head
    bundles = [*_current(), replace(make_bundle("lost", 2021), raw=replace(make_bundle().raw, sha256="ff" * 32))]
    bundles[5] = replace(bundles[5], decoded=replace(bundles[5].decoded, text=long_text))
    frames = _stage_frames(bundles, 2021)
    year = StageFramesYear(*frames, 2021)
    whole = bundles_from_frames(*frames, 2021)
    assert len(year) == len(whole) == 7 and year.report_ids() == [b.report_id for b in whole]
    assert year.bundles(range(3)) + year.bundles([3, 4, 5, 6]) == whole
    assert year.has_table("t3") == [b.tables.has_table("t3") for b in whole]
    for light, full in zip(year.light_bundles(range(7), with_tables=True), whole, strict=True):
        assert (light.report_id, light.raw, light.tables) == (full.report_id, full.raw, full.tables)
        assert light.sectioned.metadata == full.sectioned.metadata and light.sectioned.sections == []
        assert light.decoded.text == context_head(full.decoded.text)
    assert len(whole[5].decoded.text) > len(context_head(whole[5].decoded.text))

    previous = bundles_from_frames(*_stage_frames([*_previous(), make_bundle("x", 2020)], 2020), 2020)
    expected = build_facts(whole, previous, [], _corrections())
    from_frames = StageFramesYear(*_stage_frames([*_previous(), make_bundle("x", 2020)], 2020), 2020)
    _assert_same(expected, build_year_facts(year, from_frames, ListedYear([]), _corrections(), 2))


def _stored(frames: tuple, folder, row_group: int) -> tuple:
    """The stage frames written as Parquet in row groups of `row_group` rows, as `StoredFrame`s."""
    from upath import UPath

    from govreport_dagster.storage.stored_frames import StoredFrame

    stored = []
    for index, stage in enumerate(frames):
        handles = {}
        for name, frame in stage.items():
            path = folder / f"{index}_{name}.parquet"
            frame.to_parquet(path, index=False, row_group_size=row_group)
            handles[name] = StoredFrame(UPath(path))
        stored.append(handles)
    return tuple(stored)


@pytest.mark.parametrize("row_group", [2, 3, 1000])
def test_stored_stage_frames_give_the_same_reports_and_facts(tmp_path, row_group: int) -> None:
    """The facts read their stage frames from Parquet a row group at a time (`StoredFrame`):
    the same bundles, light bundles and facts as from the frames in memory, whatever the
    row groups (a chunk that spans two, a file written as one)."""
    bundles = [*_current(), replace(make_bundle("lost", 2021), raw=replace(make_bundle().raw, sha256="ff" * 32))]
    frames = _stage_frames(bundles, 2021)
    in_memory = StageFramesYear(*frames, 2021)
    stored = StageFramesYear(*_stored(frames, tmp_path, row_group), 2021)
    assert stored.report_ids() == in_memory.report_ids() and len(stored) == 7
    assert stored.bundles([6, 0, 3, 4]) == in_memory.bundles([6, 0, 3, 4])  # out of order, across groups
    assert stored.has_table("t2") == in_memory.has_table("t2")
    assert stored.light_bundles(range(7), with_tables=True) == in_memory.light_bundles(range(7), with_tables=True)
    previous = _stage_frames([*_previous(), make_bundle("x", 2020)], 2020)
    expected = build_year_facts(in_memory, StageFramesYear(*previous, 2020), ListedYear([]), _corrections(), 2)
    (tmp_path / "p").mkdir()
    got = build_year_facts(stored, StageFramesYear(*_stored(previous, tmp_path / "p", row_group), 2020),
                           ListedYear([]), _corrections(), 2)  # fmt: skip
    _assert_same(expected, got)
