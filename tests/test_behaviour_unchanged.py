"""The restructure of issue 10 must not change a published value: a corpus run's warehouse,
table by table (sorted rows, run_id/seen_at dropped, landing paths relative), matches the
digest generated at commit 48a95bb, before the restructure (tests/warehouse_digest.py).

Regenerated for issue 14, which changes published values on purpose in four tables:
fact_legacy_indicators (every 统计表 row keyed), identity_checks (49 `lf_*` checks added),
labels (legacy indicator keys and `lf_*` ids added), reports (a pre-2019 report's
status_reason says whether its 统计表 was read). The rows that existed before were checked
to be unchanged (identity_checks without `lf_*` and labels without the legacy rows hash to
the 48a95bb digest); the other six tables are identical.

Regenerated again for issue 15, whose changes to published values are deliberate and were
checked row by row against main's output: blank `raw_text` is null instead of '' (fact_active_disclosure,
fact_applications), and 淮安市洪泽区 2024 is now linked to 洪泽区 2023 by `agency_id`, so its
nine cross-year identities are assessed (passed) instead of not_assessable (identity_checks).
Every other table's digest is unchanged from 48a95bb.

Regenerated once more when issues 13–17 were merged together (each branch had regenerated it
for its own changes only): against issue 15's digest exactly issue 14's four tables differ
(fact_legacy_indicators, identity_checks +49 `lf_*`, labels, reports), as described above.
Without a corrections folder every published value is as printed (issue 16)."""

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
    expected = json.loads(REFERENCE.read_text(encoding="utf-8"))
    actual = warehouse_digest(warehouse, landing, reference=expected)
    assert sorted(actual) == sorted(expected)
    for table, want in expected.items():
        assert actual[table] == want, f"{table} differs from the pre-restructure warehouse"
