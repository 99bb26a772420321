"""People's corrections (issue 16): the corrections folder, parsed once for every year.

Unpartitioned: each year's `report_facts` reads it and applies the corrections of its year
(and of the previous year, for the cross-year identities on corrected values). The
`corrections_sensor` re-materialises exactly the years whose corrections changed. Malformed
entries are warnings naming the file and the entry; the valid ones still count.
"""

import dagster as dg
import pandas as pd

from govreport_dagster.core.corrections import to_frame
from govreport_dagster.io_manager import Frames
from govreport_dagster.resources import LandingZoneResource
from govreport_dagster.storage.corrections import read_corrections


@dg.asset(
    group_name="annual_reports",
    tags={"stage": "corrections"},
    kinds={"yaml"},
    description="Corrections recorded by people (YAML files beside the landing zone): which printed cell of which "
    "report, the printed value it corrects, the right value, why, who, when.",
)
def corrections(context: dg.AssetExecutionContext, landing: LandingZoneResource) -> dg.Output[Frames]:
    root = landing.corrections_root
    found, problems = read_corrections(root)
    for problem in problems:
        context.log.warning(problem)
    frame = to_frame(found)
    per_year = {str(k): int(v) for k, v in frame["report_year"].value_counts().sort_index().items()}
    return dg.Output(
        {"corrections": frame, "problems": pd.DataFrame({"problem": pd.Series(problems, dtype="string")})},
        metadata={
            "folder": dg.MetadataValue.path(root),
            "corrections": len(frame),
            "corrections_per_year": dg.MetadataValue.json(per_year),
            "problems": dg.MetadataValue.json(problems),
        },
    )
