"""Bad PDFs and Office files in a landing zone: each gets its own ledger row with a reason,
and the good files beside them are parsed (the year completes)."""

from __future__ import annotations

import shutil
from pathlib import Path

from builders import cid_text_page, ledger_rows, make_pdf, make_raw_pdf

from govreport_dagster.core.ingest import ledger_frame
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.landing import scan

OFFICE = Path(__file__).resolve().parent / "fixtures" / "corpus_office"


def test_each_bad_paged_file_has_its_reason_and_the_rest_parse(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / "2021"
    landing.mkdir(parents=True)
    shutil.copy(OFFICE / "007.xls", landing / "annex.xls")
    xls = (OFFICE / "007.xls").read_bytes()
    (landing / "locked.pdf").write_bytes(make_pdf(password="secret"))
    (landing / "compilation.pdf").write_bytes(make_raw_pdf([b"BT ET"] * 500))
    (landing / "cid.pdf").write_bytes(make_raw_pdf([cid_text_page()], cid_font=True))
    (landing / "broken.doc").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 900)
    (landing / "broken.xls").write_bytes(xls[: len(xls) // 2])
    rows = ledger_rows(scan(tmp_path / "landing"), ResultCache(tmp_path / "cache"))
    ledger = ledger_frame(rows)
    by_name = {Path(u).name: r for u, r in zip(ledger["source_uri"], ledger.to_dict("records"), strict=True)}
    assert len(by_name) == 6
    assert (by_name["annex.xls"]["status"], by_name["annex.xls"]["detected_type"]) == ("parsed", "xls")
    assert by_name["annex.xls"]["report_year"] == 2021
    expected = {
        "locked.pdf": "encrypted PDF",
        "compilation.pdf": "PDF has 500 pages, more than the limit of 200",
        "cid.pdf": "text layer is garbage on 1 of 1 pages",
        "broken.doc": "unreadable .doc (damaged)",
        "broken.xls": "unreadable .xls (damaged)",
    }
    for name, reason in expected.items():
        assert by_name[name]["status"] == "rejected", name
        assert reason in by_name[name]["reason"], (name, by_name[name]["reason"])
