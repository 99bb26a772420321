"""The facts suite's checks of corrections and suggestions (rendered into expectations/facts.json).

Plain expectation declarations and the one derived frame they need; the GX layer renders and
runs them like the rest of the facts suite:

- a corrected cell has its provenance (correction id, who, when, why) and its correction is
  `applied` in the year's `corrections` table: a stale, unmatched or conflicting correction is
  never published (`corrected_cells`, a frame derived from the fact tables and `corrections`);
- every cell that is not `corrected` publishes exactly its printed value: suggestions are
  never applied;
- vocabularies of the new columns; a correction that did not apply is a warning to re-check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ..core.corrections import STATUSES
from ..core.stewardship import CORRECTED, FACT_COLUMNS, PROVENANCE_COLUMNS, VALUE_BASES
from ..core.suggestions import CERTAINTIES, RULES

CORRECTED_CELLS = "corrected_cells"  # a derived frame, validated, never written to the warehouse
CORRECTED_CELLS_COLUMNS = ["report_id", "fact_table", "row_key", "col_key", "cell_state", *PROVENANCE_COLUMNS,
                           "has_provenance", "correction_status"]  # fmt: skip


def prepare_corrected_cells(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every fact cell that is corrected or names a correction, with whether its provenance is
    complete and the status of its correction in the year's `corrections` table."""
    corrections = frames.get("corrections")
    status: dict[tuple[str, str], str] = {}
    if corrections is not None and len(corrections):
        keys = zip(corrections["correction_id"], corrections["report_id"], corrections["status"], strict=True)
        status = {(str(cid), str(rid)): str(s) for cid, rid, s in keys}
    parts = []
    for table, row_col, col_col, _value, _printed in FACT_COLUMNS.values():
        frame = frames.get(table)
        if frame is None or "correction_id" not in frame.columns:
            continue
        chosen = frame[(frame["cell_state"] == CORRECTED) | frame["correction_id"].notna()]
        part = chosen[["report_id", row_col, col_col, "cell_state", *PROVENANCE_COLUMNS]].rename(
            columns={row_col: "row_key", col_col: "col_key"}
        )
        parts.append(part.assign(fact_table=table))
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CORRECTED_CELLS_COLUMNS[:-2])
    provenance = cells[list(PROVENANCE_COLUMNS)]
    cells["has_provenance"] = (provenance.notna() & (provenance.astype(str) != "")).all(axis=1).astype(bool)
    cells["correction_status"] = [
        status.get((str(cid), str(rid)), "not in corrections")
        for cid, rid in zip(cells["correction_id"], cells["report_id"], strict=True)
    ]
    return cells[CORRECTED_CELLS_COLUMNS].reset_index(drop=True)


def render_expectations(e: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """The stewardship expectations, built with the suite renderer's expectation factory."""
    out = [
        e("expect_column_values_to_be_in_set", "corrected_cells_have_provenance", "error",
          "A corrected cell names its correction, who made it, when and why.", table=CORRECTED_CELLS,
          column="has_provenance", value_set=[True],
          example_columns=["report_id", "fact_table", "row_key", "col_key", *PROVENANCE_COLUMNS]),
        e("expect_column_values_to_be_in_set", "no_stale_correction_applied", "error",
          "A corrected cell's correction is `applied` in the year's corrections table (a stale, unmatched or "
          "conflicting correction is never published).", table=CORRECTED_CELLS, column="correction_status",
          value_set=["applied"], example_columns=["report_id", "fact_table", "row_key", "col_key", "correction_id",
                                                  "correction_status"]),
        e("expect_column_values_to_be_in_set", "corrections_status_vocabulary", "error",
          "corrections: applied | stale | unmatched | conflict.", table="corrections", column="status",
          value_set=list(STATUSES)),
        e("expect_column_values_to_not_be_null", "corrections_applied_name_report", "error",
          "corrections: an applied correction names its report.", table="corrections", column="report_id",
          row_condition='status == "applied"'),
        e("expect_column_values_to_be_in_set", "corrections_all_applied", "warn",
          "corrections: every recorded correction applies (stale: the source changed; re-check it).",
          table="corrections", column="status", value_set=["applied"],
          example_columns=["correction_id", "cell", "status", "status_reason", "source"]),
        e("expect_column_values_to_be_in_set", "correction_suggestions_rule_vocabulary", "error",
          "correction_suggestions: rules of core.suggestions.", table="correction_suggestions", column="rule",
          value_set=list(RULES)),
        e("expect_column_values_to_be_in_set", "correction_suggestions_certainty_vocabulary", "error",
          "correction_suggestions: unique | one_of_several.", table="correction_suggestions", column="certainty",
          value_set=list(CERTAINTIES)),
        e("expect_column_values_to_be_in_set", "identity_value_basis_vocabulary", "error",
          "identity_checks: identities evaluated on the printed or on the corrected values.",
          table="identity_checks", column="value_basis", value_set=list(VALUE_BASES)),
    ]  # fmt: skip
    for table, _row, _col, value, printed in FACT_COLUMNS.values():
        out.append(
            e("expect_column_pair_values_to_be_equal", f"{table}_uncorrected_as_printed", "error",
              f"{table}: a cell that is not corrected publishes its printed value (suggestions are never applied).",
              table=table, column_A=value, column_B=printed, row_condition=f'cell_state != "{CORRECTED}"')
        )  # fmt: skip
    return out
