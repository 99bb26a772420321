"""The pre-2019 statistics forms (政府信息公开情况统计表) as declared in templates.yaml.

`legacy_forms:` in templates.yaml is the one declaration: each form's rows (key, printed
label and variants, unit, 其中 parent, indicator code, printed note) and the identities
that hold between them. The reader (`tables.legacy`), the split solver
(`tables.legacy_split`), the identity checks (`core.legacy_identities`) and the GX
vocabulary all read them through this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

from govreport_dagster.core.templates import Label, from_spec, load_templates, match_key, strip_item_number

# A printed item marker (其中： / 1. / 1、 / （一） / 一、) before a label, unfolded.
_ITEM_MARKER_RE = re.compile(
    r"^(?:其中[:：]?)?(?:\d{1,2}[.、．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、)?"
)
PERIOD = "this_period"
CUMULATIVE = "cumulative"


@dataclass(frozen=True)
class FormRow(Label):
    """A form row: the template's `Label` (key, printed label, variants, unit) plus what a
    statistics form adds."""

    parent: str | None = None  # the row a 其中 sub-row belongs to
    code: str | None = None  # 定西-type indicator code, printed before the values
    note: str | None = None  # a printed parenthetical after the label (may hold digits)
    heading: bool = False  # a group row that holds no values

    @cached_property
    def match_keys(self) -> tuple[str, ...]:
        """Folded label and variants, then each without its item marker (其中： / 1. /
        （一）): reports renumber and drop markers."""
        keys = dict.fromkeys(match_key(text) for text in self.all_labels)
        keys.update(dict.fromkeys(c for text in self.all_labels if len(c := strip_item_number(text)) >= 4))
        return tuple(keys)


@dataclass(frozen=True)
class LegacyForm:
    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[FormRow, ...]
    header_anchors: tuple[str, ...] = ()

    def children(self, parent: str) -> tuple[FormRow, ...]:
        return tuple(r for r in self.rows if r.parent == parent)


@dataclass(frozen=True)
class FormIdentity:
    id: str
    kind: str  # sum | bound | period_bound
    forms: tuple[str, ...]
    severity: str  # error: used to split run-together rows; warn: checked only
    label_zh: str
    parent: str | None = None


@cache
def legacy_forms() -> tuple[LegacyForm, ...]:
    raw = load_templates().raw["legacy_forms"]["forms"]
    return tuple(from_spec(LegacyForm, f, rows=tuple(from_spec(FormRow, r) for r in f["rows"])) for f in raw)


@cache
def form_identities() -> tuple[FormIdentity, ...]:
    raw = load_templates().raw["legacy_forms"]["identities"]
    return tuple(from_spec(FormIdentity, i) for i in raw)


def identities_of(form_id: str) -> tuple[FormIdentity, ...]:
    return tuple(i for i in form_identities() if form_id in i.forms)


@cache
def indicator_keys() -> tuple[str, ...]:
    """Every indicator key a legacy row may carry: the forms' row keys, then the older
    `legacy_indicators` phrase list (kept for reports whose form is not declared)."""
    keys: dict[str, None] = {}
    for form in legacy_forms():
        keys.update(dict.fromkeys(r.key for r in form.rows))
    keys.update(dict.fromkeys(i.key for i in load_templates().legacy_indicators))
    return tuple(keys)


@cache
def indicator_labels() -> dict[str, str]:
    """Indicator key → its label (first form that declares it), for BI and details."""
    out: dict[str, str] = {}
    for form in legacy_forms():
        for r in form.rows:
            out.setdefault(r.key, _ITEM_MARKER_RE.sub("", r.label))
    return out


def form(form_id: str) -> LegacyForm:
    return next(f for f in legacy_forms() if f.id == form_id)


def label_rows() -> list[tuple[str, str, str]]:
    """(key_type, key, label_zh) of the legacy indicator keys and form identities, for the BI
    `labels` table beside the template's own rows."""
    rows = [("legacy_indicator_key", k, label) for k, label in indicator_labels().items()]
    rows += [("identity_id", i.id, i.label_zh) for i in form_identities()]
    return rows
