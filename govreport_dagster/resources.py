"""Resources: the landing zone the raw files come from and the warehouse they go to."""

import dagster as dg
from pydantic import Field
from upath import UPath

from . import settings
from .core.landing import LandingEntry
from .storage.cache import ResultCache
from .storage.corrections import default_corrections_root
from .storage.landing import scan
from .storage.warehouse import Warehouse


class LandingZoneResource(dg.ConfigurableResource):
    """A folder (local path or fsspec URL) of raw report files, flat or under YYYY/ folders."""

    root: str = Field(default_factory=settings.landing_root, description="Path or fsspec URL of the landing zone")
    max_file_bytes: int = Field(default_factory=settings.max_file_bytes, description="Larger files are rejected")
    corrections: str = Field(
        default_factory=settings.corrections_override,
        description="Folder of people's corrections (YAML); empty: <landing>_corrections beside the landing zone",
    )

    @property
    def corrections_root(self) -> str:
        return self.corrections or default_corrections_root(self.root)

    def scan(self) -> list[LandingEntry]:
        return scan(self.root, max_file_bytes=self.max_file_bytes)


class ClusterResource(dg.ConfigurableResource):
    """Where the per-document stages (decode, sectioning, tables) run — the `--cluster`
    setting for the UI, schedules and sensor: `local` (process pool, the default), `local:N`,
    `serial`, `local-cluster:N` (a Dask LocalCluster of N workers) or a Dask scheduler address
    (`tcp://host:8786`). Default: `GOVREPORT_CLUSTER`, else `local`."""

    spec: str = Field(default_factory=settings.cluster_spec, description="Cluster for the per-document stages")


class WarehouseResource(dg.ConfigurableResource):
    """The Parquet warehouse BI reads, plus the pipeline's working folders beside it:
    `_stages/` (intermediate assets), `_cache/` (per-file results by content hash) and the
    GX Data Docs site in the sibling folder `<warehouse>_data_docs/`."""

    root: str = Field(default_factory=settings.warehouse_root, description="Path or fsspec URL of the warehouse")

    def writer(self) -> Warehouse:
        return Warehouse(self.root)

    def cache(self) -> ResultCache:
        return ResultCache(UPath(self.root) / "_cache")

    @property
    def stages_root(self) -> UPath:
        return UPath(self.root) / "_stages"

    @property
    def data_docs_root(self) -> UPath:
        path = UPath(self.root)
        return path.parent / f"{path.name}_data_docs"
