"""The restructure of issue 10 must not change a published value: a corpus run's warehouse,
table by table (sorted rows, run_id/seen_at dropped, landing paths relative), matches the
digest generated at commit 48a95bb, before the restructure (tests/warehouse_digest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest
from builders import CORPUS
from warehouse_digest import warehouse_digest

REFERENCE = Path(__file__).resolve().parent / "fixtures" / "corpus_warehouse_digest.json"


@pytest.mark.slow
def test_corpus_warehouse_matches_the_pre_restructure_digest(tmp_path: Path) -> None:
    from govreport_dagster.pipeline_runner import run_pipeline

    landing = tmp_path / "landing"
    shutil.copytree(CORPUS, landing)
    warehouse = tmp_path / "warehouse"
    with dg.instance_for_test() as instance:
        outcome = run_pipeline(str(landing), str(warehouse), instance=instance)
    assert not outcome.failures
    actual = warehouse_digest(warehouse, landing)
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert sorted(actual) == sorted(expected)
    for table, want in expected.items():
        assert actual[table] == want, f"{table} differs from the pre-restructure warehouse"
