"""README's layout table names every module and subpackage of the tree (issue 10: the table
matches the tree), so a newcomer's map does not go stale when a module is added."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [
    "govreport_dagster/core/",
    "govreport_dagster/storage/",
    "govreport_dagster/quality/",
    "govreport_dagster/reporting/",
    "govreport_dagster/",
    "assets/",
]


def _layout_rows() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout") :]
    return {m[1]: m[2] for m in re.finditer(r"^\| `([^`]+)` \| (.*) \|$", section, re.MULTILINE)}


def _modules(folder: Path) -> list[str]:
    names = [p.stem for p in folder.glob("*.py") if not p.stem.startswith("__")]
    names += [f"{p.name}/" for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    return sorted(n for n in names if f"govreport_dagster/{n}" not in FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_module_is_named_in_its_layout_row(folder: str) -> None:
    row = _layout_rows()[folder]
    missing = [name for name in _modules(ROOT / folder) if f"`{name}" not in row]
    assert not missing, f"README layout row {folder} does not name {missing}"
