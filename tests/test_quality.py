"""The GX layer: every suite loads, good frames pass, bad frames fail with counts and examples,
the rendered suites equal what the template declares, Data Docs build offline.

GX takes seconds to import; the wrapper keeps one ephemeral context per process, so these
tests share it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from builders import cells_from, decoded_reports_frame, full_bundle, make_bundle, t3_grid

from govreport_dagster.core.facts import build_facts
from govreport_dagster.core.model import Section, TableCell
from govreport_dagster.core.tables.legacy_forms import form_identities
from govreport_dagster.core.templates import load_templates
from govreport_dagster.quality import data_docs, preparation, render, runtime, suites
from govreport_dagster.storage.frames import sectioned_frames, tables_frames


def by_name(outcomes):
    return {o.check_name: o for o in outcomes}


def failures(outcomes):
    return {o.check_name for o in outcomes if not o.success}


# --------------------------------------------------------------------------------------
# Suites as declarations


@pytest.mark.parametrize("name", suites.SUITES)
def test_suite_loads_into_gx_with_meta(name):
    import great_expectations as gx

    spec = suites.load_suite(name)
    suite = gx.ExpectationSuite(**spec)
    assert len(suite.expectations) == len(spec["expectations"]) > 5
    names = [e["meta"]["check_name"] for e in spec["expectations"]]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names)
    assert {e["meta"]["severity"] for e in spec["expectations"]} <= {"error", "warn"}


@pytest.mark.parametrize("name", render.RENDERED_SUITES)
def test_committed_suite_equals_template_rendering(name):
    committed = suites.suite_path(name).read_text(encoding="utf-8")
    assert committed == render.suite_text(render.render_suite(name)), (
        f"expectations/{name}.json drifted from templates.yaml: run python -m govreport_dagster.quality render"
    )


def test_facts_suite_has_one_identity_expectation_per_template_identity():
    committed = [e for e in suites.load_suite("facts")["expectations"] if "identity_id" in e["meta"]]
    assert committed == render.render_identity_expectations()
    declared = {i.id for i in load_templates().identities} | {i.id for i in form_identities()}
    assert {e["meta"]["identity_id"] for e in committed} == declared
    inequality = "expect_column_pair_values_a_to_be_greater_than_b"
    bounds = {e["meta"]["identity_id"] for e in committed if e["type"] == inequality}
    assert bounds == {i.id for i in form_identities() if i.kind in ("bound", "period_bound")}
    assert all(e["meta"]["severity"] == "warn" for e in committed)


def test_hand_written_section_vocabulary_matches_template():
    spec = suites.load_suite("sectioned")
    regex = next(e for e in spec["expectations"] if e["meta"]["check_name"] == "section_key_vocabulary")
    keys = set(re.search(r"\^\(\?:(.*)\|other_", regex["kwargs"]["regex"]).group(1).split("|"))
    assert keys == {s.key for s in load_templates().official_sections}


# --------------------------------------------------------------------------------------
# facts


@pytest.fixture(scope="module")
def good_facts():
    return build_facts([full_bundle("a"), full_bundle("b", agency="另一镇")], [])


def test_good_facts_pass_every_check(good_facts):
    outcomes = runtime.validate_frames(good_facts)
    assert outcomes and not failures(outcomes)
    named = by_name(outcomes)
    balance = named["identity_t3_balance"]
    assert balance.element_count == 14  # 7 columns × 2 reports, all assessable
    assert named["identity_x_t3_carry"].not_assessable == 14  # no previous year
    assert {o.table for o in outcomes} >= {"reports", "identity_checks", "fact_applications"}


def test_identity_violation_is_a_warning_with_lhs_rhs_examples():
    grid = t3_grid("2021", new_received={"natural_person": 23, "total": 23})
    frames = build_facts([full_bundle("broken", t3=grid)], [])
    named = by_name(runtime.validate_frames(frames))
    balance = named["identity_t3_balance"]
    assert not balance.success and balance.severity == "warn" and not balance.blocking_failure
    assert balance.unexpected_count == 2
    example = balance.unexpected_examples[0]
    assert example["report_id"] == "broken" and (example["lhs"], example["rhs"]) == (23.0, 0.0)
    assert "≠" in example["detail"]
    assert not any(o.blocking_failure for o in named.values())


def test_contract_violation_is_blocking(good_facts):
    frames = dict(good_facts)
    apps = frames["fact_applications"].copy()
    apps.loc[0, "outcome_key"] = "granted_typo"
    frames["fact_applications"] = apps
    checks = frames["identity_checks"].copy()
    checks.loc[0, "passed"] = pd.NA  # an assessed identity without a verdict
    frames["identity_checks"] = checks
    frames["reports"] = frames["reports"].drop(columns=["status_reason"])
    named = by_name(runtime.validate_frames(frames))
    vocab = named["fact_applications_outcome_key_vocabulary"]
    assert vocab.blocking_failure and vocab.unexpected_count == 1
    assert vocab.unexpected_examples == [{"report_id": "a", "outcome_key": "granted_typo"}]
    assert named["identity_assessed_has_verdict"].blocking_failure
    assert named["reports_columns"].blocking_failure


# --------------------------------------------------------------------------------------
# decoded


def _decoded(texts, **overrides):
    return preparation.prepare_decoded(decoded_reports_frame(texts, **overrides))


def test_decoded_suite():
    good = _decoded(["柯城区人民政府(2021)年度报告（一）总体情况", "城关镇 http://x.gov.cn (de)"])
    assert not failures(runtime.validate_frame(good, "decoded"))

    bad = _decoded(
        ["城关鎮(zhèn)人民政府", "發（fā）布", "\ufffd\ufffd乱码", ""],
        detected_encoding=["utf-8", "koi8-r", "gb18030", None],
        mojibake=[None, None, "suspected", None],
    )
    named = by_name(runtime.validate_frame(bad, "decoded"))
    assert named["no_pinyin_annotation"].unexpected_count == 2
    assert named["no_pinyin_annotation"].unexpected_examples[0]["report_id"] == "r0"
    assert named["encoding_known"].unexpected_count == 1
    assert named["replacement_ratio_low"].unexpected_count == 1 and named["replacement_ratio_low"].severity == "warn"
    assert named["mojibake_repaired_or_none"].unexpected_count == 1
    assert named["text_not_empty"].unexpected_count == 1


# --------------------------------------------------------------------------------------
# sectioned


def _six_sections(text="x" * 60) -> list[Section]:
    specs = load_templates().official_sections
    return [
        Section(s.key, s.heading, i + 1, i * 10, i * 10 + 10, text[i * 10 : i * 10 + 10]) for i, s in enumerate(specs)
    ]


def _sectioned(items, year):
    """The sectioned stage's frames. Sections are built here from the model (frames.py's
    sectioned_frames names the key column `key`, not `section_key`: reported to its owner)."""
    reports = sectioned_frames(items, year)["reports"]
    sections = pd.DataFrame(
        [
            {"report_id": rid, "report_year": year, "section_key": s.key, "heading": s.heading, "ordinal": s.ordinal,
             "char_start": s.char_start, "char_end": s.char_end, "text": s.text}
            for rid, rep in items
            for s in rep.sections
        ]
    )  # fmt: skip
    return {"reports": reports, "sections": sections}


def test_sectioned_suite():
    complete = make_bundle("good").sectioned
    complete.sections = _six_sections()
    gap = make_bundle("gap").sectioned
    gap.sections = [s for s in _six_sections() if s.key != "applications"]
    old = make_bundle("old", 2016).sectioned  # pre-2019: the six are not expected
    old.metadata.report_year = 2016
    good = _sectioned([("good", complete), ("old", old)], 2021)
    prepared = preparation.prepare_sectioned(good["reports"], good["sections"], 2021)
    named = by_name(runtime.validate_frame(prepared, "sectioned"))
    assert set(named) and failures(named.values()) == {"year_in_partition"}  # 2016 report in 2021
    assert named["year_in_partition"].unexpected_examples[0]["report_id"] == "old"

    bad = _sectioned([("good", complete), ("gap", gap)], 2021)
    bad["sections"].loc[0, "section_key"] = "summary"
    prepared = preparation.prepare_sectioned(bad["reports"], bad["sections"], 2021)
    named = by_name(runtime.validate_frame(prepared, "sectioned"))
    order = named["official_sections_present_in_order"]
    assert not order.success and order.severity == "warn"
    assert order.unexpected_count == 2  # per report: 'gap' misses one, 'good' now has a bad key
    assert named["section_key_vocabulary"].blocking_failure


# --------------------------------------------------------------------------------------
# tables


def test_tables_suite():
    bundle = full_bundle("t")
    good = tables_frames([("t", bundle.tables)], 2021)
    assert not failures(runtime.validate_frame(preparation.prepare_tables(good["cells"], good["reports"]), "tables"))

    bundle.tables.cells += [
        TableCell("t3", "unmapped:其他情形", "total", 1.0, "number", "1", "text", "char:1"),
        TableCell("t3", "granted", "total", 0.0, "number", "0", "text", "char:2"),  # duplicate key
        TableCell("t4", "review", "bogus", 1.0, "number", "1", "text", "char:3"),
        TableCell("t2", "licensing", "change", -2.0, "number", "-2", "text", "char:4"),  # 2019 key in 2021
    ]
    bundle.tables.cells += cells_from("t2", {"punishment": {"decisions": -1}, "fees": {"amount_10k_yuan": -0.5}})
    bundle.tables.cells += [TableCell("t3", "granted", "legal_services", 1.5, "number", "1.5", "text", "char:5")]
    bad = tables_frames([("t", bundle.tables)], 2021)
    named = by_name(runtime.validate_frame(preparation.prepare_tables(bad["cells"], bad["reports"]), "tables"))
    assert named["rows_mapped"].unexpected_count == 1 and named["rows_mapped"].severity == "warn"
    assert named["no_duplicate_cells"].blocking_failure
    assert named["keys_in_layout"].unexpected_count == 2  # the bogus column, a 2019-only key in a 2021 table
    assert named["counts_non_negative"].unexpected_count == 2  # punishment −1, fee −0.5 (change may be < 0)
    assert named["fees_non_negative"].unexpected_count == 1
    assert named["counts_integer"].unexpected_count == 1


def test_prepared_tables_keep_only_what_the_suite_reads_with_the_same_outcomes(monkeypatch):
    bundle = full_bundle("t")
    bundle.tables.cells += [TableCell("t3", "granted", "total", 1.5, "number", "1.5", "text", "char:5", note="x")]
    frames = tables_frames([("t", bundle.tables)], 2021)
    trimmed = preparation.prepare_tables(frames["cells"], frames["reports"])
    assert {"note", "confidence", "inferred"}.isdisjoint(trimmed.columns)  # no expectation reads them
    assert {"raw_text", "position", "cell_key", "value_fraction"} <= set(trimmed.columns)  # checked or required
    monkeypatch.setattr(preparation, "columns_read", lambda _suite: None)  # every column, as before
    whole = preparation.prepare_tables(frames["cells"], frames["reports"])
    assert {"note", "confidence", "inferred"} <= set(whole.columns)
    outcomes = runtime.validate_frame(trimmed, "tables")
    assert failures(outcomes) == {"no_duplicate_cells", "counts_integer"}
    assert outcomes == runtime.validate_frame(whole, "tables")  # verdicts, counts and examples alike


# --------------------------------------------------------------------------------------
# Data Docs


def _asset_links(page):
    """(url, resolved path or None) of every stylesheet, script and image the page loads."""
    html = page.read_text(encoding="utf-8")
    for match in re.finditer(r"""<(?:link|script|img)\b[^>]*?\b(?:href|src)=["']([^"']+)["']""", html):
        url = match.group(1)
        if url.startswith("data:"):
            continue
        local = None if re.match(r"[a-z]+://", url) else (page.parent / url.split("?")[0]).resolve()
        yield url, local


def test_data_docs_sites_share_static_files_and_load_nothing_from_the_network(tmp_path, good_facts):
    runs = runtime.run_facts_suite(good_facts)
    root = tmp_path / "docs"
    for year in ("2020", "2021"):
        index = data_docs.build_data_docs(
            runs, root / "report_facts" / f"report_year={year}", run_name=year, static_dir=root / "static"
        )
        assert index.is_file() and index.name == "index.html"
    assert not list(root.glob("report_facts/*/static"))  # one shared copy, not one per site
    assert (root / "static" / "vendor" / "bootstrap" / "bootstrap.min.css").is_file()
    assert not any((root / "static" / name).exists() for name in data_docs.UNREFERENCED_GX_STATIC)
    pages = list((root / "report_facts" / "report_year=2021" / "validations").rglob("*.html"))
    assert len(pages) == len(runs)
    html = " ".join(p.read_text(encoding="utf-8") for p in pages)
    assert "identity_checks" in html or "expect_column_pair_values_to_be_equal" in html
    links = [link for page in root.rglob("*.html") for link in _asset_links(page)]
    assert any("vendor/bootstrap/bootstrap.min.css" in url for url, _ in links)
    assert [url for url, local in links if local is None] == []  # no CDN left
    assert [url for url, local in links if not local.is_file()] == []  # every local link resolves
    assert json.loads(json.dumps([o.unexpected_examples for r in runs for o in r.outcomes]))  # JSON-able


def test_offline_html_maps_cdn_links_and_drops_the_rest():
    html = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>'
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">'
    )
    out = data_docs.offline_html(html, "../static/")
    assert out == (
        '<link rel="stylesheet" href="../static/vendor/bootstrap/bootstrap.min.css"/>'
        '<script src="../static/vendor/bootstrap/bootstrap.min.js"></script>'
        '<img src="../static/images/logo-long.png">'
    )
    assert all((data_docs.VENDOR_DIR / path).is_file() for path in data_docs.CDN_FILES.values())


def test_gx_is_imported_lazily_and_its_context_built_once():
    code = (
        "import sys, govreport_dagster.definitions, govreport_dagster.checks;"
        "print(any(m.split('.')[0] == 'great_expectations' for m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert loaded.stdout.strip() == "False"
    assert runtime.gx_context() is runtime.gx_context()
    assert runtime.gx_context().variables.progress_bars.globally is False
