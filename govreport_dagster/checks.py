"""GX suites as Dagster asset checks, per partition, a handful per stage and year.

Each stage's suite (`expectations/<stage>.json`) is declared as the asset's `check_specs`,
grouped: one check per contract table (`meta.table`; the stage itself for the per-stage
suites) and severity, e.g. `identity_checks_warnings`, `reports_errors`, `decoded_errors`
(read from the JSON at load time; GX itself is imported only when a partition is
validated). A group passes when every expectation in it passes; its metadata carries each
expectation's outcome (unexpected count, examples), so nothing is lost, while the event log
gets ~17 check events per year instead of ~100 (writing them was a third of a small run).
The specs are partition-aware (`partitions_def`), so the Checks tab and the check history
say which year was judged. The asset body validates its own output and yields the results
— the dependable pattern for partitioned assets (a separate @asset_check would load every
partition). `errors` groups are blocking: a pipeline bug, downstream assets of the run do
not materialise. `warnings` groups (identity violations in the source) never block.
The validation is also rendered as a GX Data Docs page, linked from the check metadata. In
a run over a range of years the years are validated together and then, for the
expectations that failed, year by year (`quality/ranges.py`: each year gets exactly the
verdicts of its own validation), the results carry the year (`yearly.py`), and the Data Docs
of all the years are built in one site build per stage.
"""

import json
import warnings
from collections.abc import Iterable
from pathlib import Path

import dagster as dg
from upath import UPath

from .partitions import report_year_partitions
from .quality.outcomes import ExpectationOutcome
from .quality.ranges import YearsValidation
from .quality.runtime import SuiteRun
from .quality.suites import load_suite

GROUP_SUFFIX = {"error": "errors", "warn": "warnings"}


def check_group(suite: str, expectation_meta: dict) -> str:
    """The check an expectation belongs to: its table (or suite) and its severity."""
    severity = expectation_meta.get("severity", "error")
    return f"{expectation_meta.get('table') or suite}_{GROUP_SUFFIX.get(severity, 'errors')}"


def check_groups(suite: str) -> dict[str, list[dict]]:
    """Check name → the suite's expectations in it, in suite order."""
    groups: dict[str, list[dict]] = {}
    for expectation in load_suite(suite)["expectations"]:
        groups.setdefault(check_group(suite, expectation.get("meta", {})), []).append(expectation)
    return groups


def year_check_spec(name: str, asset: str, *, blocking: bool, description: str) -> dg.AssetCheckSpec:
    """A check evaluated per report year: its results carry the year they judged."""
    with warnings.catch_warnings():  # partition-aware checks are a preview in 1.13: what we want
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name, asset=asset, blocking=blocking, partitions_def=report_year_partitions, description=description
        )


def suite_check_specs(suite: str, asset: str) -> list[dg.AssetCheckSpec]:
    specs = []
    for name, expectations in check_groups(suite).items():
        blocking = name.endswith(GROUP_SUFFIX["error"])
        listed = ", ".join(e["meta"]["check_name"] for e in expectations)
        kind = "[error, blocking]" if blocking else "[warn]"
        description = f"{kind} {len(expectations)} expectations of GX suite expectations/{suite}.json: {listed}"
        specs.append(year_check_spec(name, asset, blocking=blocking, description=description))
    return specs


def _outcome_metadata(outcome: ExpectationOutcome) -> dict[str, object]:
    metadata: dict[str, object] = {
        "passed": outcome.success,
        "unexpected_count": outcome.unexpected_count,
        "element_count": outcome.element_count,
        "expectation": outcome.expectation_type,
        "description": outcome.description,
    }
    if outcome.unexpected_examples:
        metadata["unexpected_examples"] = _jsonable(outcome.unexpected_examples)
    if outcome.not_assessable is not None:
        metadata["not_assessable"] = outcome.not_assessable
    if outcome.exception:
        metadata["exception"] = outcome.exception
    return metadata


def check_results(
    suite: str, outcomes: Iterable[ExpectationOutcome], data_docs: Path | None = None
) -> list[dg.AssetCheckResult]:
    """One result per check group of the suite; an expectation the runs did not report
    fails its group, saying so (never a silently missing one)."""
    by_name = {o.check_name: o for o in outcomes}
    results = []
    for name, expectations in check_groups(suite).items():
        failed: list[str] = []
        per_expectation: dict[str, object] = {}
        unexpected = 0
        for expectation in expectations:
            outcome = by_name.get(expectation["meta"]["check_name"])
            if outcome is None:
                per_expectation[expectation["meta"]["check_name"]] = {"passed": False, "reason": "not evaluated"}
                failed.append(expectation["meta"]["check_name"])
                continue
            per_expectation[outcome.check_name] = _outcome_metadata(outcome)
            unexpected += outcome.unexpected_count
            if not outcome.success:
                failed.append(outcome.check_name)
        metadata: dict[str, object] = {
            "expectations": len(expectations),
            "failed_expectations": dg.MetadataValue.json(failed),
            "unexpected_count": unexpected,
            "outcomes": dg.MetadataValue.json(per_expectation),
        }
        if data_docs is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(data_docs))
        blocking = name.endswith(GROUP_SUFFIX["error"])
        results.append(
            dg.AssetCheckResult(
                check_name=name,
                passed=not failed,
                severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
                metadata=metadata,
            )
        )
    return results


def data_docs_for_years(
    runs: list[SuiteRun], years: list[str], site_root, asset: str, log
) -> dict[str, Path | UPath | None]:
    """Build the Data Docs of these validations in one GX site build (the build's fixed cost
    is paid once per stage per run, not per year) and return each year's page:
    `<asset>/report_year=<YYYY>/index.html`, the site itself for one year, else an index
    of the pages that judged that year (the range's own run and the year's) in the run's
    site `<asset>/report_years=<first>-<last>/`. Every site under the root shares one copy
    of GX's static files (`<root>/static`). A remote root (object store) gets the site built
    locally and uploaded. Never fails the run."""
    from .quality.data_docs import build_data_docs, write_year_index
    from .storage.remote_files import local_folder_for, remote_path

    years = sorted(years)
    try:
        with local_folder_for(site_root, keep_existing=("static",)) as root:
            if len(years) == 1:
                site = root / asset / f"report_year={years[0]}"
                index = build_data_docs(runs, site, run_name=years[0], static_dir=root / "static")
                return {years[0]: remote_path(site_root, root, index)}
            site = root / asset / f"report_years={years[0]}-{years[-1]}"
            build_data_docs(runs, site, static_dir=root / "static")
            return {
                y: remote_path(
                    site_root,
                    root,
                    write_year_index(site, y, root / asset / f"report_year={y}", _run_names(runs, y)),
                )
                for y in years
            }
    except Exception as exc:  # documentation is a convenience: log and go on
        log.warning(f"GX Data Docs for {asset} {', '.join(years)} not built: {exc}")
        return dict.fromkeys(years)


def _run_names(runs: list[SuiteRun], year: str) -> list[str]:
    """The run names of the validations that judged `year` (its own and its range's)."""
    return list(dict.fromkeys(run.run_name or year for run in runs if not run.years or year in run.years))


def _jsonable(value: object) -> object:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def validate_years(
    context: dg.AssetExecutionContext, suite: str, validation: YearsValidation, site_root
) -> dict[str, tuple[dict[str, dg.MetadataValue], list[dg.AssetCheckResult]]]:
    """Per year of the step's years: the results of every check of the suite (an expectation
    the validation did not report is a failed check saying so, never a silently missing one)
    and asset metadata linking that year's Data Docs; the Data Docs of all the years are
    built once (`data_docs_for_years`). Yield the results after the Output
    (`yearly_check_events`)."""
    asset = context.assets_def.key.to_user_string()
    docs = data_docs_for_years(validation.runs, list(validation.outcomes), site_root, asset, context.log)
    validated = {}
    for year, outcomes in validation.outcomes.items():
        results = check_results(suite, outcomes, docs[year])
        metadata: dict[str, dg.MetadataValue] = {
            "checks_failed": dg.MetadataValue.int(sum(1 for r in results if not r.passed)),
            "checks_total": dg.MetadataValue.int(len(results)),
        }
        if docs[year] is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(docs[year]))
        validated[year] = (metadata, results)
    return validated
