"""Stores each stage's partition as a folder of Parquet files.

A stage asset returns `dict[name, DataFrame]` (e.g. extracted_tables → cells, reports). A
partition is written to `<warehouse>/_stages/<asset>/report_year=<YYYY>/<name>.parquet`
(unpartitioned assets: `<asset>/all/`) under a temporary folder and swapped in, so a
re-run replaces the partition atomically. Loading several upstream partitions (the
cross-year inputs) returns `{partition_key: frames}` and skips years never materialised.

A run over a range of years (`yearly.py`: single-run backfills) hands over `{year: frames}`
and gets its same-year inputs as `{year: frames}`; each year is still its own partition
folder, swapped in on its own (one year's write never depends on another's).

An input may ask for less than the whole partition (`AssetIn(metadata=…)`): `frames`, the
names to load, `skip_columns`, columns not read from them, and `stored`: `StoredFrame`
handles that read a chunk of rows at a time instead of frames. The facts stage reads its
three years of upstream stages that way: the driver's memory is the run's bound (issue 12).
Frames whose rows are reports are written in row groups of a chunk (`stored_frames`).
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
from upath import UPath

from .memory import release_freed_memory
from .resources import WarehouseResource
from .storage.stored_frames import REPORT_FRAMES, REPORT_ROW_GROUP, StoredFrame
from .storage.warehouse import Warehouse

Frames = dict[str, pd.DataFrame]
# What a yearly asset's step hands over or receives: one year's `Frames`, or `{year: Frames}`
# in a run over a range of years (`yearly.py`). `Any` to Dagster: no type check of either shape.
YearlyFrames = Any
# A `stored` input of several years: `{year: {name: StoredFrame}}` (`Any` to Dagster, as above).
StoredYears = Any


class StageIOManager(dg.ConfigurableIOManager):
    warehouse: dg.ResourceDependency[WarehouseResource]

    def _folder(self, asset_key: dg.AssetKey, partition_key: str | None) -> UPath:
        leaf = f"report_year={partition_key}" if partition_key else "all"
        return self.warehouse.stages_root / "/".join(asset_key.path) / leaf

    def handle_output(self, context: dg.OutputContext, obj: Frames) -> None:
        if obj is None:
            return
        # an unpartitioned asset (the ledger, the corrections) in a partitioned run is still
        # stored once, under all/, where its readers look for it
        keys = sorted(context.asset_partition_keys) if context.has_asset_partitions else [None]
        if len(keys) > 1:  # a run over a range of years: {year: frames}
            for key in keys:
                self._write(self._folder(context.asset_key, key), obj[key])
            rows = {key: {n: len(f) for n, f in obj[key].items()} for key in keys}
            folder = self._folder(context.asset_key, None).parent
            context.add_output_metadata(
                {"path": dg.MetadataValue.path(str(folder)), "rows": dg.MetadataValue.json(rows)}
            )
        else:
            final = self._folder(context.asset_key, keys[0])
            self._write(final, obj)
            context.add_output_metadata(
                {"path": dg.MetadataValue.path(str(final)), **{f"rows_{n}": len(f) for n, f in obj.items()}}
            )
        if context.has_asset_partitions:
            release_captured_output(context, obj)

    def _write(self, final: UPath, frames: Frames) -> None:
        def write(staging: UPath) -> None:
            for name, frame in frames.items():
                # a frame of reports in row groups of a chunk: its readers take a chunk at a time
                row_group = REPORT_ROW_GROUP if name in REPORT_FRAMES else None
                frame.to_parquet(str(staging / f"{name}.parquet"), index=False, row_group_size=row_group)

        Warehouse(self.warehouse.root).replace_folder(final, write)
        release_freed_memory(collect=False)  # the Arrow copies the write made

    def _load(self, folder: UPath, wanted: "FrameSelection | None" = None) -> Frames | None:
        if not folder.exists():
            return None
        files = [p for p in sorted(folder.iterdir()) if p.suffix == ".parquet"]
        if wanted is None:
            frames = {p.stem: pd.read_parquet(str(p)) for p in files}
        elif wanted.stored:  # handles on the files, read a chunk of rows at a time
            frames = {p.stem: StoredFrame(p, wanted.skip_columns) for p in files if wanted.loads(p.stem)}
        else:
            frames = {p.stem: wanted.read(p) for p in files if wanted.loads(p.stem)}
        release_freed_memory(collect=False)  # the Arrow tables the frames were converted from
        return frames

    def load_input(self, context: dg.InputContext) -> Frames | dict[str, Frames]:
        upstream = context.upstream_output
        assert upstream is not None
        key = context.asset_key
        wanted = FrameSelection.of(context)
        if not context.has_asset_partitions:
            frames = self._load(self._folder(key, None), wanted)
            if frames is None:
                raise FileNotFoundError(f"{key.to_user_string()} has not been materialised yet")
            return frames
        keys = list(context.asset_partition_keys)
        if len(keys) == 1 and not _is_multi_year_input(context):
            frames = self._load(self._folder(key, keys[0]), wanted)
            if frames is None:
                raise FileNotFoundError(f"{key.to_user_string()} partition {keys[0]} has not been materialised yet")
            return frames
        loaded = {k: self._load(self._folder(key, k), wanted) for k in keys}
        if not _is_multi_year_input(context):  # the same years as a range run's step: all needed
            missing = [k for k, v in loaded.items() if v is None]
            if missing:
                raise FileNotFoundError(f"{key.to_user_string()} partitions {missing} have not been materialised yet")
        return {k: v for k, v in loaded.items() if v is not None}


def release_captured_output(context: dg.OutputContext, value: object) -> None:
    """Drop a stored yearly output from the run's output capture.

    `execute_in_process` (how `govreport run` and `materialize` run a job) keeps every step's
    output value until the run ends, for `output_for_node`: a run's later steps would then hold
    the frames of every earlier stage of all its years at once (issue 12: the driver's memory;
    on the 30,000-document bench the run's peak went from 1,576 to 1,489 MB with this alone).
    Once stored, a year's frames are read back from storage by whoever needs them, so their
    captured copy goes.
    (The capture is Dagster's internal `StepExecutionContext.output_capture`; a run without
    one, such as the UI's, has nothing to drop.)"""
    try:
        capture = getattr(context.step_context, "output_capture", None)
    except dg.DagsterInvariantViolationError:  # an OutputContext built outside a run (tests)
        return
    if not capture:
        return
    for handle in [h for h, captured in capture.items() if captured is value]:
        del capture[handle]


@dataclass(frozen=True)
class FrameSelection:
    """What an input reads of each upstream partition: some of its frames, without some
    columns (declared in the input's `AssetIn` metadata)."""

    frames: frozenset[str] | None = None  # None: every frame
    skip_columns: frozenset[str] = frozenset()
    stored: bool = False  # `StoredFrame` handles instead of pandas frames

    @classmethod
    def of(cls, context: dg.InputContext) -> "FrameSelection | None":
        metadata = context.definition_metadata or {}
        if not {"frames", "skip_columns", "stored"} & set(metadata):
            return None
        frames = metadata.get("frames")
        return cls(
            frozenset(frames) if frames is not None else None,
            frozenset(metadata.get("skip_columns", ())),
            bool(metadata.get("stored")),
        )

    def loads(self, name: str) -> bool:
        return self.frames is None or name in self.frames

    def read(self, path: UPath) -> pd.DataFrame:
        if not self.skip_columns:
            return pd.read_parquet(str(path))
        names = pq.read_schema(path.path, filesystem=path.fs).names
        return pd.read_parquet(str(path), columns=[c for c in names if c not in self.skip_columns])


def _is_multi_year_input(context: dg.InputContext) -> bool:
    """Inputs declared with the previous-and-current-year mapping always get a dict."""
    return bool((context.definition_metadata or {}).get("multi_year"))
