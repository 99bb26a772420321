"""Sidecar JSON is untrusted input: parsed under size and depth limits, every field checked.

A sidecar that fails any check is ignored with a reason (the document is still processed
on its own evidence); a single bad field is dropped with a reason, the others kept.
Why each check: `true` is an int in Python (year 1), `Infinity`/`1e400` are floats that
overflow `int()`, a lone surrogate cannot be written to Parquet, deep nesting exhausts the
recursion limit of the JSON parser.
"""

from __future__ import annotations

import json
from typing import Any

from .limits import MAX_SIDECAR_BYTES, MAX_SIDECAR_DEPTH, MAX_SIDECAR_TEXT_CHARS

TEXT_FIELDS = ("source_url", "agency", "title")
YEAR_FIELD = "report_year"
_YEAR_RANGE = (1900, 2100)  # plausibility here; the calendar decides which years can run


class SidecarRejected(ValueError):
    """The whole sidecar is unusable; the message is the reason."""


def _refuse_constant(name: str) -> Any:
    raise SidecarRejected(f"non-standard JSON constant {name}")


def _depth(text: str) -> int:
    """The deepest bracket nesting outside strings, in one linear pass."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_sidecar(data: bytes) -> object:
    """The parsed JSON value; raises SidecarRejected with the reason."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise SidecarRejected(f"larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SidecarRejected("not UTF-8") from None
    if (depth := _depth(text)) > MAX_SIDECAR_DEPTH:
        raise SidecarRejected(f"nested {depth} deep (limit {MAX_SIDECAR_DEPTH})")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise SidecarRejected(f"not JSON: {str(exc)[:120]}") from None


def valid_year(value: object) -> int | None:
    """An integer year (or a string of digits); bool, float, inf, huge numbers refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 4:
        value = int(value.strip())
    if isinstance(value, int) and _YEAR_RANGE[0] <= value <= _YEAR_RANGE[1]:
        return value
    return None


def valid_text(value: object) -> str | None:
    """A string that Parquet can hold (no lone surrogates, no NUL), of bounded length."""
    if not isinstance(value, str) or len(value) > MAX_SIDECAR_TEXT_CHARS or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def sidecar_fields(data: object, name: str) -> tuple[dict[str, Any], str | None]:
    """The validated fields kept from a parsed sidecar, and a problem to note (or None)."""
    if not isinstance(data, dict):
        return {}, f"sidecar {name} ignored: not a JSON object"
    keep: dict[str, Any] = {}
    problems = []
    for key in TEXT_FIELDS:
        if key in data:
            if (text := valid_text(data[key])) is None:
                problems.append(f"{key} is not plain text")
            else:
                keep[key] = text
    if YEAR_FIELD in data:
        if (year := valid_year(data[YEAR_FIELD])) is None:
            problems.append(f"report_year {_shown(data[YEAR_FIELD])} is not a year")
        else:
            keep[YEAR_FIELD] = year
    return keep, (f"sidecar {name}: " + "; ".join(problems)) if problems else None


def _shown(value: object) -> str:
    """A short, encodable rendering of an untrusted value for a reason."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = "a number" if isinstance(value, int) and value.bit_length() > 64 else repr(value)
    else:
        text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_sidecar_bytes(data: bytes, name: str) -> tuple[dict[str, Any], str | None]:
    """Fields and problem from a sidecar's raw bytes: never raises."""
    try:
        value = load_sidecar(data)
    except SidecarRejected as exc:
        return {}, f"sidecar {name} ignored: {exc}"
    return sidecar_fields(value, name)
