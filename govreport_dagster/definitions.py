"""The code location: assets, resources, jobs, schedules, sensors."""

from __future__ import annotations

import dagster as dg

from . import settings

settings.quiet_third_parties()

from assets import corrections, decoded, facts, raw, sectioned, tables  # noqa: E402

from . import execution_dask  # noqa: E402, F401  (registers local-cluster:N and scheduler addresses)
from .corrections_sensor import corrections_sensor  # noqa: E402
from .io_manager import StageIOManager  # noqa: E402
from .jobs import corrections_job, ingest_job, yearly_reports_job  # noqa: E402
from .resources import ClusterResource, LandingZoneResource, WarehouseResource  # noqa: E402
from .schedules import catch_up_schedule, yearly_reports_schedule  # noqa: E402
from .sensors import landing_sensor  # noqa: E402

all_assets = dg.load_assets_from_modules([raw, decoded, sectioned, tables, corrections, facts])


def make_resources(
    landing_root: str | None = None, warehouse_root: str | None = None, corrections_root: str | None = None
) -> dict[str, object]:
    """The resources for a landing zone, warehouse and corrections folder (defaults: settings /
    environment; the corrections folder defaults to the one beside the landing zone)."""
    landing_config = {"root": landing_root} if landing_root else {}
    if corrections_root:
        landing_config["corrections"] = corrections_root
    landing = LandingZoneResource(**landing_config)
    warehouse = WarehouseResource(root=warehouse_root) if warehouse_root else WarehouseResource()
    return {
        "landing": landing,
        "warehouse": warehouse,
        "cluster": ClusterResource(),
        "io_manager": StageIOManager(warehouse=warehouse),
    }


defs = dg.Definitions(
    assets=all_assets,
    # One process per run: steps share the imports (GX, OpenCC) instead of paying them per
    # step, and a 2-core machine gets its parallelism from the two concurrent runs.
    executor=dg.in_process_executor,
    resources=make_resources(),
    jobs=[yearly_reports_job, ingest_job, corrections_job],
    schedules=[yearly_reports_schedule, catch_up_schedule],
    sensors=[landing_sensor, corrections_sensor],
)
