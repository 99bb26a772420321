"""GX suites as Dagster asset checks, per partition.

Each stage's suite (`expectations/<stage>.json`) is declared as the asset's `check_specs`,
one check per expectation (read from the JSON at load time; GX itself is imported only when
a partition is validated). The asset body validates its own output and yields one
`AssetCheckResult` per expectation with the unexpected count and examples — the dependable
pattern for partitioned assets (a separate @asset_check would load every partition).
Severity `error` checks are blocking: they mean a pipeline bug, and downstream assets of the
run do not materialise. `warn` checks (identity violations in the source) never block.
The validation is also rendered as a GX Data Docs page, linked from the check metadata.
"""

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg

from .quality.outcomes import ExpectationOutcome
from .quality.runtime import SuiteRun
from .quality.suites import load_suite


def suite_check_specs(suite: str, asset: str) -> list[dg.AssetCheckSpec]:
    specs = []
    for expectation in load_suite(suite)["expectations"]:
        meta = expectation.get("meta", {})
        severity = meta.get("severity", "error")
        description = meta.get("description") or expectation["type"].replace("_", " ")
        specs.append(
            dg.AssetCheckSpec(
                meta["check_name"],
                asset=asset,
                blocking=severity == "error",
                description=f"[{severity}] {description} (GX suite expectations/{suite}.json)",
            )
        )
    return specs


def check_results(
    outcomes: Iterable[ExpectationOutcome], data_docs: Path | None = None
) -> Iterator[dg.AssetCheckResult]:
    for outcome in outcomes:
        metadata: dict[str, object] = {
            "unexpected_count": outcome.unexpected_count,
            "element_count": outcome.element_count,
            "expectation": outcome.expectation_type,
            "description": outcome.description,
        }
        if outcome.unexpected_examples:
            metadata["unexpected_examples"] = dg.MetadataValue.json(_jsonable(outcome.unexpected_examples))
        if outcome.not_assessable is not None:
            metadata["not_assessable"] = outcome.not_assessable
        if outcome.exception:
            metadata["exception"] = outcome.exception
        if data_docs is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(data_docs))
        yield dg.AssetCheckResult(
            check_name=outcome.check_name,
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR if outcome.severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )


def data_docs_for(runs: list[SuiteRun], site_root, asset: str, partition: str, log) -> Path | None:
    """Build the Data Docs page of this partition's latest validation (never fails the run).
    Every site under the root shares one copy of GX's static files (`<root>/static`)."""
    from .quality.data_docs import build_data_docs

    root = Path(str(site_root))
    try:
        return build_data_docs(
            runs, root / asset / f"report_year={partition}", run_name=partition, static_dir=root / "static"
        )
    except Exception as exc:  # documentation is a convenience: log and go on
        log.warning(f"GX Data Docs for {asset} {partition} not built: {exc}")
        return None


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def validate(
    context: dg.AssetExecutionContext, suite: str, runs: list[SuiteRun], site_root
) -> tuple[dict[str, dg.MetadataValue], list[dg.AssetCheckResult]]:
    """Results for every check of the suite (an expectation the runs did not report is a
    failed check saying so, never a silently missing one), and asset metadata linking the
    Data Docs page of this validation. Call before yielding the Output, yield the results
    after it."""
    asset = context.assets_def.key.to_user_string()
    docs = data_docs_for(runs, site_root, asset, context.partition_key, context.log)
    outcomes = {o.check_name: o for run in runs for o in run.outcomes}
    results = list(check_results(outcomes.values(), docs))
    for spec in suite_check_specs(suite, asset):
        if spec.name not in outcomes:
            results.append(
                dg.AssetCheckResult(
                    check_name=spec.name, passed=False, metadata={"reason": "expectation was not evaluated"}
                )
            )
    failed = sum(1 for r in results if not r.passed)
    metadata: dict[str, dg.MetadataValue] = {
        "checks_failed": dg.MetadataValue.int(failed),
        "checks_total": dg.MetadataValue.int(len(results)),
    }
    if docs is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(docs))
    return metadata, results
