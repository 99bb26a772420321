"""What makes the Parquet read well in BI tools and pandas without hand fixes.

- pandas metadata in every file, so `pandas.read_parquet` gives nullable counts as `Int64`
  and nullable flags as `boolean` (without it a count column with a blank reads as float64);
- `source_uri` relative to the landing zone plus the `landing_root` it is relative to, in every
  published table that names a source file (`reports`, `ingest_ledger`), so the warehouse does
  not carry one machine's absolute paths in every row. The pipeline's own stages keep the
  full URI; `absolute_source_uris` turns a published table's back into it.
"""

from __future__ import annotations

import posixpath

import pandas as pd
import pyarrow as pa

from ..core.schemas import pandas_dtype


def pandas_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    """The `pandas` schema metadata pyarrow writes for a frame of these columns in nullable
    dtypes; readers' `to_pandas` restores the dtypes from it."""
    empty = pd.DataFrame({field.name: pd.Series([], dtype=pandas_dtype(field.type) or object) for field in schema})
    inferred = pa.Schema.from_pandas(empty, preserve_index=False).metadata or {}
    return {b"pandas": inferred[b"pandas"]} if b"pandas" in inferred else {}


def with_landing_root(frame: pd.DataFrame, landing_root: str) -> pd.DataFrame:
    """`source_uri` relative to the landing root (posix separators) where it lies below it,
    and the root itself in `landing_root`."""
    root = landing_root.rstrip("/")
    out = frame.copy()

    def relative(uri: object) -> object:
        if not isinstance(uri, str) or not uri.startswith(root + "/"):
            return uri
        return posixpath.relpath(uri, root) if "://" not in root else uri[len(root) + 1 :]

    out["source_uri"] = out["source_uri"].map(relative).astype("string")
    out["landing_root"] = pd.Series([root] * len(out), index=out.index, dtype="string")
    return out


def absolute_source_uris(frame: pd.DataFrame) -> pd.Series:
    """A published table's `source_uri` as the pipeline saw it: `landing_root/source_uri` where
    it is relative; as stored where it is absolute (outside the landing root) or where the
    table predates `landing_root` (warehouses written before issue 15)."""
    uris = frame["source_uri"].astype(object)
    if "landing_root" not in frame.columns:
        return uris
    roots = frame["landing_root"].astype(object)
    text = uris.astype(str)
    relative = uris.notna() & roots.notna() & ~text.str.startswith("/") & ~text.str.contains("://")
    return uris.where(~relative, roots.astype(str) + "/" + text)
