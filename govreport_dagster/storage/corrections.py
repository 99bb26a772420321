"""The corrections folder beside the landing zone: its YAML files read and parsed.

Default location: the sibling folder `<landing>_corrections` (like `<warehouse>_data_docs`),
overridable with `GOVREPORT_CORRECTIONS` or `--corrections`. Only `*.yaml` / `*.yml` files
directly in the folder count, in name order: `govreport suggest` writes its proposals to the
`review/` subfolder, which the pipeline ignores until an analyst moves an entry up. A missing
folder means no corrections.
"""

from __future__ import annotations

from upath import UPath

from ..core.corrections import Correction, parse_corrections

SUFFIXES = (".yaml", ".yml")
REVIEW_FOLDER = "review"


def default_corrections_root(landing_root: str) -> str:
    """`<landing>_corrections`, beside the landing zone (a URL keeps its scheme)."""
    path = UPath(landing_root)
    return str(path.parent / f"{path.name}_corrections")


def read_files(root: str) -> list[tuple[str, str]]:
    """(file name, text) of every corrections file, in name order; [] without the folder.
    A file that cannot be read as UTF-8 comes back as text that fails to parse, so it is
    reported like any malformed file."""
    folder = UPath(root)
    if not folder.exists() or not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            data = path.read_bytes()
            try:
                out.append((path.name, data.decode("utf-8")))
            except UnicodeDecodeError:
                out.append((path.name, "corrections: [\n# not UTF-8"))
    return out


def read_corrections(root: str) -> tuple[list[Correction], list[str]]:
    """Every valid correction of the folder and a one-line problem per invalid entry or file."""
    found: list[Correction] = []
    problems: list[str] = []
    for name, text in read_files(root):
        corrections, file_problems = parse_corrections(text, name)
        found.extend(corrections)
        problems.extend(file_problems)
    return found, problems
