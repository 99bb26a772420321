"""Asset metadata of the year's corrections and suggestions (issue 16), shown on
`report_facts` and `published_warehouse`: how many corrections apply or went stale, how many
suggestions there are, and a table of them."""

import dagster as dg

from govreport_dagster.core.stewardship import year_summary
from govreport_dagster.io_manager import Frames
from govreport_dagster.metadata_md import markdown_table

_SUGGESTION_COLUMNS = {
    "report_id": "report",
    "cell": "cell",
    "printed_value": "printed",
    "suggested_value": "suggested",
    "rule": "rule",
    "certainty": "certainty",
    "accepted": "accepted",
}


def stewardship_metadata(frames: Frames) -> dict[str, object]:
    corrections = frames.get("corrections")
    suggestions = frames.get("correction_suggestions")
    summary = year_summary(
        [] if corrections is None else corrections.to_dict("records"),
        [] if suggestions is None else suggestions.to_dict("records"),
    )
    by_status = summary["corrections_by_status"]
    metadata: dict[str, object] = {
        "corrections": dg.MetadataValue.int(summary["corrections"]),
        "corrections_applied": dg.MetadataValue.int(by_status.get("applied", 0)),
        "corrections_not_applied": dg.MetadataValue.json({k: v for k, v in by_status.items() if k != "applied"}),
        "suggestions": dg.MetadataValue.int(summary["suggestions"]),
        "suggestions_accepted": dg.MetadataValue.int(summary["suggestions_accepted"]),
    }
    if suggestions is not None:
        metadata["suggestions_preview"] = dg.MetadataValue.md(
            markdown_table(suggestions, _SUGGESTION_COLUMNS, "No suggested corrections for this year.")
        )
    return metadata
