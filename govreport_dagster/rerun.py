"""Re-runs that only redo what changed: which years `govreport run` may skip.

A year's per-document stages are a function of the year's ledger rows (which files, which
contents, what the ledger decided) and of the code; its facts also of the neighbouring
years' stages. So each year gets an input digest — its ledger rows without the run's
timestamps, plus a fingerprint of the package's source and declarations — and after a
year's pass succeeds its digest is recorded in `<warehouse>/_stages/_input_digests.json`.
The next run skips a year's stages when its digest is unchanged and its facts when the
digests of the year and both neighbours are unchanged: unchanged files cost the landing
scan's stat and a memo lookup, and no Dagster run is started for them at all.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from upath import UPath

from .core.ingest import LEDGER_COLUMNS
from .settings import PROJECT_ROOT

# ledger columns that decide a year's outputs (run_id and seen_at change every run)
_DECIDING_COLUMNS = tuple(c for c in LEDGER_COLUMNS if c != "decode_seconds")  # timing never decides
STATE_FILE = "_input_digests.json"


@cache
def code_digest() -> str:
    """Every source file, suite and declaration the pipeline's results depend on."""
    digest = hashlib.sha256()
    roots = [PROJECT_ROOT / "govreport_dagster", PROJECT_ROOT / "assets", PROJECT_ROOT / "expectations"]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".yaml", ".json") and path.is_file():
                digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def year_digests(ledger: pd.DataFrame, years: list[int]) -> dict[int, str]:
    """Each year's input digest (a year without ledger rows has one too: "nothing")."""
    columns = [c for c in _DECIDING_COLUMNS if c in ledger.columns]
    frame = ledger[columns].copy()
    frame["report_year"] = pd.to_numeric(frame["report_year"], errors="coerce").astype("Int64")
    frame = frame.astype("string").fillna("<NA>")
    digests = {}
    for year in years:
        mine = frame[frame["report_year"] == str(year)].sort_values(columns)
        payload = json.dumps(mine.to_numpy().tolist(), ensure_ascii=False)
        digests[year] = hashlib.sha256(f"{code_digest()}\n{payload}".encode()).hexdigest()[:16]
    return digests


class RunState:
    """The digests of the last successful pass per year and pass ("stages", "facts")."""

    def __init__(self, stages_root: str | Path | UPath) -> None:
        self.path = UPath(stages_root) / STATE_FILE
        try:
            self.recorded: dict[str, dict[str, str]] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.recorded = {}

    def unchanged(self, name: str, year: int, digest: str) -> bool:
        return self.recorded.get(name, {}).get(str(year)) == digest

    def record(self, name: str, year: int, digest: str) -> None:
        self.recorded.setdefault(name, {})[str(year)] = digest

    def forget(self, name: str, year: int) -> None:
        self.recorded.get(name, {}).pop(str(year), None)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self.recorded, indent=1, sort_keys=True))
        tmp.rename(self.path)


def corrections_digests(root: str, years: list[int]) -> dict[int, str]:
    """Each year's digest of the people's corrections (issue 16) that apply to it: the facts
    of a year read the corrections of the year and of its neighbours."""
    from .core.corrections import to_frame
    from .storage.corrections import read_corrections

    found, _problems = read_corrections(root)
    frame = to_frame(found)
    frame = frame.assign(report_year=pd.to_numeric(frame["report_year"], errors="coerce").astype("Int64"))
    frame = frame.astype("string").fillna("<NA>")
    digests = {}
    for year in years:
        mine = frame[frame["report_year"] == str(year)].sort_values(list(frame.columns))
        payload = json.dumps(mine.to_numpy().tolist(), ensure_ascii=False)
        digests[year] = hashlib.sha256(payload.encode()).hexdigest()[:16]
    return digests


def facts_digest(digests: dict[int, str], year: int, corrections: dict[int, str] | None = None) -> str:
    """The facts of a year read the stages and corrections of the year and both neighbours."""
    window = (year - 1, year, year + 1)
    parts = [digests.get(y, "absent") for y in window] + [(corrections or {}).get(y, "none") for y in window]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def frame_version(frame: pd.DataFrame) -> str:
    """A data version for a stage frame: equal frames (same columns, same rows in the same
    order) give the same version, so Dagster marks downstream partitions stale only when an
    input really changed."""
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame.astype("string"), index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def versioned_output(value: Any, frame: pd.DataFrame, metadata: dict[str, Any]) -> dg.Output:
    """`dg.Output` carrying `frame_version(frame)` as its data version (the parameter is
    marked beta in Dagster 1.13; it is what makes the UI's staleness follow the data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.Output(value, data_version=dg.DataVersion(frame_version(frame)), metadata=metadata)
