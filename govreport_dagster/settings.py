"""Where things live by default, overridable by environment variables (and Dagster config)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LANDING = PROJECT_ROOT / "data" / "sample"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse"
DEFAULT_DAGSTER_HOME = PROJECT_ROOT / "data" / "dagster_home"


def landing_root() -> str:
    """GOVREPORT_LANDING, else the bundled sample reports (so a fresh clone runs)."""
    return os.environ.get("GOVREPORT_LANDING") or str(SAMPLE_LANDING)


def warehouse_root() -> str:
    return os.environ.get("GOVREPORT_WAREHOUSE") or str(DEFAULT_WAREHOUSE)


def cluster_spec() -> str:
    """Where the per-document stages run: `local`, `local:N`, `serial`, `local-cluster:N`
    (Dask) or a Dask scheduler address (docs/distributed.md)."""
    return os.environ.get("GOVREPORT_CLUSTER") or "local"


def corrections_override() -> str:
    """GOVREPORT_CORRECTIONS, else "" (the folder beside the landing zone, see storage.corrections)."""
    return os.environ.get("GOVREPORT_CORRECTIONS") or ""


def max_file_bytes() -> int:
    from .core.limits import MAX_DOCUMENT_BYTES

    return int(os.environ.get("GOVREPORT_MAX_FILE_BYTES") or MAX_DOCUMENT_BYTES)


def quiet_third_parties() -> None:
    """No telemetry, no analytics, no network from libraries at run time."""
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # matplotlib would otherwise write its font cache to ~/.cache/matplotlib
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), "govreport-matplotlib"))
