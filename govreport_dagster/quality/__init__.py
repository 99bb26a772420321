"""The Great Expectations (1.x) layer, split by concern:

- `suites`: the suite files in `expectations/` (one JSON per stage) and how to read them;
- `preparation`: the derived columns some expectations refer to (`prepare_<stage>()`);
- `runtime`: GX itself — one ephemeral context per process, a suite run on a pandas frame,
  outcomes returned as plain `ExpectationOutcome`s (`outcomes`);
- `data_docs`: GX's static Data Docs pages for a set of validations, readable offline;
- `vocabulary` and `render`: `tables.json` and `facts.json` rendered from `templates.yaml`
  and `schemas.CONTRACT` (`python -m govreport_dagster.quality render`; a test keeps the
  committed files equal to the rendering).

dagster-ge needs GX < 1 and pandas < 3, so this package is the bridge; `checks.py` maps each
outcome to a Dagster asset check. GX takes seconds to import: only `runtime` and `data_docs`
import it, inside their functions, with analytics off and no progress bars. Nothing here
touches the network.

Suites' expectations carry in `meta`: `check_name` (a stable [a-z0-9_] identifier, the
Dagster check name), `severity` ("error": blocking, a violation is a pipeline bug; "warn":
the source's), `table` (facts only: the contract table it applies to) and optionally
`example_columns` (what to show of an unexpected row).
"""
