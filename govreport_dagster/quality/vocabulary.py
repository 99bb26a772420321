"""What the template and the contract allow, as value sets for the rendered suites.

Key vocabularies come from the template API (`Templates.row_keys`/`column_keys`: every key of
a table over all layouts, in printed order), so the suites list them in the order a reader
of the printed table meets them.
"""

from __future__ import annotations

from ..core.model import SOURCE_FORMATS
from ..core.schemas import AGENCY_LEVELS, FACT_CELL_STATES, REPORT_QUALITY_STATUSES
from ..core.tables.legacy_forms import form_identities, indicator_keys
from ..core.templates import TABLE_IDS, TEMPLATE_VERSIONS, load_templates
from .suites import SEVERITIES

IDENTITY_STATUSES = ("passed", "failed", "not_assessable")

# The fact tables' names for a table's row and column keys.
KEY_COLUMNS = {
    "t2": ("fact_active_disclosure", "item_key", "metric_key"),
    "t3": ("fact_applications", "outcome_key", "applicant_key"),
    "t4": ("fact_review_litigation", "proceeding_key", "result_key"),
}

# Value set per column, or a regex (a str); with the description the expectation carries.
ColumnVocabulary = tuple[str, list[str] | str, str]


def identity_ids() -> list[tuple[str, str, str]]:
    """(id, Chinese label, template severity) per identity id of the template, first declaration wins."""
    seen: dict[str, tuple[str, str, str]] = {}
    for identity in load_templates().identities:
        seen.setdefault(identity.id, (identity.id, identity.label_zh, identity.severity))
    for legacy in form_identities():
        seen.setdefault(legacy.id, (legacy.id, legacy.label_zh, legacy.severity))
    return list(seen.values())


def bound_identity_ids() -> set[str]:
    """Identities checked as lhs ≥ rhs: the pre-2019 forms' bounds (parent ≥ sub-row,
    cumulative ≥ this year; templates.yaml legacy_forms)."""
    return {i.id for i in form_identities() if i.kind in ("bound", "period_bound")}


def section_key_regex() -> str:
    return "^(?:" + "|".join(s.key for s in load_templates().official_sections) + r"|other_\d+)$"


def layout_versions(table_id: str) -> list[str]:
    """The template versions that print this table (pre-2019 reports follow no layout)."""
    tpl = load_templates()
    return [v for v in TEMPLATE_VERSIONS if tpl.layout(table_id, v) is not None]


def layout_cell_keys() -> list[str]:
    """layout:table:row:col for every cell a layout defines. Table 3 accepts the rows of both
    layouts in either: 2021 reports still print the single （六） row (corpus 022, 023)."""
    tpl = load_templates()
    keys: list[str] = []
    for version in TEMPLATE_VERSIONS:
        for table_id in TABLE_IDS:
            layout = tpl.layout(table_id, version)
            if layout is None:
                continue
            if table_id == "t3":
                keys += [f"{version}:t3:{r}:{c}" for r in tpl.row_keys("t3") for c in layout.column_keys]
            else:
                keys += [f"{version}:{table_id}:{r}:{c}" for r, c in layout.cells()]
    return list(dict.fromkeys(keys))


def t2_column_flags() -> tuple[list[str], list[str]]:
    """(decimal column keys, signed column keys) of table 2, from the template."""
    tpl = load_templates()
    columns = [
        c
        for version in reversed(layout_versions("t2"))
        for block in tpl.layout("t2", version).blocks  # type: ignore[union-attr]
        for c in block.columns
    ]
    decimal = dict.fromkeys(c.key for c in columns if c.decimal)
    signed = dict.fromkeys(c.key for c in columns if c.signed)
    return list(decimal), list(signed)


def _table_key_vocabularies() -> dict[str, list[ColumnVocabulary]]:
    tpl = load_templates()
    out: dict[str, list[ColumnVocabulary]] = {}
    for table_id, (fact_table, row_name, col_name) in KEY_COLUMNS.items():
        number = table_id[1]
        out[fact_table] = [
            (row_name, list(tpl.row_keys(table_id)), f"Table {number} {row_name.split('_')[0]} keys of the template."),
            (
                col_name,
                list(tpl.column_keys(table_id)),
                f"Table {number} {col_name.split('_')[0]} keys of the template.",
            ),
            ("cell_state", list(FACT_CELL_STATES), "Cell states (corrected: a person's correction applied)."),
        ]
    return out


def column_vocabularies() -> dict[str, list[ColumnVocabulary]]:
    """contract table → [(column, allowed values or a regex, description)]."""
    tpl = load_templates()
    return {
        "reports": [
            ("quality_status", list(REPORT_QUALITY_STATUSES), "Quality statuses of the contract."),
            ("agency_level", list(AGENCY_LEVELS), "Agency levels of the contract."),
            ("template_version", list(TEMPLATE_VERSIONS), "Template versions."),
            ("layout_version", list(TEMPLATE_VERSIONS), "Layout versions."),
            ("source_format", list(SOURCE_FORMATS), "Formats the pipeline parses."),
            ("original_script", ["simplified", "traditional"], "Scripts."),
        ],
        "report_sections": [("section_key", section_key_regex(), "Canonical section keys or other_<n>.")],
        **_table_key_vocabularies(),
        "fact_narrative_metrics": [
            ("metric_key", [m.key for m in tpl.narrative_metrics], "Narrative metric keys of the template.")
        ],
        "fact_legacy_indicators": [
            ("indicator_key", list(indicator_keys()), "Legacy indicator keys of the declared forms (or null).")
        ],
        "identity_checks": [
            ("identity_id", [i for i, _label, _severity in identity_ids()], "Identity ids of the template."),
            ("status", list(IDENTITY_STATUSES), "Identity statuses."),
            ("severity", list(SEVERITIES), "Identity severities."),
        ],
    }
