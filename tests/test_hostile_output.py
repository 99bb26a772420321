"""Output never interprets input (issue 17): a file name or report text holding markup shows
as text in the Data Docs pages GX builds, never as an element or an attribute."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from govreport_dagster.quality import data_docs, runtime

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "<b>bold</b> & [/x] <a href='javascript:alert(3)'>link</a>",
]


class PageReader(HTMLParser):
    """The elements (tag, attributes) and the text of one page, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def hostile_frame() -> pd.DataFrame:
    """A decoded-stage frame whose id, format, encoding and text fail expectations with hostile
    values, so GX lists them on the page as unexpected values."""
    rows = len(HOSTILE) + 1
    return pd.DataFrame(
        {
            "report_id": [*HOSTILE, HOSTILE[0]],
            "source_uri": [f"landing/2021/{h}.txt" for h in HOSTILE] + ["landing/2021/ok.txt"],
            "source_format": [*HOSTILE, "txt"],
            "text": [f"中(zhōng) {h}" for h in HOSTILE] + ["正文"],
            "detected_encoding": [*HOSTILE, "utf-8"],
            "original_script": [*HOSTILE, "simplified"],
            "replacement_ratio": [0.0] * rows,
            "pinyin_removed": [0] * rows,
            "chrome_removed_chars": [0] * rows,
        }
    )


def test_hostile_values_appear_as_text_on_the_data_docs_page(tmp_path: Path) -> None:
    run = runtime.run_suite(hostile_frame(), "decoded")
    assert any(not o.success and o.unexpected_count for o in run.outcomes)  # the values are listed
    data_docs.build_data_docs([run], tmp_path / "site", run_name="2021", static_dir=tmp_path / "static")
    [page] = (tmp_path / "site" / "validations").rglob("*.html")
    reader = PageReader()
    reader.feed(page.read_text(encoding="utf-8"))
    text = "".join(reader.text)
    for value in HOSTILE:
        assert value in text  # shown to the reader exactly as it was
    assert not any("alert(" in script for script in reader.scripts)
    assert not any("onerror" in attrs for _tag, attrs in reader.elements)
    assert not any(str(attrs.get("href", "")).startswith("javascript:") for _tag, attrs in reader.elements)
    assert not any(tag == "img" and attrs.get("src") == "x" for tag, attrs in reader.elements)


def test_escaping_leaves_the_validation_itself_unchanged() -> None:
    run = runtime.run_suite(hostile_frame(), "decoded")
    escaped = data_docs.escaped_result(run.gx_result)
    listed = [v for r in escaped.results for v in (r.result or {}).get("partial_unexpected_list", [])]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listed
    original = [v for r in run.gx_result.results for v in (r.result or {}).get("partial_unexpected_list", [])]
    assert HOSTILE[0] in original  # the run's own result (checks, metadata) is not touched
