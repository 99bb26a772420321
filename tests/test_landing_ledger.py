"""Stage 0: landing-zone scan and the ingest ledger's accounting identity."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from builders import SAMPLE, SEED_YEARS, ledger_rows, seed_path

from govreport_dagster.core.ingest import ledger_frame
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.landing import LandingZoneMissing, scan


def _ledger(landing: Path, tmp_path: Path, **kwargs):
    entries = scan(landing, **kwargs)
    rows = ledger_rows(entries, ResultCache(tmp_path / "cache"))
    return entries, ledger_frame(rows)


def _count_files(landing: Path) -> int:
    """Files in the landing zone that are reports (sidecars `<file>.json` are metadata)."""
    names = {p for p in landing.rglob("*") if p.is_file() or p.is_symlink()}
    return sum(1 for p in names if not (p.suffix == ".json" and p.with_suffix("") in names))


def test_seeds_all_parse_with_years_from_the_documents(tmp_path: Path) -> None:
    entries, ledger = _ledger(SAMPLE, tmp_path)
    assert len(ledger) == len(entries) == 5
    assert set(ledger["status"]) == {"parsed"}
    years = {Path(u).name[:3]: int(y) for u, y in zip(ledger["source_uri"], ledger["report_year"], strict=True)}
    assert years == SEED_YEARS
    assert set(ledger["year_source"]) <= {"title", "period_sentence", "text"}
    assert ledger["report_id"].is_unique


def test_ledger_identity_with_bad_and_duplicate_files(seed_landing: Path, tmp_path: Path) -> None:
    # nested YYYY/ folders at any depth, a sidecar, duplicates and every kind of bad input
    nested = seed_landing / "archive" / "2019" / "deep"
    nested.mkdir(parents=True)
    shutil.copy(seed_path("001"), nested / "kecheng-copy.txt")  # same bytes as a seed → duplicate
    (seed_landing / "empty.txt").write_bytes(b"")
    (seed_landing / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    (seed_landing / "noise.bin").write_bytes(os.urandom(2048))
    (seed_landing / "big.txt").write_bytes(b"x" * 30_000)
    (seed_landing / "no_year.txt").write_text("某单位工作情况说明。\n没有写年份的文本。\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret", encoding="utf-8")
    (seed_landing / "escape.txt").symlink_to(outside)
    sidecar_target = seed_landing / "2020" / "with_sidecar.txt"
    sidecar_target.parent.mkdir()
    sidecar_target.write_text(seed_path("003").read_text(encoding="utf-8") + "\n附:本页另存。", encoding="utf-8")
    (seed_landing / "2020" / "with_sidecar.txt.json").write_text(
        json.dumps({"report_year": 2024, "agency": "良口镇", "source_url": "http://example.invalid/a"}),
        encoding="utf-8",
    )

    entries, ledger = _ledger(seed_landing, tmp_path, max_file_bytes=20_000)

    # the pipeline's own accounting identity: files in landing = ledger rows
    assert len(ledger) == _count_files(seed_landing) == len(entries)
    assert ledger["source_uri"].is_unique
    by_name = {Path(u).name: row for u, row in zip(ledger["source_uri"], ledger.to_dict("records"), strict=True)}
    assert by_name["kecheng-copy.txt"]["status"] == "duplicate"
    assert "same bytes" in by_name["kecheng-copy.txt"]["reason"]
    assert by_name["empty.txt"]["status"] == "rejected" and "empty" in by_name["empty.txt"]["reason"]
    assert by_name["legacy.doc"]["status"] == "rejected"
    assert "doc" in by_name["legacy.doc"]["reason"].lower()
    assert by_name["noise.bin"]["status"] == "rejected"
    assert by_name["big.txt"]["status"] == "rejected" and "too large" in by_name["big.txt"]["reason"]
    assert by_name["escape.txt"]["status"] == "rejected" and "symlink" in by_name["escape.txt"]["reason"]
    assert by_name["no_year.txt"]["status"] == "year_unknown"
    # sidecar beats the YYYY/ folder, and the disagreement with the folder is not an error
    side = by_name["with_sidecar.txt"]
    assert (side["status"], side["report_year"], side["year_source"]) == ("parsed", 2024, "sidecar")
    for row in ledger.to_dict("records"):
        assert row["reason"], f"{row['source_uri']} has no reason"


def test_folder_year_wins_over_document_and_disagreement_is_noted(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "2018").mkdir(parents=True)
    shutil.copy(seed_path("000"), landing / "2018" / "chengguan.txt")  # the document says 2016
    _, ledger = _ledger(landing, tmp_path)
    row = ledger.iloc[0]
    assert row["status"] == "parsed"
    assert row["report_year"] == 2018 and row["year_source"] == "folder"
    assert "document says 2016" in row["reason"]


def test_missing_landing_zone_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LandingZoneMissing, match="does not exist"):
        scan(tmp_path / "nope")


def test_year_assignment_is_cached_by_content_hash(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    ledger_rows(scan(SAMPLE), cache)
    assert cache.summary()["decoded"] == {"hits": 0, "misses": 5}
    cache2 = ResultCache(tmp_path / "cache")
    ledger_rows(scan(SAMPLE), cache2)
    assert cache2.summary()["decoded"] == {"hits": 5, "misses": 0}


def test_removed_files_are_ledgered_as_removed(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    rows = ledger_rows(scan(SAMPLE), cache, previous_uris=[str(SAMPLE / "gone.txt")])
    frame = ledger_frame(rows)
    gone = frame[frame["status"] == "removed"]
    assert list(gone["source_uri"]) == [str(SAMPLE / "gone.txt")]


def test_cache_key_changes_when_the_template_or_core_code_changes(tmp_path: Path, monkeypatch) -> None:
    """Templates and every module the cached stages import count; a module they do not
    import (charts, benchmark, the GX layer) does not cold-start the cache."""
    import govreport_dagster.storage.cache as cache_module

    core = tmp_path / "core"
    (core / "tables").mkdir(parents=True)
    (core / "templates.yaml").write_text("tables: {}\n", encoding="utf-8")
    (core / "tables" / "__init__.py").write_text("from .extract import x\n", encoding="utf-8")
    (core / "tables" / "extract.py").write_text("def f():\n    from ..helper import y\n", encoding="utf-8")
    (core / "helper.py").write_text("y = 1\n", encoding="utf-8")
    (core / "charts.py").write_text("colour = 'red'\n", encoding="utf-8")
    monkeypatch.setattr(cache_module, "_CORE", core)

    def fingerprint() -> str:
        cache_module.code_fingerprint.cache_clear()
        return cache_module.code_fingerprint()

    first = fingerprint()
    assert fingerprint() == first
    (core / "templates.yaml").write_text("tables: {t3: {}}\n", encoding="utf-8")
    second = fingerprint()
    (core / "tables" / "extract.py").write_text("def f():\n    from ..helper import z\n", encoding="utf-8")
    third = fingerprint()
    (core / "helper.py").write_text("y = 2\n", encoding="utf-8")  # imported lazily by extract
    fourth = fingerprint()
    assert len({first, second, third, fourth}) == 4
    (core / "charts.py").write_text("colour = 'blue'\n", encoding="utf-8")
    assert fingerprint() == fourth
    cache_module.code_fingerprint.cache_clear()


def test_years_outside_the_partitions_are_year_unknown_with_the_reason(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "2007").mkdir(parents=True)
    shutil.copy(seed_path("000"), landing / "2007" / "old.txt")
    future = landing / "future.txt"
    shutil.copy(seed_path("002"), future)
    (landing / "future.txt.json").write_text(json.dumps({"report_year": 2090}), encoding="utf-8")
    _, ledger = _ledger(landing, tmp_path)
    rows = {Path(u).name: r for u, r in zip(ledger["source_uri"], ledger.to_dict("records"), strict=True)}
    assert rows["old.txt"]["status"] == rows["future.txt"]["status"] == "year_unknown"
    assert "2007 is outside the report years 2008–" in rows["old.txt"]["reason"]
    assert "2090 is outside" in rows["future.txt"]["reason"] and "sidecar" in rows["future.txt"]["reason"]


def _age(landing: Path, seconds: float = 3600) -> None:
    """Give every file an old mtime: only settled files get a content-hash memo entry."""
    old = time.time() - seconds
    for path in landing.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (old, old))


def _memo_landing(seed_landing: Path) -> Path:
    """Seeds plus a byte duplicate, a text duplicate, an undecodable and an empty file."""
    (seed_landing / "2019").mkdir()
    shutil.copy(seed_path("001"), seed_landing / "2019" / "copy.txt")
    (seed_landing / "spaced.txt").write_text(seed_path("002").read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    (seed_landing / "noise.bin").write_bytes(bytes(range(256)) * 8)
    (seed_landing / "empty.txt").write_bytes(b"")
    _age(seed_landing)
    return seed_landing


def test_hash_memo_leaves_the_ledger_unchanged_and_skips_reading(
    seed_landing: Path, tmp_path: Path, monkeypatch
) -> None:
    import govreport_dagster.storage.decoding as decoding_module
    import govreport_dagster.storage.landing as landing_module

    landing = _memo_landing(seed_landing)
    without_memo = ledger_frame(ledger_rows(scan(landing), ResultCache(None)))
    cold = ResultCache(tmp_path / "cache")
    cold_frame = ledger_frame(ledger_rows(scan(landing), cold))
    readable = int((without_memo["source_sha256"].notna()).sum())
    assert cold.summary()["content_sha"] == {"hits": 0, "misses": readable}

    reads: list[str] = []
    real_read = landing_module.read_bytes
    for module in (landing_module, decoding_module):
        monkeypatch.setattr(module, "read_bytes", lambda entry: reads.append(entry.source_uri) or real_read(entry))
    warm = ResultCache(tmp_path / "cache")
    warm_frame = ledger_frame(ledger_rows(scan(landing), warm))
    assert warm.summary()["content_sha"] == {"hits": readable, "misses": 0}
    assert reads == []  # hashes and identifications all came from the cache
    pd.testing.assert_frame_equal(warm_frame, without_memo)
    pd.testing.assert_frame_equal(cold_frame, without_memo)
    statuses = dict(zip(without_memo["source_uri"].map(lambda u: Path(u).name), without_memo["status"], strict=True))
    assert statuses["copy.txt"] == statuses["spaced.txt"] == "duplicate"


def test_a_file_with_a_new_mtime_is_hashed_again(seed_landing: Path, tmp_path: Path) -> None:
    landing = _memo_landing(seed_landing)
    ledger_rows(scan(landing), ResultCache(tmp_path / "cache"))
    changed = landing / "2019" / "copy.txt"
    changed.write_text(seed_path("004").read_text(encoding="utf-8") + "\n附:另一份。", encoding="utf-8")
    _age(changed.parent, 60)  # settled, but a different mtime from the memoised one

    cache = ResultCache(tmp_path / "cache")
    frame = ledger_frame(ledger_rows(scan(landing), cache))
    assert cache.summary()["content_sha"]["misses"] == 1
    row = frame[frame["source_uri"] == str(changed)].iloc[0]
    assert row["source_sha256"] == hashlib.sha256(changed.read_bytes()).hexdigest()
    assert row["status"] == "parsed" and row["report_year"] == 2019  # the folder year; no longer a copy
    pd.testing.assert_frame_equal(frame, ledger_frame(ledger_rows(scan(landing), ResultCache(None))))


def test_fresh_or_undated_files_are_not_memoised(seed_landing: Path, tmp_path: Path) -> None:
    # a file written just now could be rewritten within the same mtime tick: no memo entry
    _age(seed_landing, 0)  # copytree kept the seeds' old mtimes
    cache = ResultCache(tmp_path / "cache")
    ledger_rows(scan(seed_landing), cache)
    again = ResultCache(tmp_path / "cache")
    ledger_rows(scan(seed_landing), again)
    assert again.summary()["content_sha"] == {"hits": 0, "misses": 5}
    # without an mtime there is nothing to recognise an unchanged file by: always read
    undated = [dataclasses.replace(e, mtime=None) for e in scan(SAMPLE)]
    blind = ResultCache(tmp_path / "cache2")
    ledger_rows(undated, blind)
    ledger_rows(undated, blind)
    assert "content_sha" not in blind.summary()
