"""The Markdown previews shown in asset metadata."""

import pandas as pd

from govreport_dagster.metadata_md import markdown_table


def test_table_shows_file_names_escapes_pipes_and_blanks() -> None:
    frame = pd.DataFrame(
        {"source_uri": ["/landing/2021/a.txt"], "reason": ["bad | worse"], "n": pd.array([None], dtype="Int64")}
    )
    md = markdown_table(frame, {"source_uri": "file", "reason": "reason", "n": "n"}, "nothing")
    assert md.splitlines() == ["| file | reason | n |", "|---|---|---|", "| a.txt | bad \\| worse |  |"]


def test_empty_frame_gives_the_message() -> None:
    assert markdown_table(pd.DataFrame(columns=["a"]), {"a": "A"}, "No reports.") == "No reports."


def test_untrusted_text_is_never_markup() -> None:
    frame = pd.DataFrame({"source_uri": ["/l/[x](javascript:1).txt"], "reason": ["<script>*a*</script>\nnext"]})
    md = markdown_table(frame, {"source_uri": "file", "reason": "reason"}, "nothing").splitlines()
    assert md[2] == "| \\[x\\]\\(javascript:1\\).txt | \\<script\\>\\*a\\*\\</script\\> next |"
