"""Rows of cells from scanned atoms: the values that follow one row label.

Handles the flattened forms seen in real reports: `a | b | c |` rows, one cell per line
with lines holding only `|`, space-separated PDF columns, and digit runs (split later).
"""

from __future__ import annotations

from dataclasses import dataclass

from govreport_dagster.core.tables.scan import Atom

# Text longer than this after a row's values ends the row: it is prose or the next table.
MAX_UNMAPPED_LABEL = 40


@dataclass(frozen=True)
class Tok:
    kind: str  # num | na | blank
    text: str
    start: int  # offset in the scanned text (-1 for a blank without a position)


@dataclass
class RawRow:
    label: str | None  # None: the anchored template row; text: an unknown label
    toks: list[Tok]
    has_pipes: bool


def row_tokens(atoms: list[Atom]) -> list[RawRow]:
    """The cells of one anchored row (atoms from its label start to the next anchor).

    A text run after values that is itself followed by values starts an unknown row
    (returned with its label); a long text run after values ends the row."""
    rows: list[RawRow] = [RawRow(None, [], False)]
    segment: list[Atom] = []
    segments: list[tuple[str | None, list[Atom]]] = []
    label: str | None = None
    seen_value = False
    pending_text: str | None = None
    for a in atoms:
        if a.kind == "break":
            if seen_value:
                break  # a page ends after the row: what follows (running header, repeated table header) is not it
            continue
        if a.kind == "text":
            stripped = a.text.strip()
            if not stripped:
                continue
            if seen_value:
                pending_text = (pending_text or "") + stripped
                if len(pending_text) > MAX_UNMAPPED_LABEL:
                    break
            continue
        if a.kind in ("num", "na") and pending_text is not None:
            if len(pending_text) >= 2:
                segments.append((label, segment))
                label, segment = pending_text, []
            pending_text = None
        if a.kind == "pipe" and pending_text is not None:
            # "label |" of an unknown row: keep collecting; decided when a value comes
            segment_pipe = a
            segment.append(segment_pipe)
            continue
        if a.kind in ("num", "na"):
            seen_value = True
        segment.append(a)
    segments.append((label, segment))
    rows = []
    for lab, seg in segments:
        toks, has_pipes = _cells(seg)
        rows.append(RawRow(lab, toks, has_pipes))
    return rows


def _cells(atoms: list[Atom]) -> tuple[list[Tok], bool]:
    has_pipes = any(a.kind == "pipe" for a in atoms)
    if not has_pipes:
        return [Tok(a.kind, a.text, a.start) for a in atoms if a.kind in ("num", "na")], False
    pieces: list[list[Atom]] = [[]]
    for a in atoms:
        if a.kind == "pipe":
            pieces.append([])
        elif a.kind in ("num", "na"):
            pieces[-1].append(a)
    if not pieces[0]:
        pieces = pieces[1:]  # the label's own cell
    while pieces and not pieces[-1]:
        pieces.pop()  # "||" closing a short row: missing cells, not blanks
    toks: list[Tok] = []
    for piece in pieces:
        if not piece:
            toks.append(Tok("blank", "", -1))
        else:
            toks.extend(Tok(a.kind, a.text, a.start) for a in piece)
    return toks, True
