"""A thin Great Expectations (1.x) layer: suites kept as JSON in `expectations/`, run over a
pandas frame in an ephemeral context, results returned as plain `ExpectationOutcome`s.

dagster-ge needs GX < 1 and pandas < 3, so this module is the bridge; the Dagster side maps
each outcome to an asset check. GX takes seconds to import: it is imported lazily, with its
analytics off and no progress bars. Nothing here touches the network.

Suites (one JSON per stage; GX 1.x ExpectationSuite format). Each expectation's `meta` holds
- `check_name`: a stable identifier ([a-z0-9_]), used as the Dagster check name;
- `severity`: "error" (blocking: a violation is a pipeline bug) or "warn" (the source's);
- `table` (facts only): which contract table the expectation applies to;
- optional `example_columns`: what to show of an unexpected row.

`decoded.json` and `sectioned.json` are written by hand. `tables.json` and `facts.json` carry
the template's vocabulary and identities, so they are rendered from `templates.yaml` and
`schemas.CONTRACT` (`render_suite(name)`, `python -m govreport_dagster.core.quality render`) and a
test asserts the committed files equal the rendering: the suites cannot drift from the
declaration. A few expectations need a derived column; `prepare_<stage>()` computes it, and
the suite stays the declaration of what is expected of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from .model import CELL_STATES, SOURCE_FORMATS, VALUE_STATES
from .schemas import AGENCY_LEVELS, CONTRACT, REPORT_QUALITY_STATUSES, YEAR_PARTITIONED
from .templates import TEMPLATE_VERSIONS, load_templates

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "expectations"
SUITES = ("decoded", "sectioned", "tables", "facts")
RENDERED_SUITES = ("tables", "facts")
MAX_EXAMPLES = 10
SEVERITIES = ("error", "warn")
IDENTITY_STATUSES = ("passed", "failed", "not_assessable")


@dataclass(frozen=True)
class ExpectationOutcome:
    check_name: str
    success: bool
    severity: str  # error (blocking) | warn
    unexpected_count: int
    unexpected_examples: list[Any]
    element_count: int
    description: str
    expectation_type: str = ""
    table: str | None = None
    not_assessable: int | None = None  # identity expectations: rows excluded as not assessable
    exception: str | None = None  # the expectation could not be evaluated (e.g. a missing column)

    @property
    def blocking_failure(self) -> bool:
        return not self.success and self.severity == "error"


@dataclass
class SuiteRun:
    """One validation of one frame: the plain outcomes and GX's own result (for Data Docs)."""

    suite: str
    outcomes: list[ExpectationOutcome]
    gx_result: Any = field(repr=False)
    suite_json: dict[str, Any] = field(repr=False)
    run_time: datetime = field(default_factory=lambda: datetime.now(UTC))


# --------------------------------------------------------------------------------------
# GX, lazily


def _gx() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def _ephemeral_context() -> Any:
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _batch_definition() -> Any:
    """One ephemeral context and dataframe batch definition per process (GX set-up is slow)."""
    context = _ephemeral_context()
    asset = context.data_sources.add_pandas("govreport").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


# --------------------------------------------------------------------------------------
# Suites


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


@cache
def _load_suite_cached(name: str) -> str:
    return suite_path(name).read_text(encoding="utf-8")


def load_suite(name: str) -> dict[str, Any]:
    """The suite's JSON (a fresh copy: callers may filter it)."""
    return json.loads(_load_suite_cached(name))


def _sub_suite(suite: dict[str, Any], table: str | None) -> dict[str, Any]:
    expectations = suite["expectations"]
    if table is not None:
        expectations = [e for e in expectations if e.get("meta", {}).get("table") == table]
    name = suite["name"] if table is None else f"{suite['name']}.{table}"
    return {"name": name, "expectations": expectations, "meta": suite.get("meta", {})}


def run_suite(df: pd.DataFrame, suite: str, table: str | None = None) -> SuiteRun:
    """Validate `df` against the suite (only the expectations for `table` when given)."""
    gx = _gx()
    spec = _sub_suite(load_suite(suite), table)
    gx_suite = gx.ExpectationSuite(**spec)
    if len(gx_suite.expectations) != len(spec["expectations"]):  # GX drops invalid ones with a log line
        raise ValueError(f"suite {spec['name']}: {len(spec['expectations']) - len(gx_suite.expectations)} invalid")
    frame = df.reset_index(drop=True)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10})
    outcomes = [_outcome(r, frame, table) for r in result.results]
    order = {e["meta"]["check_name"]: i for i, e in enumerate(spec["expectations"])}
    outcomes.sort(key=lambda o: order.get(o.check_name, len(order)))
    return SuiteRun(spec["name"], outcomes, result, spec)


def validate_frame(df: pd.DataFrame, suite: str, table: str | None = None) -> list[ExpectationOutcome]:
    """Plain outcomes, in the suite's order."""
    return run_suite(df, suite, table).outcomes


def run_facts_suite(frames: Mapping[str, pd.DataFrame], suite: str = "facts") -> list[SuiteRun]:
    """Every contract table against its part of the facts suite (`meta.table`)."""
    prepared = prepare_facts(frames)
    tables = list(dict.fromkeys(e["meta"]["table"] for e in load_suite(suite)["expectations"]))
    return [run_suite(prepared[t], suite, table=t) for t in tables if t in prepared]


def validate_frames(frames: Mapping[str, pd.DataFrame], suite: str = "facts") -> list[ExpectationOutcome]:
    return [o for run in run_facts_suite(frames, suite) for o in run.outcomes]


def _outcome(result: Any, frame: pd.DataFrame, table: str | None) -> ExpectationOutcome:
    config = result.expectation_config
    meta = dict(config.meta or {})
    details = result.result or {}
    exception = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        exception = str(result.exception_info.get("exception_message"))
    unexpected = int(details.get("unexpected_count") or 0)
    not_assessable = None
    identity_id = meta.get("identity_id")
    if identity_id and {"identity_id", "status"} <= set(frame.columns):
        mask = (frame["identity_id"] == identity_id) & (frame["status"] == "not_assessable")
        not_assessable = int(mask.sum())
    return ExpectationOutcome(
        check_name=meta.get("check_name") or config.type,
        success=bool(result.success) and exception is None,
        severity=meta.get("severity", "error"),
        unexpected_count=unexpected,
        unexpected_examples=_examples(details, frame, config, meta) if not result.success else [],
        element_count=int(details.get("element_count") or len(frame)),
        description=config.description or meta.get("description") or config.type,
        expectation_type=config.type,
        table=meta.get("table", table),
        not_assessable=not_assessable,
        exception=exception,
    )


def _examples(details: Mapping[str, Any], frame: pd.DataFrame, config: Any, meta: Mapping[str, Any]) -> list[Any]:
    """Up to MAX_EXAMPLES unexpected rows (key columns and the columns checked), else values."""
    index = details.get("partial_unexpected_index_list") or []
    kwargs = config.kwargs
    columns = list(meta.get("example_columns") or [])
    if not columns:
        columns = ["report_id"] if "report_id" in frame.columns else []
        for key in ("column", "column_A", "column_B"):
            if kwargs.get(key):
                columns.append(kwargs[key])
        columns += list(kwargs.get("column_list") or [])
    columns = [c for c in dict.fromkeys(columns) if c in frame.columns]
    if index and columns:
        rows = frame.loc[[i for i in index[:MAX_EXAMPLES] if i in frame.index], columns]
        return [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict("records")]
    if "partial_unexpected_list" in details:
        return [_plain(v) for v in details["partial_unexpected_list"][:MAX_EXAMPLES]]
    observed = details.get("observed_value")
    return [_plain(observed)] if observed is not None else []


def _plain(value: Any) -> Any:
    """JSON-able (numpy scalars, NA, tuples)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --------------------------------------------------------------------------------------
# Data Docs


def build_data_docs(runs: SuiteRun | Iterable[SuiteRun], site_dir: Path, run_name: str | None = None) -> Path:
    """Build GX's static Data Docs site for these validations into `site_dir`; returns index.html.

    A fresh ephemeral context whose only site is a local folder: nothing leaves the machine.
    (The pages link GX's CSS/JS from public CDNs; offline they render unstyled but complete.)
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    runs = [runs] if isinstance(runs, SuiteRun) else list(runs)
    site_dir = Path(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    context = _ephemeral_context()
    for name in list(context.get_config().data_docs_sites or {}):
        context.delete_data_docs_site(name)
    context.add_data_docs_site(
        "govreport",
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    gx = _gx()
    for run in runs:
        _add_suite(context, gx.ExpectationSuite(**run.suite_json))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=run.suite),
            run_id=RunIdentifier(run_name=run_name or run.suite, run_time=run.run_time),
            batch_identifier=_safe_name(run.suite),
        )
        context.validation_results_store.set(key, run.gx_result)
    context.build_data_docs(site_names=["govreport"])
    return site_dir / "index.html"


def _add_suite(context: Any, suite: Any) -> None:
    with contextlib.suppress(Exception):  # already there (same suite validated twice): the page exists
        context.suites.add(suite)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


# --------------------------------------------------------------------------------------
# Derived columns the suites refer to


def prepare_decoded(df: pd.DataFrame) -> pd.DataFrame:
    """Adds `replacement_ratio`: U+FFFD characters per character of text (0 for empty text)."""
    out = df.copy()
    text = out["text"].fillna("").astype(str)
    lengths = text.str.len()
    out["replacement_ratio"] = (text.str.count("\ufffd") / lengths.where(lengths > 0)).fillna(0.0).astype(float)
    return out


def prepare_sectioned(reports: pd.DataFrame, sections: pd.DataFrame, partition_year: int) -> pd.DataFrame:
    """Sections joined with their report's columns, one row per section (a report without
    sections keeps one row with null section columns, so per-report checks still see it).

    Adds `partition_year`, `first_row` (one row per report carries the per-report checks) and
    `official_sections_ok`: the six official sections present, each once, in template order
    (null for pre-2019 reports, which follow no national template).
    """
    report_cols = ["report_id", "template_version", "layout_version", "publish_date", "status"]
    if "detected_year" in reports.columns:
        report_cols.append("detected_year")
    section_cols = ["report_id", "section_key", "heading", "ordinal", "char_start", "char_end"]
    frame = reports[report_cols].merge(sections[section_cols], on="report_id", how="left")
    if "detected_year" not in frame.columns:
        frame["detected_year"] = pd.NA
    frame = frame.sort_values(["report_id", "ordinal"], kind="stable").reset_index(drop=True)
    frame["report_year"] = partition_year  # the frames are the partition's
    frame["partition_year"] = partition_year
    frame["detected_year"] = pd.to_numeric(frame["detected_year"], errors="coerce").astype("Int64")
    frame["first_row"] = ~frame["report_id"].duplicated()
    official = [s.key for s in load_templates().official_sections]
    ok: dict[str, bool | None] = {}
    for report_id, group in frame.groupby("report_id", sort=False):
        version = group["template_version"].iloc[0]
        layout = group["layout_version"].iloc[0]
        if version not in ("2019", "2021") and layout not in ("2019", "2021"):
            ok[report_id] = None
            continue
        keys = [k for k in group["section_key"].dropna() if k in official]
        ok[report_id] = keys == official
    frame["official_sections_ok"] = frame["report_id"].map(ok).astype("boolean")
    return frame


def prepare_tables(cells: pd.DataFrame, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """Adds `layout_version` (from the tables' reports frame when not a column), `mapped` (the row
    label matched the template), `cell_key` = layout:table:row:col, and `value_fraction` (the
    part after the decimal point, for the integer checks)."""
    out = cells.copy()
    if "layout_version" not in out.columns:
        layouts = {} if reports is None else dict(zip(reports["report_id"], reports["layout_version"], strict=False))
        out["layout_version"] = out["report_id"].map(layouts)
    out["mapped"] = ~out["row_key"].astype(str).str.startswith("unmapped:")
    out["cell_key"] = (
        out["layout_version"].astype(str) + ":" + out["table_id"] + ":" + out["row_key"] + ":" + out["col_key"]
    )
    value = pd.to_numeric(out["value"], errors="coerce").astype(float)
    out["value_fraction"] = (value - value.round()).abs().round(9)
    return out


def prepare_facts(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The facts frames as validated: identity lhs/rhs rounded to 1e-6 (money sums), else as built."""
    out = dict(frames)
    if "identity_checks" in out:
        checks = out["identity_checks"].copy()
        for column in ("lhs", "rhs"):
            checks[column] = checks[column].astype(float).round(6)
        out["identity_checks"] = checks
    return out


# --------------------------------------------------------------------------------------
# Rendered suites (tables.json, facts.json): the template's vocabulary and identities


def _expectation(
    type_: str, check_name: str, severity: str, description: str, table: str | None = None, **kwargs: Any
) -> dict[str, Any]:
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
    """One equality expectation per identity id of the template, over identity_checks' lhs/rhs,
    rows that are not assessable excluded (the outcome reports how many). Non-blocking: a
    violation is the source's."""
    out = []
    for identity_id, label, severity in _identity_ids():
        out.append(
            _expectation(
                "expect_column_pair_values_to_be_equal",
                f"identity_{identity_id}",
                "warn",
                f"{label}（{identity_id}; template severity {severity}; not-assessable rows excluded）",
                table="identity_checks",
                column_A="lhs",
                column_B="rhs",
                row_condition=f'identity_id == "{identity_id}" and status != "not_assessable"',
                example_columns=["report_id", "identity_id", "scope", "lhs", "rhs", "detail"],
                extra_meta={"identity_id": identity_id, "identity_severity": severity},
            )
        )
    return out


def _identity_ids() -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for identity in load_templates().identities:
        seen.setdefault(identity.id, (identity.id, identity.label_zh, identity.severity))
    return list(seen.values())


@cache
def _vocabulary() -> dict[str, list[str]]:
    tpl = load_templates()
    vocab: dict[str, list[str]] = {}
    for table_id, (row_name, col_name) in {
        "t2": ("item_key", "metric_key"),
        "t3": ("outcome_key", "applicant_key"),
        "t4": ("proceeding_key", "result_key"),
    }.items():
        rows: dict[str, None] = {}
        cols: dict[str, None] = {}
        for version in ("2021", "2019"):
            layout = tpl.layout(table_id, version)
            assert layout is not None
            rows.update(dict.fromkeys(layout.row_keys))
            cols.update(dict.fromkeys(layout.column_keys))
        vocab[f"{table_id}.{row_name}"] = list(rows)
        vocab[f"{table_id}.{col_name}"] = list(cols)
    vocab["narrative_metric"] = [m.key for m in tpl.narrative_metrics]
    vocab["legacy_indicator"] = [i.key for i in tpl.legacy_indicators]
    vocab["identity_id"] = [i for i, _l, _s in _identity_ids()]
    vocab["section_key_re"] = ["^(?:" + "|".join(s.key for s in tpl.official_sections) + r"|other_\d+)$"]
    return vocab


def _layout_cell_keys() -> list[str]:
    """layout:table:row:col for every cell a layout defines. Table 3 accepts the rows of both
    layouts in either: 2021 reports still print the single （六） row (corpus 022, 023)."""
    tpl = load_templates()
    keys: list[str] = []
    t3_rows = _vocabulary()["t3.outcome_key"]
    for version in ("2019", "2021"):
        for table_id in ("t2", "t3", "t4"):
            layout = tpl.layout(table_id, version)
            assert layout is not None
            if table_id == "t3":
                keys += [f"{version}:t3:{r}:{c}" for r in t3_rows for c in layout.column_keys]
            else:
                keys += [f"{version}:{table_id}:{r}:{c}" for r, c in layout.cells()]
    return list(dict.fromkeys(keys))


def _column_flags() -> tuple[list[str], list[str]]:
    """(decimal column keys, signed column keys) of table 2, from the template."""
    decimal: dict[str, None] = {}
    signed: dict[str, None] = {}
    for version in ("2021", "2019"):
        layout = load_templates().layout("t2", version)
        assert layout is not None
        for block in layout.blocks:
            for column in block.columns:
                if column.decimal:
                    decimal[column.key] = None
                if column.signed:
                    signed[column.key] = None
    return list(decimal), list(signed)


def render_tables_suite() -> dict[str, Any]:
    decimal, signed = _column_flags()
    not_count = _py_list([*decimal, *signed])
    e = _expectation
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
          column="cell_key", value_set=_layout_cell_keys(), row_condition="mapped == True",
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
        "meta": {"rendered_from": "templates.yaml", "render": "python -m govreport_dagster.core.quality render"},
    }


_UNIQUE_KEYS = {
    "reports": ["report_id"],
    "report_sections": ["report_id", "ordinal"],
    "fact_active_disclosure": ["report_id", "item_key", "metric_key"],
    "fact_applications": ["report_id", "outcome_key", "applicant_key"],
    "fact_review_litigation": ["report_id", "proceeding_key", "result_key"],
    "fact_narrative_metrics": ["report_id", "metric_key", "char_start", "char_end"],
    "fact_legacy_indicators": ["report_id", "ordinal"],
    "identity_checks": ["report_id", "identity_id", "scope"],
}


def _vocab_checks() -> dict[str, list[tuple[str, list[str] | str, str]]]:
    """table → [(column, allowed values or a regex, description)]."""
    v = _vocabulary()
    return {
        "reports": [
            ("quality_status", list(REPORT_QUALITY_STATUSES), "Quality statuses of the contract."),
            ("agency_level", list(AGENCY_LEVELS), "Agency levels of the contract."),
            ("template_version", list(TEMPLATE_VERSIONS), "Template versions."),
            ("layout_version", list(TEMPLATE_VERSIONS), "Layout versions."),
            ("source_format", list(SOURCE_FORMATS), "Formats the pipeline parses."),
            ("original_script", ["simplified", "traditional"], "Scripts."),
        ],
        "report_sections": [("section_key", v["section_key_re"][0], "Canonical section keys or other_<n>.")],
        "fact_active_disclosure": [
            ("item_key", v["t2.item_key"], "Table 2 item keys of the template."),
            ("metric_key", v["t2.metric_key"], "Table 2 metric keys of the template."),
            ("cell_state", list(CELL_STATES), "Cell states."),
        ],
        "fact_applications": [
            ("outcome_key", v["t3.outcome_key"], "Table 3 outcome keys of the template."),
            ("applicant_key", v["t3.applicant_key"], "Table 3 applicant keys of the template."),
            ("cell_state", list(CELL_STATES), "Cell states."),
        ],
        "fact_review_litigation": [
            ("proceeding_key", v["t4.proceeding_key"], "Table 4 proceeding keys of the template."),
            ("result_key", v["t4.result_key"], "Table 4 result keys of the template."),
            ("cell_state", list(CELL_STATES), "Cell states."),
        ],
        "fact_narrative_metrics": [("metric_key", v["narrative_metric"], "Narrative metric keys of the template.")],
        "fact_legacy_indicators": [("indicator_key", v["legacy_indicator"], "Legacy indicator keys (or null).")],
        "identity_checks": [
            ("identity_id", v["identity_id"], "Identity ids of the template."),
            ("status", list(IDENTITY_STATUSES), "Identity statuses."),
            ("severity", list(SEVERITIES), "Identity severities."),
        ],
    }


def render_facts_suite() -> dict[str, Any]:
    """Contract checks for every year-partitioned table (blocking), then the identities (warn)."""
    e = _expectation
    expectations: list[dict[str, Any]] = []
    vocab = _vocab_checks()
    for table in YEAR_PARTITIONED:
        schema = CONTRACT[table]
        expectations.append(
            e("expect_table_columns_to_match_ordered_list", f"{table}_columns", "error",
              f"{table}: exactly the contract's columns, in order (report_year last, moved to the path).",
              table=table, column_list=[*schema.names, "report_year"])
        )  # fmt: skip
        expectations.append(
            e("expect_column_values_to_not_be_null", f"{table}_report_id", "error",
              f"{table}: every row names its report.", table=table, column="report_id")
        )  # fmt: skip
        expectations.append(
            e("expect_compound_columns_to_be_unique", f"{table}_unique_key", "error",
              f"{table}: one row per {', '.join(_UNIQUE_KEYS[table])}.", table=table,
              column_list=_UNIQUE_KEYS[table]) if len(_UNIQUE_KEYS[table]) > 1 else
            e("expect_column_values_to_be_unique", f"{table}_unique_key", "error",
              f"{table}: one row per {_UNIQUE_KEYS[table][0]}.", table=table, column=_UNIQUE_KEYS[table][0])
        )  # fmt: skip
        for column, allowed, description in vocab.get(table, ()):
            if isinstance(allowed, str):
                expectations.append(
                    e("expect_column_values_to_match_regex", f"{table}_{column}_vocabulary", "error",
                      f"{table}: {description}", table=table, column=column, regex=allowed)
                )  # fmt: skip
            else:
                expectations.append(
                    e("expect_column_values_to_be_in_set", f"{table}_{column}_vocabulary", "error",
                      f"{table}: {description}", table=table, column=column, value_set=allowed)
                )  # fmt: skip
    expectations += [
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
    expectations += render_identity_expectations()
    return {
        "name": "facts",
        "expectations": expectations,
        "meta": {
            "rendered_from": "templates.yaml and schemas.CONTRACT",
            "render": "python -m govreport_dagster.core.quality render",
        },
    }


def render_suite(name: str) -> dict[str, Any]:
    if name == "tables":
        return render_tables_suite()
    if name == "facts":
        return render_facts_suite()
    raise ValueError(f"{name} is written by hand, not rendered")


def suite_text(suite: Mapping[str, Any]) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def write_rendered_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    paths = []
    for name in RENDERED_SUITES:
        path = Path(directory) / f"{name}.json"
        path.write_text(suite_text(render_suite(name)), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m govreport_dagster.core.quality render
    if sys.argv[1:] == ["render"]:
        for written in write_rendered_suites():
            print(written)
    else:
        print("usage: python -m govreport_dagster.core.quality render", file=sys.stderr)
        sys.exit(2)
