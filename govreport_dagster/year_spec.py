"""The `--years` specification shared by the CLI and the pipeline runner."""

from __future__ import annotations


def parse_years(spec: str, available: list[int]) -> list[int]:
    """`all` (the available years), or ranges and single years: `2016-2024`, `2019,2021`."""
    if spec == "all":
        return available
    years: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-", 1))
            if lo > hi:  # would silently select nothing
                raise ValueError(f"the range {part} is reversed: write {hi}-{lo}")
            years.update(range(lo, hi + 1))
        elif part:
            years.add(int(part))
    return sorted(years)
