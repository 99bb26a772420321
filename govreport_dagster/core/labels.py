"""The `labels` table: every key's official label, for BI.

`label_zh` is the label as the template prints it (`（一）予以公开`, `3.其他`): the contract's
column, kept. `label` drops the printed item number (`予以公开`, `其他`) — what a chart axis
wants; `label_full` chains the label under its printed parents (`三、本年度办理结果 ›
（六）其他处理 › 3.其他`), so `3.其他` is never ambiguous. Join on both `key_type` and `key`:
`total` is an applicant key and a result key.
"""

from __future__ import annotations

from typing import Any

from .tables.legacy_forms import label_rows as legacy_label_rows
from .templates import load_templates, strip_printed_item_number

SEPARATOR = " › "


def _parents() -> dict[tuple[str, str], str]:
    """(key_type, key) → printed group chain, for the keys of the templates' tables."""
    raw = load_templates().raw["tables"]
    chains: dict[tuple[str, str], str] = {}
    for table, row_type, col_type in (("t3", "outcome_key", "applicant_key"), ("t4", "proceeding_key", "result_key")):
        rows = raw[table]["rows"]
        by_label = {r["label"]: r for r in rows}
        for row in rows:
            chain, group = [], row.get("group")
            while group:
                chain.insert(0, group)
                parent = by_label.get(group)
                group = parent.get("group") if parent else None
            chains[(row_type, row["key"])] = SEPARATOR.join([*chain, row["label"]])
        for column in raw[table]["columns"]:
            group = column.get("group")
            chains[(col_type, column["key"])] = SEPARATOR.join([g for g in (group, column["label"]) if g])
    return chains


def label_rows() -> list[dict[str, Any]]:
    chains = _parents()
    return [
        {
            "key_type": key_type,
            "key": key,
            "label_zh": label,
            "label": strip_printed_item_number(label or ""),
            "label_full": chains.get((key_type, key), label),
        }
        for key_type, key, label in [*load_templates().label_rows(), *legacy_label_rows()]
    ]
