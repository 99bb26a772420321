"""Assets driven one at a time, as in Dagster's example projects: an asset function called
directly with `build_asset_context`, a small `materialize` with resources on a temporary
folder, and the stage IO manager's round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from builders import seed_path

from assets.decoded import decoded_documents
from assets.raw import ingest_ledger, raw_reports
from govreport_dagster.io_manager import StageIOManager
from govreport_dagster.partitions import report_year_partitions
from govreport_dagster.resources import ClusterResource, LandingZoneResource, WarehouseResource


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """Two seeds (2021, 2024), a byte copy of one and a file that is not a report."""
    root = tmp_path / "landing"
    root.mkdir()
    shutil.copy(seed_path("002"), root / "pingshan.txt")
    shutil.copy(seed_path("003"), root / "other.txt")
    shutil.copy(seed_path("002"), root / "pingshan_copy.txt")
    (root / "noise.bin").write_bytes(bytes(range(256)) * 8)
    return root


def test_decoded_documents_decodes_each_distinct_content_once(landing: Path, tmp_path: Path) -> None:
    warehouse = WarehouseResource(root=str(tmp_path / "wh"))
    output = decoded_documents(dg.build_asset_context(), landing=LandingZoneResource(root=str(landing)),
                               warehouse=warehouse, cluster=ClusterResource(spec="serial"))  # fmt: skip
    files, documents = output.value["files"], output.value["documents"]
    assert len(files) == 4
    assert len(documents) == 3  # pingshan_copy.txt has pingshan.txt's bytes: decoded once
    assert documents["rejection"].notna().sum() == 1  # noise.bin
    decoded = documents[documents["rejection"].isna()]
    # what the ledger needs of each content, without its text (issue 12: never a landing's texts at once)
    assert sorted(decoded["document_year"].tolist()) == [2021, 2024]
    assert decoded["report_id"].notna().all() and "text" not in documents.columns
    assert output.metadata["cache"].value["decoded"] == {"hits": 0, "misses": 3}


def test_ingest_ledger_and_raw_reports_called_directly(landing: Path, tmp_path: Path) -> None:
    warehouse = WarehouseResource(root=str(tmp_path / "wh"))
    docs = decoded_documents(dg.build_asset_context(), landing=LandingZoneResource(root=str(landing)),
                             warehouse=warehouse, cluster=ClusterResource(spec="serial")).value  # fmt: skip
    ledger = ingest_ledger(dg.build_asset_context(), decoded_documents=docs, warehouse=warehouse,
                           landing=LandingZoneResource(root=str(landing))).value  # fmt: skip
    status = dict(zip(ledger["ledger"]["source_uri"].map(lambda u: Path(u).name), ledger["ledger"]["status"],
                      strict=True))  # fmt: skip
    assert status == {"pingshan_copy.txt": "duplicate", "noise.bin": "rejected", "other.txt": "parsed",
                      "pingshan.txt": "parsed"}  # fmt: skip
    assert (tmp_path / "wh" / "ingest_ledger").is_dir()  # also published for BI
    raw = raw_reports(dg.build_asset_context(partition_key="2021"), ingest_ledger=ledger).value["files"]
    assert raw["source_uri"].map(lambda u: Path(u).name).tolist() == ["pingshan.txt"]
    empty = raw_reports(dg.build_asset_context(partition_key="2020"), ingest_ledger=ledger).value["files"]
    assert len(empty) == 0


def test_published_ledger_names_files_relative_to_the_landing_root_across_runs(landing: Path, tmp_path: Path) -> None:
    """BI's ledger has `source_uri` relative to `landing_root`; the next run reads it back as
    full URIs, so unchanged files stay parsed and only a file gone from the landing zone is
    `removed`."""
    warehouse, zone = WarehouseResource(root=str(tmp_path / "wh")), LandingZoneResource(root=str(landing))

    def run() -> pd.DataFrame:
        docs = decoded_documents(dg.build_asset_context(), landing=zone, warehouse=warehouse,
                                 cluster=ClusterResource(spec="serial")).value  # fmt: skip
        stage = ingest_ledger(dg.build_asset_context(), decoded_documents=docs, warehouse=warehouse, landing=zone)
        assert stage.value["ledger"]["source_uri"].str.startswith(str(landing) + "/").all()  # stages keep full URIs
        return pd.read_parquet(tmp_path / "wh" / "ingest_ledger")

    first = run()
    assert set(first["source_uri"]) == {"pingshan.txt", "pingshan_copy.txt", "noise.bin", "other.txt"}
    assert set(first["landing_root"]) == {str(landing)}
    (landing / "other.txt").unlink()
    second = run()
    status = dict(zip(second["source_uri"], second["status"].astype(str), strict=True))
    assert status == {"pingshan.txt": "parsed", "pingshan_copy.txt": "duplicate", "noise.bin": "rejected",
                      "other.txt": "removed"}  # fmt: skip


def _resources(landing: Path, tmp_path: Path) -> dict[str, object]:
    """The stage assets' resources on a temporary warehouse, in-process."""
    warehouse = WarehouseResource(root=str(tmp_path / "wh"))
    return {
        "landing": LandingZoneResource(root=str(landing)),
        "warehouse": warehouse,
        "cluster": ClusterResource(spec="serial"),
        "io_manager": StageIOManager(warehouse=warehouse),
    }


def test_materialize_ledger_then_one_year_of_raw_reports(landing: Path, tmp_path: Path) -> None:
    resources = _resources(landing, tmp_path)
    assets = [decoded_documents, ingest_ledger, raw_reports]
    with dg.instance_for_test() as instance:
        first = dg.materialize(assets, selection=["decoded_documents", "ingest_ledger"], resources=resources,
                               instance=instance)  # fmt: skip
        assert first.success
        year = dg.materialize(assets, selection=["raw_reports"], partition_key="2024", resources=resources,
                              instance=instance)  # fmt: skip
        assert year.success
    files = pd.read_parquet(tmp_path / "wh" / "_stages" / "raw_reports" / "report_year=2024" / "files.parquet")
    assert files["source_uri"].map(lambda u: Path(u).name).tolist() == ["other.txt"]


def test_a_years_decoded_reports_come_from_the_decode_cache_or_a_new_decode(landing: Path, tmp_path: Path) -> None:
    """decoded_documents keeps no text: a year's decoded_reports reads its documents back from
    the decode cache, and decodes again what the cache lost (issue 12)."""
    import shutil

    from assets.decoded import decoded_reports

    resources = _resources(landing, tmp_path)
    assets = [decoded_documents, ingest_ledger, raw_reports, decoded_reports]
    year = tmp_path / "wh" / "_stages" / "decoded_reports" / "report_year=2021" / "reports.parquet"
    with dg.instance_for_test() as instance:
        assert dg.materialize(assets, selection=["decoded_documents", "ingest_ledger"], resources=resources,
                              instance=instance).success  # fmt: skip
        for _attempt in ("from the cache", "decoded again"):
            assert dg.materialize(assets, selection=["raw_reports", "decoded_reports"], partition_key="2021",
                                  resources=resources, instance=instance).success  # fmt: skip
            frames = pd.read_parquet(year)
            assert frames["source_uri"].map(lambda u: Path(u).name).tolist() == ["pingshan.txt"]
            assert frames["text"].str.contains("政府信息公开").all()
            shutil.rmtree(tmp_path / "wh" / "_cache")  # the second pass finds no cached decode


def test_stage_io_manager_round_trip(tmp_path: Path) -> None:
    manager = StageIOManager(warehouse=WarehouseResource(root=str(tmp_path / "wh")))
    frames = {"cells": pd.DataFrame({"a": [1, 2], "b": ["x", None]}), "reports": pd.DataFrame({"id": ["r"]})}
    key = dg.AssetKey("extracted_tables")

    def output_context() -> dg.OutputContext:
        return dg.build_output_context(asset_key=key, partition_key="2021", asset_partitions_def=report_year_partitions)

    manager.handle_output(output_context(), frames)
    again = {"cells": frames["cells"].iloc[:1], "reports": frames["reports"]}
    out = output_context()
    manager.handle_output(out, again)  # replaced, not appended
    folder = tmp_path / "wh" / "_stages" / "extracted_tables" / "report_year=2021"
    assert sorted(p.name for p in folder.iterdir()) == ["cells.parquet", "reports.parquet"]
    assert not list((tmp_path / "wh" / "_tmp").glob("*"))  # staging swapped in, nothing left over
    inp = dg.build_input_context(asset_key=key, partition_key="2021", upstream_output=out,
                                 asset_partitions_def=report_year_partitions)  # fmt: skip
    loaded = manager.load_input(inp)
    pd.testing.assert_frame_equal(loaded["cells"], again["cells"])
    pd.testing.assert_frame_equal(loaded["reports"], again["reports"])
    missing = dg.build_input_context(asset_key=key, partition_key="2019", upstream_output=out,
                                     asset_partitions_def=report_year_partitions)  # fmt: skip
    with pytest.raises(FileNotFoundError, match="2019 has not been materialised"):
        manager.load_input(missing)


def test_an_input_can_read_some_frames_without_some_columns(tmp_path: Path) -> None:
    """The facts stage reads three years of each upstream stage: only what it uses."""
    manager = StageIOManager(warehouse=WarehouseResource(root=str(tmp_path / "wh")))
    frames = {"cells": pd.DataFrame({"a": [1]}), "reports": pd.DataFrame({"id": ["r"], "text": ["长文本"], "n": [3]})}
    key = dg.AssetKey("decoded_reports")
    out = dg.build_output_context(asset_key=key, partition_key="2021", asset_partitions_def=report_year_partitions)
    manager.handle_output(out, frames)
    inp = dg.build_input_context(asset_key=key, partition_key="2021", upstream_output=out,
                                 asset_partitions_def=report_year_partitions,
                                 definition_metadata={"frames": ["reports"], "skip_columns": ["text"]})  # fmt: skip
    loaded = manager.load_input(inp)
    assert list(loaded) == ["reports"]
    pd.testing.assert_frame_equal(loaded["reports"], frames["reports"].drop(columns=["text"]))


def test_a_run_does_not_keep_the_yearly_frames_it_stored(landing: Path, tmp_path: Path, monkeypatch) -> None:
    """`materialize` (like `execute_in_process`) keeps every step's output for `output_for_node`;
    the IO manager drops a yearly stage's frames from it once stored, so a run's later steps do
    not hold every earlier stage's years (issue 12). The ledger, which `govreport run` reads
    from the result, stays."""
    import gc
    import weakref

    from assets.decoded import decoded_reports

    written: list[weakref.ref] = []
    write = StageIOManager._write

    def recording_write(self, final, frames):
        written.extend(weakref.ref(frame) for frame in frames.values())
        return write(self, final, frames)

    monkeypatch.setattr(StageIOManager, "_write", recording_write)
    resources = _resources(landing, tmp_path)
    assets = [decoded_documents, ingest_ledger, raw_reports, decoded_reports]
    with dg.instance_for_test() as instance:
        ledger_run = dg.materialize(assets, selection=["decoded_documents", "ingest_ledger"], resources=resources,
                                    instance=instance)  # fmt: skip
        yearly = dg.materialize(assets, selection=["raw_reports", "decoded_reports"], partition_key="2021",
                                resources=resources, instance=instance)  # fmt: skip
        assert yearly.success
        gc.collect()
        yearly_frames = written[-2:]  # raw_reports' files, decoded_reports' reports
        assert [ref() is None for ref in yearly_frames] == [True, True]
        assert "ledger" in ledger_run.output_for_node("ingest_ledger")


@pytest.mark.parametrize("chunk", [1, 2])
def test_a_years_decoded_reports_built_a_chunk_at_a_time_are_the_whole_years(tmp_path: Path, monkeypatch, chunk):
    """`decoded_reports` reads a chunk of the year's files at a time from the decode cache:
    the same frame (rows, order, dtypes) as the year at once."""
    from assets.decoded import decoded_reports
    from govreport_dagster import stage_chunks

    root = tmp_path / "landing" / "2021"
    root.mkdir(parents=True)
    for index, prefix in enumerate(("000", "001", "002", "003", "004")):  # five reports filed under 2021
        shutil.copy(seed_path(prefix), root / f"{index}_{seed_path(prefix).name}")
    frames = {}
    for name, size in (("whole", 500), ("chunked", chunk)):
        monkeypatch.setattr(stage_chunks, "CHUNK_DOCUMENTS", size)
        resources = _resources(tmp_path / "landing", tmp_path / name)
        assets = [decoded_documents, ingest_ledger, raw_reports, decoded_reports]
        with dg.instance_for_test() as instance:
            assert dg.materialize(assets, selection=["decoded_documents", "ingest_ledger"], resources=resources,
                                  instance=instance).success  # fmt: skip
            assert dg.materialize(assets, selection=["raw_reports", "decoded_reports"], partition_key="2021",
                                  resources=resources, instance=instance).success  # fmt: skip
        frames[name] = pd.read_parquet(tmp_path / name / "wh" / "_stages" / "decoded_reports" / "report_year=2021")
    assert len(frames["whole"]) >= 4
    pd.testing.assert_frame_equal(frames["chunked"].drop(columns=["decode_seconds"], errors="ignore"),
                                  frames["whole"].drop(columns=["decode_seconds"], errors="ignore"))  # fmt: skip
