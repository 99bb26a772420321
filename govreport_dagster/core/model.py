"""Plain data passed between the pipeline's stages: raw → decoded → sectioned → tables → facts.

Each stage is a pure function from the previous stage's objects to its own; these
dataclasses are the only things they share. No Dagster, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

PARSER_VERSION = "0.1.0"

SOURCE_FORMATS = ("txt", "html", "pdf", "docx", "doc", "xls", "xlsx", "image")
CELL_STATES = ("number", "blank", "not_applicable", "text", "ocr")
# States whose cell may carry a value: `ocr` is a number read by OCR (value null when the
# reading was unsure or contradicted by an identity; the note lists the candidates).
VALUE_STATES = ("number", "ocr")


class RejectedInput(Exception):
    """A raw file the pipeline cannot use. `reason` is shown to users in the ingest ledger.

    The reason is always one line: library messages (openpyxl, pdfminer …) often span several,
    and a ledger reason or a console line must stay greppable."""

    def __init__(self, reason: str) -> None:
        reason = " ".join(str(reason).split())
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------
# Stage 0: raw files


@dataclass(frozen=True)
class RawFile:
    source_uri: str  # path or URL in the landing zone, ending in the file name
    size: int
    sha256: str
    detected_type: str  # txt | html | pdf | docx | doc | unknown …
    sidecar: dict[str, Any] = field(default_factory=dict)  # optional <file>.json
    folder_year: int | None = None  # from a YYYY/ folder on the path


# --------------------------------------------------------------------------------------
# Stage 1: decoded documents


@dataclass(frozen=True)
class GridCell:
    """One cell of an expanded table grid.

    A merged source cell (rowspan/colspan) is expanded into every position it covers; each
    copy remembers the origin (top-left) position, so a consumer can tell a value that
    spans several columns (one value) from several equal values.
    """

    text: str
    row: int
    col: int
    origin_row: int
    origin_col: int
    rowspan: int = 1
    colspan: int = 1

    @property
    def is_origin(self) -> bool:
        return (self.row, self.col) == (self.origin_row, self.origin_col)

    @property
    def merged(self) -> bool:
        return self.rowspan > 1 or self.colspan > 1


@dataclass(frozen=True)
class OcrCellInfo:
    """How a grid cell's text was read by OCR: the engine's confidence (0..1) and every
    distinct reading (the cell's text first). The tables stage decides from these whether
    the value is published (`cell_state = ocr`) or null with the candidates."""

    confidence: float
    candidates: tuple[str, ...]


@dataclass
class Grid:
    """A table from the source (HTML/DOCX/PDF), rectangular after span expansion."""

    rows: list[list[GridCell]]
    source: str  # html | docx | pdf | ocr
    char_start: int = 0  # where the table's text sits in DecodedDocument.text
    char_end: int = 0
    page: int | None = None
    # PDF only: the same table as the page's text layer reads it, line by line. The table
    # reader reads it too; where the two readings disagree the identities decide.
    text_layer: str | None = None
    ocr: dict[tuple[int, int], OcrCellInfo] = field(default_factory=dict)  # (row, col) → reading

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def texts(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "page": self.page,
            "rows": [[[c.text, c.origin_row, c.origin_col, c.rowspan, c.colspan] for c in row] for row in self.rows],
            **({"text_layer": self.text_layer} if self.text_layer is not None else {}),
            **({"ocr": self._ocr_rows()} if self.ocr else {}),
        }

    def _ocr_rows(self) -> list[list[Any]]:
        return [[r, c, i.confidence, list(i.candidates)] for (r, c), i in self.ocr.items()]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grid:
        rows = [
            [GridCell(t, r, c, orow, ocol, rs, cs) for c, (t, orow, ocol, rs, cs) in enumerate(row)]
            for r, row in enumerate(data["rows"])
        ]
        return cls(
            rows,
            data["source"],
            data.get("char_start", 0),
            data.get("char_end", 0),
            data.get("page"),
            data.get("text_layer"),
            {(r, c): OcrCellInfo(conf, tuple(cands)) for r, c, conf, cands in data.get("ocr", [])},
        )


@dataclass
class DecodedDocument:
    source_uri: str
    source_format: str  # txt | html | pdf | docx | doc | xls | xlsx
    detected_encoding: str | None  # None for binary formats (pdf/docx)
    original_script: str  # simplified | traditional
    text: str  # normalised simplified text
    original_text: str  # the text as decoded, before normalisation
    tables: list[Grid] = field(default_factory=list)
    # pinyin_removed (int), chrome_removed_chars (int), needs_ocr (bool),
    # mojibake (None | "repaired" | "suspected"), steps (list[str]: what was done)
    flags: dict[str, Any] = field(default_factory=dict)

    def tables_json(self) -> str:
        return json.dumps([g.to_dict() for g in self.tables], ensure_ascii=False)


# --------------------------------------------------------------------------------------
# Stage 2: sectioned reports


@dataclass(frozen=True)
class Section:
    key: str  # canonical key (overview …) or other_<n>
    heading: str  # as printed (simplified)
    ordinal: int  # 1-based position in the report
    char_start: int  # offsets into DecodedDocument.text (heading start .. section end)
    char_end: int
    text: str

    def record(self, report_id: str) -> dict[str, Any]:
        """The section as a `report_sections` row (contract column names)."""
        return {
            "report_id": report_id,
            "section_key": self.key,
            "heading": self.heading,
            "ordinal": self.ordinal,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "text": self.text,
        }


@dataclass(frozen=True)
class NarrativeMetric:
    metric_key: str
    value: float
    unit: str
    evidence: str  # the sentence, simplified
    char_start: int  # span of the evidence in DecodedDocument.text
    char_end: int


@dataclass
class ReportMetadata:
    title: str | None = None
    agency_name: str | None = None
    agency_level: str = "unknown"  # province | city | county | township | department | unknown
    report_year: int | None = None
    year_source: str | None = None  # sidecar | folder | title | period_sentence | text …
    publish_date: date | None = None
    index_no: str | None = None  # 索引号
    doc_no: str | None = None  # 文号


@dataclass
class SectionedReport:
    metadata: ReportMetadata
    sections: list[Section]
    template_version: str  # by report year: pre2019 | 2019 | 2021
    layout_version: str  # the layout actually printed (labels present); wins for extraction
    narrative: list[NarrativeMetric] = field(default_factory=list)
    status: str = "ok"  # ok | no_sections | empty_text | …
    issues: list[str] = field(default_factory=list)  # human-readable problems found


# --------------------------------------------------------------------------------------
# Stage 3: extracted tables


@dataclass(frozen=True)
class TableCell:
    table_id: str  # t2 | t3 | t4
    row_key: str  # t2 item, t3 outcome, t4 proceeding (or unmapped:<label>)
    col_key: str  # t2 metric, t3 applicant, t4 result
    value: float | None  # None unless cell_state is number or ocr
    cell_state: str  # number | blank | not_applicable | text | ocr
    raw_text: str
    source: str  # grid | text
    position: str  # "grid:<table>:r<row>c<col>" or "char:<offset>"
    inferred: bool = False  # value chosen by splitting run-together digits with identities
    note: str | None = None  # warning or labelled suggestion; never changes `value`
    confidence: float | None = None  # OCR engine confidence (0..1) of an `ocr` cell


@dataclass(frozen=True)
class MissingTable:
    table_id: str
    reason: str


@dataclass(frozen=True)
class LegacyIndicatorRow:
    ordinal: int
    indicator_label: str
    indicator_key: str | None
    parent_ordinal: int | None
    unit: str | None
    this_period: float | None
    cumulative: float | None
    raw_text: str


@dataclass
class TableExtraction:
    layout_version: str
    cells: list[TableCell] = field(default_factory=list)
    missing: list[MissingTable] = field(default_factory=list)
    legacy: list[LegacyIndicatorRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Run-together digit strings the identities could not split uniquely:
    # {"t2.procurement": ["135 / 75394432.52", …]}
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    # The same rows' candidates, machine-readable: one {col_key: (value, printed part)} per
    # split, all of them (not only the first 50), so a later stage can keep the ones other
    # reports' identities allow (tables.crossyear). Absent for a row with too many splits.
    ambiguous_splits: dict[str, list[dict[str, tuple[float | None, str]]]] = field(default_factory=dict)

    def has_table(self, table_id: str) -> bool:
        return any(c.table_id == table_id for c in self.cells)


# --------------------------------------------------------------------------------------
# Stage 4: identities


@dataclass(frozen=True)
class IdentityResult:
    identity_id: str
    scope: str
    lhs: float | None
    rhs: float | None
    status: str  # passed | failed | not_assessable
    severity: str  # error | warn
    detail: str  # readable, Chinese labels

    @property
    def passed(self) -> bool | None:
        return None if self.status == "not_assessable" else self.status == "passed"


def to_plain(obj: Any) -> Any:
    """Dataclass → JSON-able dict (dates as ISO strings)."""

    def default(o: Any) -> Any:
        if isinstance(o, date):
            return o.isoformat()
        raise TypeError(type(o))

    return json.loads(json.dumps(asdict(obj), default=default, ensure_ascii=False))


# --------------------------------------------------------------------------------------
# One report through all stages (what the facts stage consumes)


def make_report_id(normalised_text: str) -> str:
    """Stable id from the normalised content: re-runs, re-encodings and mirrors of the same
    report text keep the same id."""
    import hashlib

    return hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()[:16]


@dataclass
class ReportBundle:
    report_id: str
    report_year: int
    raw: RawFile
    decoded: DecodedDocument
    sectioned: SectionedReport
    tables: TableExtraction
