"""Bytes → str for text and HTML files, and mojibake detection/repair.

Order: BOM; a declared charset (HTML ``<meta charset>`` / http-equiv, or an XML declaration)
when it decodes cleanly; strict UTF-8; then the CJK candidates (GB18030, Big5, UTF-16 without
BOM) scored by how much of the result is common text; charset-normalizer last. GB2312/GBK
are decoded as their superset GB18030 and reported as "gb18030".
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re

import charset_normalizer

from govreport_dagster.core.model import RejectedInput

_BOMS = (
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)

_META_CHARSET_RE = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{2,40})""", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_\-.]{2,40})""", re.IGNORECASE)

# label → (python codec, canonical name). GB2312/GBK are subsets of GB18030.
_ALIASES = {
    "gb2312": ("gb18030", "gb18030"),
    "gbk": ("gb18030", "gb18030"),
    "gb18030": ("gb18030", "gb18030"),
    "x-gbk": ("gb18030", "gb18030"),
    "cp936": ("gb18030", "gb18030"),
    "hz-gb-2312": ("hz", "hz"),
    "big5": ("cp950", "big5"),
    "big5-hkscs": ("big5hkscs", "big5"),
    "cp950": ("cp950", "big5"),
    "utf-8": ("utf-8", "utf-8"),
    "utf8": ("utf-8", "utf-8"),
    "utf-16": ("utf-16", "utf-16"),
    "utf-16le": ("utf-16-le", "utf-16"),
    "utf-16be": ("utf-16-be", "utf-16"),
}


# The encodings the decoder may report: the `encoding_known` expectation of the decoded
# suite allows exactly these (tests/test_hostile_decode.py keeps the two in step). A charset
# a page declares, or charset-normalizer guesses, outside this set (cp037, unicode_escape,
# cp1256 for byte-flipped Chinese) is never used: the file is then detected like an
# undeclared one, and rejected with a reason if nothing known reads it.
KNOWN_ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "big5", "utf-16", "ascii")


def canonical_encoding(label: str) -> tuple[str, str] | None:
    """Declared or detected label → (python codec, canonical lowercase name)."""
    key = label.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk", "gb18030"):
        return "gb18030", "gb18030"
    if name in ("big5", "cp950", "big5hkscs"):
        return "cp950", "big5"
    if name.startswith("utf-16"):
        return name, "utf-16"
    return name, name.replace("_", "-")


@functools.cache
def _common_chars() -> frozenset[str]:
    """Characters that make up ordinary Chinese text: GB2312 level-1 hanzi (the 3,755 most
    frequent simplified), Big5 level-1 hanzi (5,401 frequent traditional), and their
    punctuation rows. Used to tell a right decoding from a wrong one that happens to be valid."""
    chars: set[str] = set()
    for hi in list(range(0xA1, 0xAA)) + list(range(0xB0, 0xD8)):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes((hi, lo)).decode("gb2312"))
    for hi in range(0xA1, 0xC7):
        for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes((hi, lo)).decode("cp950"))
    chars.update("\n\t \u3000")
    chars.update(chr(c) for c in range(0x20, 0x7F))
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))
    return frozenset(chars)


def readable_share(text: str, sample: int = 4000) -> float:
    """Share of characters (in a sample) that are ASCII, common CJK or their punctuation."""
    if not text:
        return 0.0
    common = _common_chars()
    head = text[:sample]
    return sum(1 for ch in head if ch in common) / len(head)


def _decode_tolerant_tail(data: bytes, codec: str) -> str | None:
    """Strict decode, except that a multi-byte character cut off at the very end (truncated
    download) is dropped rather than failing the whole file."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and codec not in ("utf-16-le", "utf-16-be", "utf-16"):
            try:
                return data[: exc.start].decode(codec)
            except UnicodeDecodeError:
                return None
        return None
    except LookupError:
        return None


def _declared_charset(data: bytes, is_html: bool) -> str | None:
    head = data[:4096]
    m = _XML_DECL_RE.match(head)
    if m:
        return m.group(1).decode("ascii", "replace")
    if is_html:
        m = _META_CHARSET_RE.search(head)
        if m:
            return m.group(1).decode("ascii", "replace")
    return None


def _utf16_without_bom(data: bytes) -> list[tuple[str, str]]:
    if len(data) < 4 or len(data) % 2:
        return []
    head = data[:4096]
    even_nul = head[0::2].count(0)
    odd_nul = head[1::2].count(0)
    out = []
    # ASCII in UTF-16 leaves a NUL in every other byte; Han text leaves few, so also try both.
    if odd_nul >= even_nul:
        out.append(("utf-16-le", "utf-16"))
        out.append(("utf-16-be", "utf-16"))
    else:
        out.append(("utf-16-be", "utf-16"))
        out.append(("utf-16-le", "utf-16"))
    return out


def decode_bytes(data: bytes, *, is_html: bool = False) -> tuple[str, str]:
    """Decode text bytes. Returns (text, canonical encoding); raises RejectedInput when no
    encoding yields readable text."""
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), name
            except UnicodeDecodeError:
                text = data.decode(codec, errors="replace")
                return text, name

    declared = _declared_charset(data, is_html)
    if declared:
        resolved = canonical_encoding(declared)
        if resolved and resolved[1] in KNOWN_ENCODINGS:
            text = _decode_tolerant_tail(data, resolved[0])
            if text is not None:
                return text, resolved[1]

    text = _decode_tolerant_tail(data, "utf-8")
    if text is not None and ("\x00" not in text[:2000] or readable_share(text) > 0.9):
        return text, "utf-8"

    candidates: list[tuple[str, str]] = [("gb18030", "gb18030"), ("cp950", "big5")]
    if b"\x00" in data[:4096]:
        candidates = _utf16_without_bom(data) + candidates
    best: tuple[float, str, str] | None = None
    for codec, name in candidates:
        decoded = _decode_tolerant_tail(data, codec)
        if decoded is None:
            continue
        score = readable_share(decoded)
        if best is None or score > best[0] + 1e-9:
            best = (score, decoded, name)
        if score > 0.995:
            break
    if best is not None and best[0] >= 0.85:
        return best[1], best[2]

    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding:
        resolved = canonical_encoding(guess.encoding) or (guess.encoding, guess.encoding)
        decoded = _decode_tolerant_tail(data, resolved[0]) if resolved[1] in KNOWN_ENCODINGS else None
        if decoded is not None and readable_share(decoded) >= 0.6:
            return decoded, resolved[1]
    if best is not None and best[0] >= 0.6:
        return best[1], best[2]
    share = max(best[0] if best else 0.0, 0.0)
    raise RejectedInput(
        f"undecodable bytes: no encoding (tried utf-8, gb18030, big5, utf-16, charset-normalizer) "
        f"gives readable text (best {share:.0%} readable)"
    )


# --------------------------------------------------------------------------------------
# Mojibake

# Runs of Latin-1/cp1252 letters where Chinese text was decoded with the wrong codec:
# GBK "政府" read as Latin-1 is "Õþ¸®", UTF-8 "政府" read as cp1252 is "æ”¿åºœ".
_CP1252_EXTRA = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ\u2018\u2019\u201c\u201d•–—˜™š›œžŸ"
_MOJIBAKE_RUN_RE = re.compile(f"[\u00a0-\u00ff{_CP1252_EXTRA}\u0080-\u009f]{{4,}}")


def _redecode(run: str) -> list[str]:
    """Plausible Chinese readings of a mis-decoded run."""
    results = []
    for back in ("latin-1", "cp1252"):
        try:
            raw = run.encode(back)
        except UnicodeEncodeError:
            continue
        for codec in ("utf-8", "gb18030"):
            try:
                decoded = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if readable_share(decoded) >= 0.95 and any("\u4e00" <= ch <= "\u9fff" for ch in decoded):
                results.append(decoded)
    return list(dict.fromkeys(results))


def repair_mojibake(text: str) -> tuple[str, str | None, int]:
    """Returns (text, None | "repaired" | "suspected", replacement_chars)."""
    replacement = text.count("\ufffd")
    status: str | None = "suspected" if replacement else None
    if not _MOJIBAKE_RUN_RE.search(text):
        return text, status, replacement
    ambiguous = False
    repaired_any = False

    def fix(m: re.Match[str]) -> str:
        nonlocal ambiguous, repaired_any
        run = m.group(0)
        readings = _redecode(run)
        if len(readings) == 1:
            repaired_any = True
            return readings[0]
        # Runs of punctuation (……, “”) are ordinary Chinese text; accented letters are not.
        if sum(1 for ch in run if "\u00c0" <= ch <= "\u00ff") >= 2:
            ambiguous = True
        return run

    out = _MOJIBAKE_RUN_RE.sub(fix, text)
    if ambiguous:
        status = "suspected"
    elif repaired_any and status is None:
        status = "repaired"
    return out, status, replacement
