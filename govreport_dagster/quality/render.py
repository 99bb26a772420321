"""`tables.json` and `facts.json` rendered from the template and the contract.

They carry the template's vocabulary and identities, so they are generated, never edited:
`python -m govreport_dagster.quality render` writes them and a test asserts the committed
files equal `render_suite(name)`, so the suites cannot drift from `templates.yaml`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..core.model import CELL_STATES, VALUE_STATES
from ..core.schemas import CONTRACT, YEAR_PARTITIONED
from .stewardship import render_expectations as render_stewardship_expectations
from .suites import EXPECTATIONS_DIR
from .vocabulary import bound_identity_ids, column_vocabularies, identity_ids, layout_cell_keys, t2_column_flags

RENDERED_SUITES = ("tables", "facts")
RENDER_COMMAND = "python -m govreport_dagster.quality render"

# The key each year-partitioned contract table is unique on.
UNIQUE_KEYS = {
    "reports": ["report_id"],
    "report_sections": ["report_id", "ordinal"],
    "fact_active_disclosure": ["report_id", "item_key", "metric_key"],
    "fact_applications": ["report_id", "outcome_key", "applicant_key"],
    "fact_review_litigation": ["report_id", "proceeding_key", "result_key"],
    "fact_narrative_metrics": ["report_id", "metric_key", "char_start", "char_end"],
    "fact_legacy_indicators": ["report_id", "ordinal"],
    "identity_checks": ["report_id", "identity_id", "scope", "value_basis"],
    "correction_suggestions": ["report_id", "cell", "suggested_value"],
    "corrections": ["correction_id"],
    "agencies": ["agency_id", "agency_name"],  # one row per id and printed name in the year
}
REPORT_ID_NULLABLE = {"corrections"}  # an unmatched correction names no report


def expectation(
    type_: str, check_name: str, severity: str, description: str, table: str | None = None, **kwargs: Any
) -> dict[str, Any]:
    """One expectation as suite JSON; `example_columns` and `extra_meta` go to its meta."""
    meta: dict[str, Any] = {"check_name": check_name, "severity": severity}
    if table is not None:
        meta["table"] = table
    example_columns = kwargs.pop("example_columns", None)
    if example_columns:
        meta["example_columns"] = example_columns
    extra_meta = kwargs.pop("extra_meta", None)
    if extra_meta:
        meta.update(extra_meta)
    if "row_condition" in kwargs:
        kwargs["condition_parser"] = "pandas"
    return {"type": type_, "kwargs": kwargs, "meta": meta, "description": description}


def _py_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def render_identity_expectations() -> list[dict[str, Any]]:
    """One expectation per identity id of the template, over identity_checks' lhs/rhs, rows
    that are not assessable excluded (the outcome reports how many): equality, or lhs ≥ rhs
    for the pre-2019 forms' bounds. Non-blocking: a violation is the source's."""
    bounds = bound_identity_ids()
    return [
        expectation(
            "expect_column_pair_values_a_to_be_greater_than_b"
            if identity_id in bounds
            else "expect_column_pair_values_to_be_equal",
            f"identity_{identity_id}",
            "warn",
            f"{label}（{identity_id}; template severity {severity}; not-assessable rows excluded）",
            table="identity_checks",
            column_A="lhs",
            column_B="rhs",
            **({"or_equal": True} if identity_id in bounds else {}),
            row_condition=f'identity_id == "{identity_id}" and status != "not_assessable"',
            example_columns=["report_id", "identity_id", "scope", "lhs", "rhs", "detail"],
            extra_meta={"identity_id": identity_id, "identity_severity": severity},
        )
        for identity_id, label, severity in identity_ids()
    ]


def render_tables_suite() -> dict[str, Any]:
    """Cells of tables 2–4: the model's states, keys of the layout printed, counts whole and non-negative."""
    decimal, signed = t2_column_flags()
    not_count = _py_list([*decimal, *signed])
    e = expectation
    expectations = [
        e("expect_table_columns_to_match_set", "columns", "error", "The extracted_tables columns are present.",
          column_set=["report_id", "report_year", "table_id", "row_key", "col_key", "value", "cell_state",
                      "raw_text", "source", "position"], exact_match=False),
        e("expect_column_values_to_not_be_null", "report_id_not_null", "error", "Every cell names its report.",
          column="report_id"),
        e("expect_column_values_to_be_in_set", "table_id_known", "error", "Tables 2, 3 and 4 only.",
          column="table_id", value_set=["t2", "t3", "t4"]),
        e("expect_column_values_to_be_in_set", "cell_state_known", "error", "Cell states of the model.",
          column="cell_state", value_set=list(CELL_STATES)),
        e("expect_column_values_to_be_in_set", "source_known", "error", "Cells come from a grid or from text.",
          column="source", value_set=["grid", "text"]),
        e("expect_column_values_to_not_be_null", "number_has_value", "error",
          "A number cell has a value.", column="value", row_condition='cell_state == "number"'),
        e("expect_column_values_to_be_null", "blank_has_no_value", "error",
          "Blank, not-applicable and text cells have no value (blank is never 0).", column="value",
          row_condition=f'cell_state not in {_py_list(VALUE_STATES)}'),
        e("expect_compound_columns_to_be_unique", "no_duplicate_cells", "error",
          "One cell per (report, table, row, column).", column_list=["report_id", "table_id", "row_key", "col_key"]),
        e("expect_column_values_to_be_in_set", "keys_in_layout", "error",
          "Row and column keys belong to the template layout the report was printed in.",
          column="cell_key", value_set=layout_cell_keys(), row_condition="mapped == True",
          example_columns=["report_id", "cell_key", "raw_text"]),
        e("expect_column_values_to_be_in_set", "rows_mapped", "warn",
          "Row labels the template does not know are kept as unmapped:<label> cells.",
          column="mapped", value_set=[True], example_columns=["report_id", "table_id", "row_key", "raw_text"]),
        e("expect_column_values_to_be_between", "counts_non_negative", "warn",
          "Counts are not negative (table 2's 本年增/减 may be).", column="value", min_value=0,
          row_condition=f'cell_state in {_py_list(VALUE_STATES)} and col_key not in {_py_list(signed)}',
          example_columns=["report_id", "table_id", "row_key", "col_key", "raw_text"]),
        e("expect_column_values_to_be_between", "counts_integer", "warn",
          "Counts are whole numbers (money columns excepted).", column="value_fraction", min_value=0, max_value=0,
          row_condition=f'cell_state in {_py_list(VALUE_STATES)} and col_key not in {not_count}',
          example_columns=["report_id", "table_id", "row_key", "col_key", "raw_text"]),
        e("expect_column_values_to_be_between", "fees_non_negative", "warn", "Fee and procurement amounts are "
          "not negative.", column="value", min_value=0,
          row_condition=f'cell_state in {_py_list(VALUE_STATES)} and col_key in {_py_list(decimal)}',
          example_columns=["report_id", "row_key", "col_key", "raw_text"]),
    ]  # fmt: skip
    return {
        "name": "tables",
        "expectations": expectations,
        "meta": {"rendered_from": "templates.yaml", "render": RENDER_COMMAND},
    }


def _contract_expectations(table: str) -> list[dict[str, Any]]:
    """Blocking: the table has exactly the contract's columns, names its reports, is unique on
    its key, and its key columns stay within their vocabulary."""
    e = expectation
    key = UNIQUE_KEYS[table]
    out = [
        e("expect_table_columns_to_match_ordered_list", f"{table}_columns", "error",
          f"{table}: exactly the contract's columns, in order (report_year last, moved to the path).",
          table=table, column_list=[*CONTRACT[table].names, "report_year"]),
        *([] if table in REPORT_ID_NULLABLE else [
            e("expect_column_values_to_not_be_null", f"{table}_{key[0]}", "error",
              f"{table}: every row names its {'report' if key[0] == 'report_id' else key[0]}.", table=table,
              column=key[0])]),
        e("expect_compound_columns_to_be_unique", f"{table}_unique_key", "error",
          f"{table}: one row per {', '.join(key)}.", table=table, column_list=key) if len(key) > 1 else
        e("expect_column_values_to_be_unique", f"{table}_unique_key", "error",
          f"{table}: one row per {key[0]}.", table=table, column=key[0]),
    ]  # fmt: skip
    for column, allowed, description in column_vocabularies().get(table, ()):
        if isinstance(allowed, str):
            out.append(e("expect_column_values_to_match_regex", f"{table}_{column}_vocabulary", "error",
                         f"{table}: {description}", table=table, column=column, regex=allowed))  # fmt: skip
        else:
            out.append(e("expect_column_values_to_be_in_set", f"{table}_{column}_vocabulary", "error",
                         f"{table}: {description}", table=table, column=column, value_set=allowed))  # fmt: skip
    return out


def _facts_value_expectations() -> list[dict[str, Any]]:
    """Counts, offsets and the identity rows' verdict/lhs/rhs/detail rules."""
    e = expectation
    return [
        e("expect_column_values_to_be_between", "reports_identity_violations", "error",
          "reports: identity_violations is a count.", table="reports", column="identity_violations", min_value=0),
        e("expect_column_values_to_be_between", "fact_applications_count_non_negative", "warn",
          "fact_applications: counts are not negative.", table="fact_applications", column="count", min_value=0),
        e("expect_column_values_to_be_between", "fact_review_litigation_count_non_negative", "warn",
          "fact_review_litigation: counts are not negative.", table="fact_review_litigation", column="count",
          min_value=0),
        e("expect_column_pair_values_a_to_be_greater_than_b", "report_sections_offsets", "error",
          "report_sections: char_end >= char_start.", table="report_sections", column_A="char_end",
          column_B="char_start", or_equal=True),
        e("expect_column_values_to_be_null", "identity_not_assessable_has_no_verdict", "error",
          "identity_checks: a not-assessable identity is neither passed nor failed (passed is null).",
          table="identity_checks", column="passed", row_condition='status == "not_assessable"'),
        e("expect_column_values_to_not_be_null", "identity_assessed_has_verdict", "error",
          "identity_checks: an assessed identity has passed true/false.", table="identity_checks",
          column="passed", row_condition='status != "not_assessable"'),
        e("expect_column_values_to_not_be_null", "identity_assessed_has_lhs", "error",
          "identity_checks: an assessed identity has lhs.", table="identity_checks", column="lhs",
          row_condition='status != "not_assessable"'),
        e("expect_column_values_to_not_be_null", "identity_assessed_has_rhs", "error",
          "identity_checks: an assessed identity has rhs.", table="identity_checks", column="rhs",
          row_condition='status != "not_assessable"'),
        e("expect_column_values_to_not_be_null", "identity_detail", "error",
          "identity_checks: every check has a readable detail.", table="identity_checks", column="detail"),
    ]  # fmt: skip


def render_facts_suite() -> dict[str, Any]:
    """Contract checks for every year-partitioned table (blocking), then the identities (warn)."""
    expectations = [x for table in YEAR_PARTITIONED for x in _contract_expectations(table)]
    expectations += _facts_value_expectations()
    expectations += render_stewardship_expectations(expectation)  # corrections and suggestions (issue 16)
    expectations += render_identity_expectations()
    return {
        "name": "facts",
        "expectations": expectations,
        "meta": {"rendered_from": "templates.yaml and schemas.CONTRACT", "render": RENDER_COMMAND},
    }


def render_suite(name: str) -> dict[str, Any]:
    if name == "tables":
        return render_tables_suite()
    if name == "facts":
        return render_facts_suite()
    raise ValueError(f"{name} is written by hand, not rendered")


def suite_text(suite: Mapping[str, Any]) -> str:
    """The suite as committed: indented JSON, Chinese unescaped, a final newline."""
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def write_rendered_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    paths = []
    for name in RENDERED_SUITES:
        path = Path(directory) / f"{name}.json"
        path.write_text(suite_text(render_suite(name)), encoding="utf-8")
        paths.append(path)
    return paths
