"""Typed access to the one template declaration (`templates.yaml` beside this module).

Every stage that needs a label, a key, a layout or an identity asks this module. Labels
are compared only through `match_key()`, which folds the typographic drift found in real
reports (full-width vs ASCII punctuation, curly vs straight quotes, spaces and line breaks
inside labels, 1. / 1、 / 1． item numbering).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache, cached_property
from importlib import resources
from typing import Any, TypeVar

import yaml

SpecT = TypeVar("SpecT")

TEMPLATE_VERSIONS = ("pre2019", "2019", "2021")
# The versions with official table layouts, in order of precedence: where the layouts
# define the same key, the newest layout's label, unit and position win.
LAYOUT_PRECEDENCE = ("2021", "2019")
TABLE_IDS = ("t2", "t3", "t4")
AXES = ("rows", "columns")

_FOLD_TABLE = str.maketrans(
    {
        "（": "(",
        "）": ")",
        "：": ":",
        "，": ",",
        "；": ";",
        "“": "",
        "”": "",
        '"': "",
        "‘": "",
        "’": "",
        "．": ".",
        "、": ".",
        "／": "/",
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "[": "(",
        "]": ")",
    }
)
_SPACE_RE = re.compile(r"[\s\u3000\u00a0|]+")


def match_key(label: str) -> str:
    """Fold a label to the form used for all label comparisons.

    Removes whitespace and `|` (labels wrap over lines and cells), maps full-width
    punctuation to ASCII, drops quotes, and treats 、 and ． like `.` so that
    `1、申请人…` and `1.申请人…` match. Characters are otherwise kept: the caller converts
    scripts (OpenCC) before matching.
    """
    folded = label.translate(_FOLD_TABLE)
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in folded)
    return _SPACE_RE.sub("", folded)


@cache
def fold_char(ch: str) -> str:
    """`match_key` of one character, memoised: scanners fold their text char by char and keep
    each folded char's offset."""
    return match_key(ch)


# A leading item marker: 其中 ("of which", a child row) and/or an item number 1. / (一) / 一.
# Applied to folded text (match_key), where 、 and ． are already `.` and brackets ASCII.
_ITEM_NUMBER_RE = re.compile(
    r"^(?:其中:?)?(?:\d{1,2}\.|\([一二三四五六七八九十\d]{1,3}\)|[一二三四五六七八九十]{1,3}\.)?"
)


def strip_item_number(label: str) -> str:
    """The folded label (`match_key`) without its leading item marker: `其中：`, then an
    item number `1.` / `1、` / `（一）` / `一、`. Row labels are matched with and without
    numbering because reports renumber, drop or reword the ordinals."""
    return _ITEM_NUMBER_RE.sub("", match_key(label), count=1)


def strip_printed_item_number(label: str) -> str:
    """The printed label without the item marker `strip_item_number` finds (`（一）予以公开` →
    `予以公开`), punctuation as printed: for display. One pattern: the marker is measured on
    the folded text and cut from the printed characters that fold into it."""
    marker = len(match_key(label)) - len(strip_item_number(label))
    folded = 0
    for end, ch in enumerate(label):
        if folded >= marker:
            return label[end:].strip()
        folded += len(fold_char(ch))
    return "" if marker else label.strip()


def expand_keys(keys: Iterable[str], universe: Sequence[str]) -> list[str]:
    """Resolve an identity's key list against a layout's keys: `withheld_*` stands for every
    key with that prefix; keys the layout does not have are dropped. Order kept, no repeats."""
    out: list[str] = []
    for key in keys:
        if key.endswith("*"):
            out.extend(k for k in universe if k.startswith(key[:-1]))
        elif key in universe:
            out.append(key)
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Label:
    key: str
    label: str
    variants: tuple[str, ...] = ()
    group: str | None = None
    unit: str | None = None
    decimal: bool = False
    signed: bool = False
    section: str | None = None  # narrative metrics: the official section that reports it

    @property
    def all_labels(self) -> tuple[str, ...]:
        return (self.label, *self.variants)

    @cached_property
    def match_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(match_key(text) for text in self.all_labels))


@dataclass(frozen=True)
class TableBlock:
    """A rectangular block of a table: table 2's sub-tables, or all of table 3 / 4."""

    table_id: str
    block: str
    anchor: str | None
    rows: tuple[Label, ...]
    columns: tuple[Label, ...]

    def row(self, key: str) -> Label:
        return next(r for r in self.rows if r.key == key)

    def column(self, key: str) -> Label:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class TableLayout:
    table_id: str
    version: str
    title: str
    section: str
    fact_table: str
    blocks: tuple[TableBlock, ...]

    @property
    def row_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.key for b in self.blocks for r in b.rows))

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key for b in self.blocks for c in b.columns))

    @property
    def row_labels(self) -> tuple[Label, ...]:
        """The rows of every block, in printed order."""
        return tuple(r for b in self.blocks for r in b.rows)

    def cells(self) -> list[tuple[str, str]]:
        """Every (row_key, col_key) the layout defines, in printed order."""
        return [(r.key, c.key) for b in self.blocks for r in b.rows for c in b.columns]


@dataclass(frozen=True)
class SectionSpec:
    key: str
    numeral: str
    heading: str
    variants: tuple[str, ...]

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.heading, *self.variants)


@dataclass(frozen=True)
class Identity:
    id: str
    table: str | None
    kind: str  # sum | cross_year | narrative
    severity: str  # error | warn
    label_zh: str
    layouts: tuple[str, ...]
    along: str | None = None
    lhs: tuple[str, ...] = ()
    rhs: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class LegacyIndicator:
    key: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Templates:
    raw: dict[str, Any] = field(hash=False, compare=False)

    # -- versions -----------------------------------------------------------------------
    def version_for_year(self, year: int) -> str:
        """The template a report for `year` is expected to follow (by report year): the
        first version, in declared order, whose `report_years` range does not end before
        `year` (years before the first range belong to the first version)."""
        versions = self.raw["versions"]
        for version, spec in versions.items():
            last = spec["report_years"][1]
            if last is None or year <= last:
                return str(version)
        return str(next(reversed(versions)))

    # -- sections -----------------------------------------------------------------------
    @cached_property
    def official_sections(self) -> tuple[SectionSpec, ...]:
        return tuple(
            SectionSpec(s["key"], s["numeral"], s["heading"], tuple(s.get("variants", ())))
            for s in self.raw["sections"]["official"]
        )

    @cached_property
    def pre2019_families(self) -> dict[str, tuple[str, ...]]:
        return {f["key"]: tuple(f["phrases"]) for f in self.raw["sections"]["pre2019_families"]}

    @cached_property
    def section_numerals(self) -> dict[str, str]:
        """Official section key → its printed ordinal (applications → 三)."""
        return {s.key: s.numeral for s in self.official_sections}

    @property
    def section_labels(self) -> dict[str, str]:
        """Section key → its official heading, for BI."""
        return {s.key: s.heading for s in self.official_sections}

    # -- tables -------------------------------------------------------------------------
    @cache  # noqa: B019 - one Templates per process (load_templates), never freed anyway
    def layout(self, table_id: str, version: str) -> TableLayout | None:
        """The table's layout for a template version (None for pre2019: no template)."""
        if version == "pre2019":
            return None
        spec = self.raw["tables"][table_id]
        if table_id == "t2":
            blocks = tuple(
                TableBlock(
                    "t2",
                    b["block"],
                    b.get("anchor"),
                    tuple(from_spec(Label, r) for r in b["rows"]),
                    tuple(from_spec(Label, c) for c in b["columns"]),
                )
                for b in spec["layouts"][version]
            )
        else:
            excluded = set(spec.get("layouts", {}).get(version, {}).get("exclude_rows", ()))
            rows = tuple(from_spec(Label, r) for r in spec["rows"] if r["key"] not in excluded)
            blocks = (TableBlock(table_id, table_id, None, rows, tuple(from_spec(Label, c) for c in spec["columns"])),)
        return TableLayout(table_id, version, spec["title"], spec["section"], spec["fact_table"], blocks)

    def has_layout(self, version: str | None) -> bool:
        """The version prints the official tables (2019, 2021; not pre2019 or unknown)."""
        return version in LAYOUT_PRECEDENCE

    @cache  # noqa: B019 - see layout()
    def layouts(self, table_id: str) -> tuple[TableLayout, ...]:
        """The table's layouts in `LAYOUT_PRECEDENCE` (newest first)."""
        return tuple(layout for v in LAYOUT_PRECEDENCE if (layout := self.layout(table_id, v)) is not None)

    @cache  # noqa: B019 - see layout()
    def labels(self, table_id: str, axis: str) -> tuple[Label, ...]:
        """One Label per row (`axis="rows"`) or column key of the table over all layouts, in
        printed order (`row_keys`/`column_keys`); where layouts share a key the label of the
        first layout in `LAYOUT_PRECEDENCE` that prints it."""
        seen: dict[str, Label] = {}
        for layout in self.layouts(table_id):
            for block in layout.blocks:
                for label in block.rows if axis == "rows" else block.columns:
                    seen.setdefault(label.key, label)
        # t3: a row no layout prints still has a label (every row is declared once)
        for spec in self.raw["tables"][table_id].get(axis, ()):
            seen.setdefault(spec["key"], from_spec(Label, spec))
        keys = self.row_keys(table_id) if axis == "rows" else self.column_keys(table_id)
        return tuple(seen[k] for k in keys)

    @cache  # noqa: B019 - see layout()
    def wordings(self, table_id: str, axis: str) -> tuple[Label, ...]:
        """Every layout's Label of the axis, in `LAYOUT_PRECEDENCE`: a key the layouts word
        differently (t2 `decisions`: 本年处理决定数量 / 处理决定数量) comes once per wording."""
        out = (
            label
            for layout in self.layouts(table_id)
            for block in layout.blocks
            for label in (block.rows if axis == "rows" else block.columns)
        )
        return tuple(dict.fromkeys(out))

    def cells(self, table_id: str, version: str) -> tuple[tuple[Label, Label], ...]:
        """(row, column) labels of every cell the version's layout defines, in printed order
        (block by block, row by row); none for a version without layouts."""
        layout = self.layout(table_id, version) if self.has_layout(version) else None
        if layout is None:
            return ()
        return tuple((r, c) for b in layout.blocks for r in b.rows for c in b.columns)

    def key_types(self, table_id: str) -> tuple[str, str]:
        """The fact table's (row key, column key) column names: t3 → (outcome_key, applicant_key)."""
        spec = self.raw["tables"][table_id]["key_types"]
        return str(spec["rows"]), str(spec["columns"])

    @cache  # noqa: B019 - see layout()
    def header_anchors(self, table_id: str) -> tuple[str, ...]:
        """Phrases printed at the top of the table (header or first row), as written."""
        return tuple(self.raw["tables"][table_id].get("header_anchors", ()))

    def excluded_rows(self, table_id: str, version: str) -> tuple[str, ...]:
        """Row keys of the table's row list that a layout does not print (t3: the 2019
        layout has no （六） sub-rows, the 2021 layout no single （六） row)."""
        layouts = self.raw["tables"][table_id].get("layouts", {})
        spec = layouts.get(version, {}) if table_id != "t2" else {}
        return tuple(spec.get("exclude_rows", ()))

    @cache  # noqa: B019 - see layout()
    def row_keys(self, table_id: str) -> tuple[str, ...]:
        """Every row key of the table over all layouts, in printed order."""
        return self._keys_over_layouts(table_id, "rows")

    @cache  # noqa: B019 - see layout()
    def column_keys(self, table_id: str) -> tuple[str, ...]:
        """Every column key of the table over all layouts, in printed order."""
        return self._keys_over_layouts(table_id, "columns")

    def _keys_over_layouts(self, table_id: str, axis: str) -> tuple[str, ...]:
        spec = self.raw["tables"][table_id]
        if axis in spec:  # t3/t4: one list in printed order, layouts only leave rows out
            return tuple(item["key"] for item in spec[axis])
        # t2: block by block in printed order (20_1, 20_5, ...), newest layout's keys first
        by_block: dict[str, dict[str, None]] = {}
        for version in LAYOUT_PRECEDENCE:
            for block in spec["layouts"][version]:
                by_block.setdefault(block["block"], {}).update(dict.fromkeys(i["key"] for i in block[axis]))
        order = sorted(by_block, key=lambda b: [int(n) for n in b.split("_")])
        return tuple(dict.fromkeys(k for b in order for k in by_block[b]))

    def fact_table(self, table_id: str) -> str:
        """The contract table holding the table's cells (t3 → fact_applications)."""
        return str(self.raw["tables"][table_id]["fact_table"])

    def table_title(self, table_id: str) -> str:
        return str(self.raw["tables"][table_id]["title"])

    @property
    def t3_header_note(self) -> str:
        return str(self.raw["tables"]["t3"]["header_note"])

    # -- identities ---------------------------------------------------------------------
    @cached_property
    def identities(self) -> tuple[Identity, ...]:
        out = []
        for spec in self.raw["identities"]:
            out.append(
                Identity(
                    id=spec["id"],
                    table=spec.get("table"),
                    kind=spec.get("kind", "sum"),
                    severity=spec["severity"],
                    label_zh=spec["label_zh"],
                    layouts=tuple(spec.get("layouts", TEMPLATE_VERSIONS[1:])),
                    along=spec.get("along"),
                    lhs=tuple(spec.get("lhs", ())),
                    rhs=tuple(spec.get("rhs", ())),
                    spec=spec,
                )
            )
        return tuple(out)

    @cache  # noqa: B019 - see layout()
    def identities_for(self, version: str, kind: str | None = None) -> tuple[Identity, ...]:
        return tuple(i for i in self.identities if version in i.layouts and (kind is None or i.kind == kind))

    # -- narrative & legacy -------------------------------------------------------------
    @cached_property
    def narrative_metrics(self) -> tuple[Label, ...]:
        return tuple(from_spec(Label, m) for m in self.raw["narrative_metrics"])

    @cached_property
    def legacy_indicators(self) -> tuple[LegacyIndicator, ...]:
        return tuple(LegacyIndicator(i["key"], tuple(i["phrases"])) for i in self.raw["legacy_indicators"])

    # -- labels for BI ------------------------------------------------------------------
    def label_rows(self) -> list[tuple[str, str, str]]:
        """(key_type, key, label_zh) for every key the warehouse uses, one place for BI."""
        rows: dict[tuple[str, str], str] = {}
        for key, label in self.section_labels.items():
            rows[("section_key", key)] = label
        for table_id in TABLE_IDS:
            for key_type, axis in zip(self.key_types(table_id), AXES, strict=True):
                for item in self.labels(table_id, axis):
                    # t4 proceedings under a group read with it (行政诉讼未经复议直接起诉)
                    text = (item.group + item.label) if table_id == "t4" and item.group else item.label
                    rows.setdefault((key_type, item.key), text)
        for m in self.narrative_metrics:
            rows[("metric_key_narrative", m.key)] = m.label
        for i in self.identities:
            rows[("identity_id", i.id)] = i.label_zh
        return [(kt, k, v) for (kt, k), v in rows.items()]


def from_spec(cls: type[SpecT], spec: Mapping[str, Any], **converted: Any) -> SpecT:
    """One entry of the declaration → its frozen dataclass. YAML lists become tuples (frozen
    and hashable), absent keys take the field's default, keys the dataclass does not declare
    are left for other readers; `converted` gives fields that need more than that."""
    values = dict(converted)
    for name in (f.name for f in fields(cls) if f.name not in converted and f.name in spec):
        value = spec[name]
        values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


@cache
def load_templates() -> Templates:
    """Load the declaration once per process."""
    text = resources.files(__package__).joinpath("templates.yaml").read_text(encoding="utf-8")
    return Templates(yaml.safe_load(text))


def numeral_value(numeral: str) -> int | None:
    """一 → 1 … 十 → 10, 十一 → 11, 二十 → 20."""
    digits = {c: i + 1 for i, c in enumerate("一二三四五六七八九")}
    if numeral == "十":
        return 10
    if len(numeral) == 1:
        return digits.get(numeral)
    if numeral.startswith("十"):
        return 10 + digits.get(numeral[1], 0)
    tens = digits.get(numeral[0])
    if tens is None or numeral[1] != "十":
        return None
    return tens * 10 + (digits.get(numeral[2], 0) if len(numeral) == 3 else 0)
