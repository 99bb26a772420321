"""Which year passes a re-run may skip: a year's digest moves with its own ledger rows (and
the code), the facts digest with the year's and both neighbours'."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from govreport_dagster.rerun import RunState, facts_digest, year_digests


def _ledger(**changes: str) -> pd.DataFrame:
    rows = [
        {"source_uri": f"/l/{y}.txt", "source_sha256": changes.get(str(y), f"sha{y}"), "report_year": y}
        | {"status": "parsed", "run_id": f"run-{changes.get('run', '1')}"}
        for y in (2019, 2020, 2021, 2022)
    ]
    return pd.DataFrame(rows)


def test_a_changed_file_moves_only_its_years_digest():
    years = [2018, 2019, 2020, 2021, 2022, 2023]
    before = year_digests(_ledger(), years)
    after = year_digests(_ledger(**{"2020": "new"}), years)
    assert [y for y in years if before[y] != after[y]] == [2020]
    # the run's own columns do not count
    assert year_digests(_ledger(run="2"), years) == before
    # facts of 2019, 2020 and 2021 read 2020's stages: exactly those move
    moved = [y for y in years[1:-1] if facts_digest(before, y) != facts_digest(after, y)]
    assert moved == [2019, 2020, 2021]


def test_run_state_survives_a_new_process(tmp_path: Path):
    state = RunState(tmp_path)
    state.record("stages", 2021, "abc")
    state.save()
    again = RunState(tmp_path)
    assert again.unchanged("stages", 2021, "abc")
    assert not again.unchanged("stages", 2021, "abd") and not again.unchanged("facts", 2021, "abc")
    again.forget("stages", 2021)
    assert not again.unchanged("stages", 2021, "abc")


def test_frame_version_follows_the_rows_not_the_object():
    from govreport_dagster.rerun import frame_version

    frame = pd.DataFrame({"source_uri": ["/a", "/b"], "report_year": [2020, 2021]})
    assert frame_version(frame) == frame_version(frame.copy())
    assert frame_version(frame) != frame_version(frame.assign(report_year=[2020, 2022]))
    assert frame_version(frame) != frame_version(frame.rename(columns={"report_year": "year"}))


def test_a_years_corrections_move_the_facts_of_it_and_its_neighbours(tmp_path: Path):
    from govreport_dagster.rerun import corrections_digests

    years = [2019, 2020, 2021, 2022, 2023]
    ledger = year_digests(_ledger(), years)
    none = corrections_digests(str(tmp_path / "no_corrections_here"), years)
    assert len(set(none.values())) == 1  # no corrections: the same digest every year
    changed = {**none, 2021: "a correction"}
    moved = [y for y in years if facts_digest(ledger, y, none) != facts_digest(ledger, y, changed)]
    assert moved == [2020, 2021, 2022]
