"""The agencies dimension: one stable agency_id per body across years and name variants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govreport_dagster.core.agencies import normalise_name, resolve_agency
from govreport_dagster.core.decode import decode_file
from govreport_dagster.core.metadata import extract_metadata

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def _corpus_agencies() -> list[tuple[str, int, str, str]]:
    """(file, year, agency_id, manifest agency) for every corpus report, as the pipeline reads it."""
    manifest = {
        json.loads(line)["file"]: json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()
    }
    out = []
    for name, entry in manifest.items():
        doc = decode_file((CORPUS / name).read_bytes(), name)
        meta = extract_metadata(doc.text)
        agency = resolve_agency(meta.agency_name, doc.text, name)
        out.append((name, meta.report_year, agency.agency_id, entry["agency"]))
    return out


@pytest.fixture(scope="module")
def corpus_agencies() -> list[tuple[str, int, str, str]]:
    return _corpus_agencies()


def test_pingtan_2019_to_2025_share_one_agency_id(corpus_agencies) -> None:
    pingtan = [row for row in corpus_agencies if row[3].startswith("平潭综合实验区") and "局" not in row[3]]
    recent = [row for row in pingtan if 2019 <= row[1] <= 2025]
    assert len(recent) >= 4  # 2019, 2020, 2021 and the HTML copy of 2021
    assert len({row[2] for row in pingtan}) == 1, pingtan


def test_no_two_distinct_agencies_share_an_id(corpus_agencies) -> None:
    by_id: dict[str, set[str]] = {}
    for _file, _year, agency_id, manifest_agency in corpus_agencies:
        # the manifest names one body in several ways; fold its own variants before comparing
        body = manifest_agency.split(" ")[0].replace("人民政府", "").replace("管委会", "")
        body = body.replace("平潭县", "平潭综合实验区")  # the zone took over the county (the variant)
        by_id.setdefault(agency_id, set()).add(body)
    merged = {k: v for k, v in by_id.items() if len(v) > 1}
    # 洪泽区 is printed with and without its city (淮安市洪泽区): one body
    assert all(v <= {"淮安市洪泽区", "洪泽区"} for v in merged.values()), merged


def test_name_variants_map_to_one_id() -> None:
    ids = {
        resolve_agency(name).agency_id
        for name in (
            "平潭县人民政府",
            "平潭综合实验区管委会",
            "平潭综合实验区",
            "平潭縣人民政府",
            "平潭县人民政府办公室",
        )
    }
    assert len(ids) == 1


def test_departments_and_places_stay_apart() -> None:
    zone = resolve_agency("平潭综合实验区").agency_id
    assert resolve_agency("平潭综合实验区地方税务局").agency_id != zone
    assert resolve_agency("上海市人民政府参事室").agency_id != resolve_agency("上海市人民政府").agency_id
    assert resolve_agency("淮安市人民政府").agency_id != resolve_agency("淮安市洪泽区人民政府").agency_id


def test_unplaced_generic_names_are_never_merged() -> None:
    one, two = resolve_agency("审计局", "", "r1"), resolve_agency("审计局", "", "r2")
    assert one.agency_id != two.agency_id
    assert "not merged" in one.merge_reason


def test_township_placed_by_its_report_text() -> None:
    agency = resolve_agency("城关镇", "孟津县人民政府办公室关于……孟津县城关镇", "r")
    assert (agency.province, agency.county, agency.body, agency.level) == ("河南省", "孟津区", "城关镇", "township")
    assert "report's text" in agency.merge_reason


def test_junk_and_traditional_script_are_explained() -> None:
    name, steps = normalise_name("puroview.com沙頭鎮")
    assert name == "沙头镇"
    assert any("traditional" in s for s in steps) and any("puroview.com" in s for s in steps)
    spam = resolve_agency("澳门银河平潭县人民政府")
    assert spam.agency_id == resolve_agency("平潭县人民政府").agency_id
    assert "澳门银河" in spam.merge_reason


def test_level_and_parents_from_the_gazetteer() -> None:
    agency = resolve_agency("鄂托克旗棋盘井镇")
    assert (agency.province, agency.city, agency.county) == ("内蒙古自治区", "鄂尔多斯市", "鄂托克旗")
    assert agency.level == "township"
    assert resolve_agency("广东省人民政府").level == "province"
    assert resolve_agency("宿州市人民政府").level == "city"
    assert resolve_agency("上海市杨浦区政府").level == "county"


def test_a_gazetteer_failure_gives_the_report_its_own_id(monkeypatch) -> None:
    from types import SimpleNamespace

    from govreport_dagster.core import agencies

    def broken(*_args, **_kwargs):
        raise RuntimeError("gazetteer broke")

    monkeypatch.setattr(agencies, "resolve_agency", broken)
    bundle = SimpleNamespace(
        report_id="r-broken-gazetteer",  # a key no other test resolves (results are memoised)
        sectioned=SimpleNamespace(metadata=SimpleNamespace(agency_name="平潭县人民政府")),
        raw=SimpleNamespace(sidecar={}),
        decoded=SimpleNamespace(text=""),
    )
    agency = agencies.agency_of(bundle)
    assert "gazetteer failed" in agency.merge_reason and "not merged" in agency.merge_reason
    assert agency.agency_id != resolve_agency("平潭县人民政府").agency_id
