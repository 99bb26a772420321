"""The landing sensor: new, changed or removed files trigger runs for exactly their years.

The cursor remembers every landing file's size and mtime (and the year it was assigned).
A file seen for the first time, or seen changed, is only *pending*: it must look the same
on the next tick before it counts, so a half-copied file (size still changing) is never
ingested truncated. Each run request's `run_key` is derived from the files that caused it,
so a tick evaluated twice never launches the same run twice. Files whose year cannot be
known (rejected, no year anywhere) trigger a ledger-only run so the ledger shows them.
"""

import hashlib
import json

import dagster as dg

from .jobs import ingest_job, yearly_reports_job
from .resources import LandingZoneResource, WarehouseResource
from .storage.decoding import year_of

# Reading a settled file's year may decode it (cached for the run that follows); a bulk drop
# is spread over several ticks so one evaluation stays well inside the sensor timeout.
MAX_FILES_PER_TICK = 100


def _digest(parts: list[str]) -> str:
    return hashlib.sha1("\n".join(sorted(parts)).encode("utf-8")).hexdigest()[:16]


@dg.sensor(
    jobs=[yearly_reports_job, ingest_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs the years affected by new, changed or removed landing-zone files (once their size is stable).",
)
def landing_sensor(
    context: dg.SensorEvaluationContext, landing: LandingZoneResource, warehouse: WarehouseResource
) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else {"files": {}, "pending": {}, "tick": 0}
    # the tick number goes into run keys: the same tick evaluated twice gives the same keys,
    # but a file removed and later copied back (same size and mtime) runs again
    tick = int(state.get("tick", 0)) + 1
    known: dict[str, dict] = state["files"]
    pending: dict[str, list] = state["pending"]
    cache = warehouse.cache()

    entries = landing.scan()
    seen = {e.source_uri for e in entries}
    changes_by_year: dict[int, list[str]] = {}
    yearless: list[str] = []
    next_pending: dict[str, list] = {}
    identified = 0
    for entry in entries:
        stamp = [entry.size, entry.mtime]
        before = known.get(entry.source_uri)
        if before is not None and [before["size"], before["mtime"]] == stamp:
            continue  # unchanged
        if pending.get(entry.source_uri) != stamp:
            next_pending[entry.source_uri] = stamp  # new or still changing: look again next tick
            continue
        if identified >= MAX_FILES_PER_TICK:
            next_pending[entry.source_uri] = stamp  # settled; its year is read on a later tick
            continue
        identified += 1
        year = year_of(entry, cache)
        known[entry.source_uri] = {"size": entry.size, "mtime": entry.mtime, "year": year}
        change = f"{entry.source_uri}:{entry.size}:{entry.mtime}"
        if year is None:
            yearless.append(change)
        else:
            changes_by_year.setdefault(year, []).append(change)
        if before is not None and before.get("year") not in (None, year):
            changes_by_year.setdefault(before["year"], []).append(f"moved:{change}")
    for uri in sorted(set(known) - seen):
        gone = known.pop(uri)
        change = f"removed:{uri}:{gone['size']}:{gone['mtime']}"
        if gone.get("year") is None:
            yearless.append(change)
        else:
            changes_by_year.setdefault(gone["year"], []).append(change)

    requests = _run_requests(changes_by_year, yearless, tick)
    cursor = json.dumps({"files": known, "pending": next_pending, "tick": tick}, sort_keys=True)
    if not requests:
        waiting = f"; {len(next_pending)} file(s) waiting for a stable size" if next_pending else ""
        return dg.SensorResult(
            skip_reason=f"no settled changes in {len(entries)} landing files{waiting}", cursor=cursor
        )
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _run_requests(changes_by_year: dict[int, list[str]], yearless: list[str], tick: int) -> list[dg.RunRequest]:
    """One yearly run per affected year; a ledger-only run for files without a year."""
    requests = [
        dg.RunRequest(
            job_name=yearly_reports_job.name,
            partition_key=str(year),
            run_key=f"landing-{year}-{tick}-{_digest(changes)}",
            tags={"govreport/trigger": "landing_sensor", "govreport/changed_files": str(len(changes))},
        )
        for year, changes in sorted(changes_by_year.items())
    ]
    if yearless:
        requests.append(
            dg.RunRequest(
                job_name=ingest_job.name,
                run_key=f"landing-ledger-{tick}-{_digest(yearless)}",
                tags={"govreport/trigger": "landing_sensor"},
            )
        )
    return requests
