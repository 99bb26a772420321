"""A report year's reports as the facts stage reads them: a chunk at a time (issues 11/12).

A year of a national collection holds thousands of reports, and one `ReportBundle` (its
sections, narrative, cells and text as Python objects) costs ~100 KB: the facts of a year
that held its own reports and both neighbouring years' at once needed gigabytes. The facts
need every report of the year only for a few small values (its agency, what corrections
match by), so they read the year twice:

1. the heads: every report as a light bundle (`YearReports.light_bundles`), reduced at once
   to its `ReportHead` and dropped;
2. the reports: a chunk of full bundles at a time, each with its agency's linked report of
   each neighbouring year as a light bundle with its tables (`NeighbourIndex`).

Where the reports come from is the caller's: the stage frames (`storage.year_reports`) or a
list in memory (`ListedYear`, what `facts.build_facts` and the tests pass).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from .agencies import Agency, agency_of
from .corrections import MatchKey, match_key
from .model import ReportBundle
from .tables.crossyear import NEIGHBOUR_TABLE, pick_neighbour_of

# Reports per chunk: 256 full bundles (~100 KB each: ~25 MB) with their agencies' reports of
# both neighbouring years (light, tables only: ~512 more) keep the facts stage's working set
# a small fraction of the driver's 1 GiB, while a chunk is still large enough that the
# per-chunk costs (slicing the stage frames, one typed frame per table) stay negligible.
CHUNK_REPORTS = 256


class YearReports(Protocol):
    """One report year's reports, rebuilt on demand, addressed by position in the year's order.

    A light bundle carries what the year's context and a neighbour are read for: its ids,
    raw file (hash, sidecar), the head of its decoded text (`agencies.context_head`: what
    places the agency), its sectioning's metadata, template and layout versions, status and
    issues, and with `with_tables` its table extraction (else an empty one). It has no
    sections, narrative, original text or grids: nothing reads them of a neighbour."""

    report_year: int

    def __len__(self) -> int: ...

    def report_ids(self) -> list[str]:
        """The reports' ids, in the year's order."""
        ...

    def has_table(self, table_id: str) -> list[bool]:
        """Whether each report's extraction has the table (`TableExtraction.has_table`), in order."""
        ...

    def bundles(self, positions: Sequence[int]) -> list[ReportBundle]:
        """The reports at these positions, whole."""
        ...

    def light_bundles(self, positions: Sequence[int], *, with_tables: bool) -> list[ReportBundle]:
        """The reports at these positions, light."""
        ...


@dataclass(frozen=True)
class ListedYear:
    """A year whose reports are already in memory: light bundles are the bundles themselves."""

    reports: Sequence[ReportBundle]

    @property
    def report_year(self) -> int:
        return self.reports[0].report_year

    def __len__(self) -> int:
        return len(self.reports)

    def report_ids(self) -> list[str]:
        return [b.report_id for b in self.reports]

    def has_table(self, table_id: str) -> list[bool]:
        return [b.tables.has_table(table_id) for b in self.reports]

    def bundles(self, positions: Sequence[int]) -> list[ReportBundle]:
        return [self.reports[p] for p in positions]

    def light_bundles(self, positions: Sequence[int], *, with_tables: bool) -> list[ReportBundle]:
        return [self.reports[p] for p in positions]


@dataclass(frozen=True)
class ReportHead:
    """What the year's context needs of one report: its agency (the `agencies` rows,
    duplicates, the neighbours' link) and what corrections match by."""

    match: MatchKey
    agency: Agency

    @property
    def report_id(self) -> str:
        return self.match.report_id

    @property
    def agency_key(self) -> str:
        """The `agencies` dimension's id: cross-year identities and duplicates link by it."""
        return self.agency.agency_id


def chunks(count: int, size: int) -> Iterator[range]:
    """Positions 0..count-1 in consecutive ranges of `size`."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def report_heads(year: YearReports, chunk_reports: int = CHUNK_REPORTS) -> list[ReportHead]:
    """Every report's head, in the year's order, reading light bundles a chunk at a time."""
    heads: list[ReportHead] = []
    for chunk in chunks(len(year), chunk_reports):
        heads.extend(ReportHead(match_key(b), agency_of(b)) for b in year.light_bundles(chunk, with_tables=False))
    return heads


class NeighbourIndex:
    """A neighbouring year's report linked to each agency of the current year: of the
    agency's reports there, by report id, `tables.pick_neighbour`'s choice, decided from the
    heads and `YearReports.has_table`; its light bundle (with tables) is built per chunk of
    the current year, for the agencies of that chunk. Only the chosen report is read: the
    cross-year identities and the window resolution read no other."""

    def __init__(self, year: YearReports, wanted: set[str], chunk_reports: int = CHUNK_REPORTS) -> None:
        self.year = year
        grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
        if wanted:  # no current report: no neighbour needed at all
            for position, head in enumerate(report_heads(year, chunk_reports)):
                if head.agency_key and head.agency_key in wanted:
                    grouped[head.agency_key].append((head.report_id, position))
        has_table = year.has_table(NEIGHBOUR_TABLE) if grouped else []
        self.linked: dict[str, int] = {}
        for key, group in grouped.items():
            # by report id (deterministic; sorted is stable for a repeated id)
            positions = [position for _rid, position in sorted(group, key=lambda g: g[0])]
            chosen = pick_neighbour_of([has_table[p] for p in positions])
            if chosen is not None:
                self.linked[key] = positions[chosen]

    def linked_reports(self, keys: set[str]) -> dict[str, ReportBundle]:
        """The report of this year linked to each agency key that has one (light, with tables)."""
        found = {key: self.linked[key] for key in keys if key in self.linked}
        needed = sorted(set(found.values()))
        built = dict(zip(needed, self.year.light_bundles(needed, with_tables=True), strict=True))
        return {key: built[position] for key, position in found.items()}
