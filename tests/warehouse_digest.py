"""A compact, order-free fingerprint of a warehouse: per contract table, the sha256 of its
sorted rows (run_id/seen_at dropped, landing paths made relative to the landing root).

Used by tests/test_behaviour_unchanged.py to show a restructure changed no published value:
`python -m tests.warehouse_digest <warehouse> <landing>` prints the JSON the test compares
against (tests/fixtures/corpus_warehouse_digest.json, generated at commit 48a95bb, before
issue 10's restructure).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

# Columns that differ between two runs of the same input by design.
VOLATILE = {"run_id", "seen_at"}


def _canonical(value: object, landing: str) -> str:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return "∅"
    text = str(value)
    return text.replace(landing, "<landing>")


def table_digest(frame: pd.DataFrame, landing: str) -> dict[str, object]:
    columns = sorted(c for c in frame.columns if c not in VOLATILE)
    rows = sorted(
        "\x1f".join(_canonical(v, landing) for v in row)
        for row in frame[columns].astype(object).itertuples(index=False, name=None)
    )
    digest = hashlib.sha256("\x1e".join(rows).encode("utf-8")).hexdigest()
    return {"rows": len(rows), "columns": columns, "sha256": digest}


def warehouse_digest(warehouse: Path, landing: Path) -> dict[str, dict[str, object]]:
    """Every contract table under `warehouse` (folders starting with `_` are working data)."""
    out = {}
    for table in sorted(p for p in warehouse.iterdir() if p.is_dir() and not p.name.startswith("_")):
        frame = pd.read_parquet(table)
        for col in frame.columns:  # hive partition columns come back as categories
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].astype(str)
        out[table.name] = table_digest(frame, str(landing.resolve()))
    return out


if __name__ == "__main__":
    print(json.dumps(warehouse_digest(Path(sys.argv[1]), Path(sys.argv[2])), indent=1, sort_keys=True))
