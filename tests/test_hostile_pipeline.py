"""The whole pipeline over the hostile landing zone (issue 17): exits 0, publishes every
year that has good reports, accounts for every file with a status and a reason, stays in
bounded time and memory, and reads nothing outside the landing root."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from govreport_dagster.core.schemas import LEDGER_STATUSES
from tests.hostile.generate import generate
from tests.process_memory import run_measured

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _strings_in_warehouse(warehouse: Path) -> str:
    texts = []
    for path in warehouse.rglob("*.parquet"):
        table = pq.read_table(path)
        for column in table.column_names:
            if str(table.schema.field(column).type) in ("string", "large_string"):
                texts.extend(str(v) for v in table.column(column).to_pylist() if v)
    return "\n".join(texts)


def test_hostile_landing_zone(tmp_path: Path) -> None:
    made = generate(tmp_path / "hostile", outside=tmp_path / "outside")
    assert len(made) >= 1000
    warehouse = tmp_path / "wh"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    command = [sys.executable, "-m", "govreport_dagster.cli", "run", "--landing",
               str(tmp_path / "hostile" / "landing"), "--warehouse", str(warehouse)]  # fmt: skip
    run = run_measured(command, env, tmp_path, timeout=3000)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    print(f"hostile run: peak process RSS {run.peak_process_mib:.0f} MiB, tree PSS {run.peak_tree_pss_mib:.0f} MiB")
    # The stated bound (issues 11 and 17) is 1 GiB for the run's process tree: its sampled PSS
    # sum (forked workers' shared pages counted once) stays under it.
    assert run.peak_tree_pss_mib <= 1024, f"peak tree PSS {run.peak_tree_pss_mib:.0f} MiB"
    # A runaway document (the 3 GB flate bomb at 6 GiB) would show in one process's
    # high-water RSS even between two samples. That figure counts pages shared with other
    # processes (a forked child starts with its parent's resident pages), so it is held to a
    # runaway bound. (One CI run under load saw 1563 MiB here with tree PSS 809 MiB; quiet
    # runs give 660-710 MiB: a short spike the sampler misses, not yet explained.)
    assert run.peak_process_mib <= 2048, f"peak process RSS {run.peak_process_mib:.0f} MiB"
    assert "markup[/x]" in run.stdout  # printed as text, not read as markup

    ledger = pd.read_parquet(warehouse / "ingest_ledger")
    assert len(ledger) >= 1000
    assert set(ledger["status"].astype(str)) <= set(LEDGER_STATUSES)
    assert ledger["reason"].notna().all() and (ledger["reason"].str.len() > 0).all()
    refused = ledger.set_index(ledger["source_uri"].str.rsplit("/", n=1).str[-1])
    for name in ("fifo.txt", "socket.txt", "loop.txt", "outside_file.txt", "zero.txt", "sparse_too_big.txt"):
        assert refused.loc[name, "status"] == "rejected", name
    assert refused.loc["name_%FF%FE_latin1.txt", "status"] in ("parsed", "duplicate")
    assert "FIFO" in refused.loc["fifo_sidecar.txt", "reason"]
    for name in ("bomb_image_png.png", "bomb_image_jpeg.jpg", "bomb_image_scan.pdf"):
        assert refused.loc[name, "status"] == "rejected" and "image too large" in refused.loc[name, "reason"], name
    for name in ("bomb_image_inline.html", "bomb_image_picture.docx"):  # read; the picture left out, said why
        reason = refused.loc[name, "reason"]
        assert refused.loc[name, "status"] in ("parsed", "duplicate"), reason
        assert "image not read" in reason and "decompression bomb" in reason, reason

    reports = pd.read_parquet(warehouse / "reports")
    published = set(reports["report_year"].astype(int))
    manifest = pd.read_json(ROOT / "tests/fixtures/corpus/manifest.jsonl", lines=True)
    good_years = set(manifest.loc[manifest["file"].str.endswith(".txt"), "report_year"].astype(int))
    assert good_years <= published
    assert "LEAKED-FROM-OUTSIDE" not in _strings_in_warehouse(warehouse)
