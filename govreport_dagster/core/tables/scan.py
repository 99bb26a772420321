"""Turn a table's text region into atoms (numbers, not-applicable marks, pipes, label text)
and a folded label stream in which template labels are found.

Numbers are taken out of the label stream so that a label wrapped around its own cells
(PDF text: "（二）部分公开（区分处理的，只计这一情   447  7 …\\n形，不计其他情形）") still reads
as one label, and so that run-together pages (`规章000规范性文件898989`) separate into
labels and digit runs. Item numbers glued to the previous row's digits (`…00000002.其他…`)
go back to the label they number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govreport_dagster.core.templates import fold_char, strip_item_number

# One alternation, tried left to right at each position. A page footer on a line of its own
# ("-4-", "第 4 页 共 7 页") is never a value: it becomes a `break` atom, which ends the row
# printed before it. Whitespace is taken one line at a time so a footer's indentation
# stays on its line.
_ATOM_RE = re.compile(
    r"""
    (?P<footer>^[ \t]*(?:[-—–][ \t]*\d{1,3}[ \t]*[-—–]
                       |第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*共[ \t]*\d{1,3}[ \t]*页)?)[ \t]*$)
  | (?P<num>[-−]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:万元|元|万|件|条|项|个)?)
  | (?P<na>(?<![^\s|])(?:/|／|—+|–|-+|－|\\)(?![^\s|]))
  | (?P<pipe>\|)
  | (?P<space>[^\S\n]*\n|[^\S\n]+)
  | (?P<char>.)
    """,
    re.X | re.M | re.S,
)
_NUMBERING_FOLLOW = ".、．"


@dataclass(frozen=True)
class Atom:
    kind: str  # num | na | pipe | text | break (a page footer)
    text: str
    start: int  # offset in the scanned text (add the region's base for document offsets)
    end: int


@dataclass
class Scan:
    """A scanned region: atoms in order, plus the folded label stream with a position map."""

    text: str
    atoms: list[Atom]
    stream: str  # folded label characters (match_key form), numbers removed
    stream_pos: list[int]  # stream index → offset in `text`

    def span_offsets(self, s: int, e: int) -> tuple[int, int]:
        """Stream span → text offsets [start, end)."""
        if not self.stream_pos:
            return (0, 0)
        start = self.stream_pos[min(s, len(self.stream_pos) - 1)]
        end = self.stream_pos[min(e, len(self.stream_pos)) - 1] + 1 if e > 0 else start
        return start, end

    def offset_to_stream(self, offset: int) -> int:
        """First stream index whose text offset is ≥ offset."""
        import bisect

        return bisect.bisect_left(self.stream_pos, offset)


def scan(text: str) -> Scan:
    atoms: list[Atom] = []
    stream: list[str] = []
    stream_pos: list[int] = []

    def add_char(ch: str, pos: int) -> None:
        folded = fold_char(ch)
        for f in folded:
            stream.append(f)
            stream_pos.append(pos)
        if folded:
            if atoms and atoms[-1].kind == "text" and atoms[-1].end == pos:
                last = atoms[-1]
                atoms[-1] = Atom("text", last.text + ch, last.start, pos + 1)
            else:
                atoms.append(Atom("text", ch, pos, pos + 1))

    for m in _ATOM_RE.finditer(text):
        kind = m.lastgroup
        s, e = m.start(), m.end()
        if kind == "num":
            token = m.group()
            # "…00000002.其他" / "3.其他" / "3. 要求…": the last digit numbers the next label.
            after = text[e + 1 : e + 4].lstrip(" \t")
            if (
                text[e : e + 1] in _NUMBERING_FOLLOW
                and token.isdigit()
                and after[:1]
                and not after[0].isdigit()
                and not after[0].isspace()
                and after[0] not in "|"
            ):
                if len(token) > 1:
                    atoms.append(Atom("num", token[:-1], s, e - 1))
                add_char(token[-1], e - 1)
                continue
            atoms.append(Atom("num", token, s, e))
        elif kind == "na":
            atoms.append(Atom("na", m.group(), s, e))
        elif kind == "pipe":
            atoms.append(Atom("pipe", "|", s, e))
        elif kind == "char":
            add_char(m.group(), s)
        elif kind == "footer":
            atoms.append(Atom("break", "", s, e))
        # space: nothing
    return Scan(text, atoms, "".join(stream), stream_pos)


# --------------------------------------------------------------------------------------
# Finding labels in the stream


def _overlaps(s: int, e: int, claimed: list[tuple[int, int]]) -> bool:
    return any(s < ce and cs < e for cs, ce in claimed)


def _fuzzy(
    stream: str, key: str, lo: int, hi: int, claimed: list[tuple[int, int]], max_gap: int
) -> tuple[int, int] | None:
    """Match `key` allowing up to `max_gap` foreign stream characters inside it (group labels
    printed through a wrapped row label in PDF text)."""
    head = key[: min(4, len(key))]
    pos = stream.find(head, lo, hi)
    while pos != -1:
        i, j, gaps = len(head), pos + len(head), 0
        while i < len(key) and j < hi and gaps <= max_gap:
            if stream[j] == key[i]:
                i += 1
            else:
                gaps += 1
            j += 1
        if i == len(key) and gaps <= max_gap and not _overlaps(pos, j, claimed):
            return pos, j
        pos = stream.find(head, pos + 1, hi)
    return None


def find_label(
    stream: str,
    keys: tuple[str, ...],
    lo: int,
    hi: int,
    claimed: list[tuple[int, int]],
    *,
    fuzzy: bool = True,
    core_min: int = 4,
) -> tuple[int, int] | None:
    """First unclaimed occurrence of any of `keys` (folded) in stream[lo:hi].

    Tries exact keys, then keys without their item number (1. / (三) / 一.), then a
    gap-tolerant match for long labels. Returns the stream span."""
    cores = [strip_item_number(k) for k in keys]
    cores = [c for k, c in zip(keys, cores, strict=True) if c != k and len(c) >= core_min]
    for group in (list(keys), cores):
        hits = []
        for key in group:
            pos = stream.find(key, lo, hi) if key else -1
            while pos != -1 and _overlaps(pos, pos + len(key), claimed):
                pos = stream.find(key, pos + 1, hi)
            if pos != -1:
                hits.append((pos, pos + len(key)))
        if hits:
            return min(hits)
    if fuzzy:
        for key in (*keys, *cores):
            if len(key) >= 8:
                hit = _fuzzy(stream, key, lo, hi, claimed, max_gap=min(8, len(key) // 2))
                if hit:
                    return hit
    return None


def find_all(stream: str, key: str, lo: int, hi: int, claimed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    pos = stream.find(key, lo, hi)
    while pos != -1 and key:
        if not _overlaps(pos, pos + len(key), claimed):
            out.append((pos, pos + len(key)))
        pos = stream.find(key, pos + len(key), hi)
    return out


def value_run(sc: Scan, start_off: int) -> list[Atom]:
    """The values (and pipes between them) from the first value after `start_off` to the
    first text after them."""
    run: list[Atom] = []
    for a in sc.atoms:
        if a.start < start_off:
            continue
        if a.kind in ("num", "na") or (a.kind == "pipe" and run):
            run.append(a)
        elif a.kind == "text" and run:
            break
    return run
