"""Text normalisation shared by every source format.

Steps, in order (each recorded in ``flags["steps"]`` when it changed something):
  1. line ends → ``\\n``; control/zero-width characters dropped; U+3000/NBSP → space;
     full-width ASCII (U+FF01–U+FF5E) → ASCII.  One ``str.translate`` call.
  2. pinyin annotations removed (``鎮(zhèn)`` → ``鎮``): must run before t2s, because the
     annotation is what tells us the character before it is not part of the text.
  3. traditional → simplified with OpenCC t2s (once per document: it dominates the cost).
  4. spaces: lines stripped, runs of spaces inside a line collapsed, blank-line runs collapsed.
  5. site chrome removed conservatively (see ``chrome.py``).

Table text rendered by the HTML/DOCX/PDF decoders is wrapped in the private-use markers
``TABLE_START``/``TABLE_END``; chrome removal never touches lines inside them and
``locate_tables`` turns them into offsets afterwards.
"""

from __future__ import annotations

import functools
import re

import opencc

from govreport_dagster.core.decode.chrome import remove_chrome

# Private-use code points mark rendered tables inside the text while it is normalised.
TABLE_START = "\ue000"
TABLE_END = "\ue001"

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_PINYIN_LETTERS = "a-z" + _TONED
# A run of lowercase pinyin syllables in parentheses straight after a Han character, with at
# least one tone mark or ü (so "(de)", "(一)", "(2021)", "(http://…)" never match).
_PINYIN_RE = re.compile(
    rf"(?<=[{_HAN}])\((?=[^)]*[{_TONED}])[{_PINYIN_LETTERS}]{{1,7}}(?: ?[{_PINYIN_LETTERS}]{{1,7}}){{0,5}}\)"
)
_HAN_RE = re.compile(f"[{_HAN}]")
_SPACES_RE = re.compile(r" {2,}")
_BLANK_RUN_RE = re.compile(r"\n{3,}")


def _build_translation() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Control characters except \t and \n; \r is handled before translate.
    for cp in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]:
        table[cp] = None
    for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F):
        table[cp] = None
    for cp in (0x00A0, 0x3000, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x202F):
        table[cp] = " "
    table[0x2028] = "\n"
    table[0x2029] = "\n"
    # Full-width ASCII → ASCII; not NFKC, which would also fold ① into 1 and merge numbers.
    for cp in range(0xFF01, 0xFF5F):
        table[cp] = chr(cp - 0xFEE0)
    return table


_TRANSLATION = _build_translation()
_STRIP_MARKERS = {ord(TABLE_START): None, ord(TABLE_END): None}


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> tuple[str, int, int]:
    """OpenCC t2s. Returns (simplified, han_chars, han_chars_changed)."""
    converted = _t2s().convert(text)
    if converted == text:
        return text, 0, 0
    han = len(_HAN_RE.findall(text))
    if len(converted) == len(text):
        changed = sum(1 for a, b in zip(text, converted, strict=True) if a != b)
    else:  # phrase conversion changed the length: count characters that did not survive
        changed = len(set(_HAN_RE.findall(text)) - set(converted))
    return converted, han, changed


def is_traditional(han: int, changed: int) -> bool:
    # Simplified text also has a few characters t2s rewrites (乾, 著 in some phrases); a
    # traditional text changes on the order of 20–40 % of its Han characters.
    return changed >= 3 and changed >= 0.03 * max(han, 1)


def _tidy_spaces(text: str, collapse_blank_lines: bool) -> str:
    lines = [_SPACES_RE.sub(" ", line.strip(" ")) for line in text.split("\n")]
    out = "\n".join(lines)
    if collapse_blank_lines:
        out = _BLANK_RUN_RE.sub("\n\n", out).strip("\n")
    return out


def normalize_core(text: str, *, chrome: bool = True, collapse_blank_lines: bool = True) -> tuple[str, dict]:
    """The normalisation pipeline. Keeps TABLE_START/TABLE_END markers (callers that
    did not insert them should use ``normalize_text``)."""
    steps: list[str] = []
    out = text
    if "\r" in out:
        out = out.replace("\r\n", "\n").replace("\r", "\n")
        steps.append("newlines")
    translated = out.translate(_TRANSLATION)
    if translated != out:
        steps.append("width_and_controls")
        out = translated
    out, pinyin_removed = _PINYIN_RE.subn("", out)
    if pinyin_removed:
        steps.append("pinyin_removed")
    out, han, changed = to_simplified(out)
    original_script = "traditional" if is_traditional(han, changed) else "simplified"
    if changed:
        steps.append("t2s")
    tidied = _tidy_spaces(out, collapse_blank_lines)
    if tidied != out:
        steps.append("spaces")
        out = tidied
    chrome_removed = 0
    if chrome:
        out, chrome_removed = remove_chrome(out, protect=(TABLE_START, TABLE_END))
        if chrome_removed:
            steps.append("chrome_removed")
    flags = {
        "pinyin_removed": pinyin_removed,
        "chrome_removed_chars": chrome_removed,
        "han_chars_converted": changed,
        "original_script": original_script,
        "steps": steps,
    }
    return out, flags


def normalize_text(text: str) -> tuple[str, dict]:
    """Normalise a piece of text (a document, a sidecar title …) to the pipeline's form:
    simplified script, no pinyin annotations, ASCII punctuation for the full-width ASCII
    range, no control characters, site chrome removed.

    Returns (text, flags) with flags pinyin_removed, chrome_removed_chars, original_script,
    han_chars_converted, steps.
    """
    return normalize_core(text.translate(_STRIP_MARKERS))


def strip_markers(text: str) -> str:
    return text.translate(_STRIP_MARKERS)


def normalize_cells(texts: list[str]) -> tuple[list[str], int]:
    """Normalise many short cell texts with one pass through the pipeline (OpenCC's
    per-call overhead would dominate otherwise). Returns (texts, pinyin_removed)."""
    if not texts:
        return [], 0
    flat = [strip_markers(t).replace("\r", " ").replace("\n", " ") for t in texts]
    joined, flags = normalize_core("\n".join(flat), chrome=False, collapse_blank_lines=False)
    parts = joined.split("\n")
    if len(parts) != len(flat):  # cannot happen unless a step joins lines; stay correct anyway
        parts = [normalize_core(t, chrome=False, collapse_blank_lines=False)[0] for t in flat]
    return parts, flags["pinyin_removed"]
