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
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) or value == "":
        return "∅"  # issue 15 publishes blank text as null: '' and null are one value here
    text = str(value)
    return text.replace(landing, "<landing>")


def table_digest(frame: pd.DataFrame, landing: str, only: list[str] | None = None) -> dict[str, object]:
    columns = sorted(c for c in frame.columns if c not in VOLATILE and (only is None or c in only))
    rows = sorted(
        "\x1f".join(_canonical(v, landing) for v in row)
        for row in frame[columns].astype(object).itertuples(index=False, name=None)
    )
    digest = hashlib.sha256("\x1e".join(rows).encode("utf-8")).hexdigest()
    return {"rows": len(rows), "columns": columns, "sha256": digest}


def warehouse_digest(
    warehouse: Path, landing: Path, reference: dict[str, dict[str, object]] | None = None
) -> dict[str, dict[str, object]]:
    """Every contract table under `warehouse` (folders starting with `_` are working data).

    With a `reference` digest, only its tables and columns are digested: tables and columns
    added since (issue 15's `agencies`, `agency_id`, `landing_root`, `label`…) extend the
    contract without changing what the reference covers."""
    out = {}
    for table in sorted(p for p in warehouse.iterdir() if p.is_dir() and not p.name.startswith("_")):
        if reference is not None and table.name not in reference:
            continue
        frame = pd.read_parquet(table)
        for col in frame.columns:  # hive partition columns come back as categories
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].astype(str)
        for col in frame.columns:  # nullable Int64 since issue 15: render as the float64 pandas gave before
            if str(frame[col].dtype) == "Int64" and frame[col].isna().any():
                frame[col] = frame[col].astype("float64")
        if "landing_root" in frame.columns:  # source_uri relative to it since issue 15
            relative = ~frame["source_uri"].astype(str).str.startswith("/") & frame["source_uri"].notna()
            joined = frame["landing_root"].astype(str) + "/" + frame["source_uri"].astype(str)
            frame["source_uri"] = frame["source_uri"].astype(object).where(~relative, joined)
        if reference is not None:
            frame = frame[[c for c in frame.columns if c in reference[table.name]["columns"] or c in VOLATILE]]
        out[table.name] = table_digest(frame, str(landing.resolve()))
    return out


if __name__ == "__main__":
    print(json.dumps(warehouse_digest(Path(sys.argv[1]), Path(sys.argv[2])), indent=1, sort_keys=True))
