"""The corrections sensor: an edited corrections file re-materialises exactly the years it touches.

The cursor keeps, per corrections file, a digest of its corrections per report year. A year
whose corrections were added, changed or removed — and the year after it, whose cross-year
identities on corrected values read them — gets one `corrections_job` run (corrections →
facts → published; the per-document stages are not redone). A file that is not valid YAML
(e.g. half-saved) keeps its previous state until it parses again, so a typo never drops
corrections from the warehouse. Run keys come from the new digests: a tick evaluated twice
never launches the same run twice.
"""

import hashlib
import json

import dagster as dg

from .core.corrections import changed_years, parse_corrections, year_digests
from .jobs import corrections_job
from .partitions import report_year_partitions
from .resources import LandingZoneResource
from .storage.corrections import read_files


def folder_state(files: list[tuple[str, str]], previous: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """{file: {year: digest}}; a file that does not parse as a whole keeps its previous entry."""
    state: dict[str, dict[str, str]] = {}
    for name, text in files:
        found, problems = parse_corrections(text, name)
        if not found and any(p.startswith(f"{name}: ") for p in problems):
            if name in previous:
                state[name] = previous[name]
            continue
        state[name] = {str(year): digest for year, digest in year_digests(found).items()}
    return state


def year_state(state: dict[str, dict[str, str]]) -> dict[int, str]:
    """One digest per year over every file's digests for it."""
    parts: dict[int, list[str]] = {}
    for name, years in state.items():
        for year, digest in years.items():
            parts.setdefault(int(year), []).append(f"{name}:{digest}")
    return {y: hashlib.sha1("\n".join(sorted(p)).encode("utf-8")).hexdigest()[:16] for y, p in parts.items()}


@dg.sensor(
    jobs=[corrections_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Re-runs the facts of the years whose corrections (YAML beside the landing zone) changed.",
)
def corrections_sensor(context: dg.SensorEvaluationContext, landing: LandingZoneResource) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {"files": {}}
    state = folder_state(read_files(landing.corrections_root), cursor["files"])
    before, after = year_state(cursor["files"]), year_state(state)
    partitions = set(report_year_partitions.get_partition_keys())
    years = sorted(y for y in changed_years(before, after) if str(y) in partitions)
    requests = [
        dg.RunRequest(
            job_name=corrections_job.name,
            partition_key=str(year),
            run_key=f"corrections-{year}-{after.get(year, 'none')}-{after.get(year - 1, 'none')}",
            tags={"govreport/trigger": "corrections_sensor"},
        )
        for year in years
    ]
    new_cursor = json.dumps({"files": state}, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason="no corrections changed", cursor=new_cursor)
    return dg.SensorResult(run_requests=requests, cursor=new_cursor)
