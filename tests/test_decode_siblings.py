"""The decode cache covers an HTML page's sibling images (issue 13): a changed `<img src>`
file beside an unchanged page is read again on the next run, an unchanged one is not."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from govreport_dagster.core.landing import sha256_hex
from govreport_dagster.storage import decoding
from govreport_dagster.storage.cache import ResultCache
from govreport_dagster.storage.decoding import DECODED, decode_landing
from govreport_dagster.storage.landing import scan

PAGE = (
    "<html><head><meta charset='utf-8'><title>某县人民政府2023年政府信息公开工作年度报告</title></head>"
    "<body><p>一、总体情况。本年度主动公开政府信息。</p><img src='t3.png'><p>二、其他</p></body></html>"
)


def _png(shade: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (90, 90), shade).save(buf, "PNG")  # no ruled table: read, then dropped unOCR'd
    return buf.getvalue()


def _run(landing: Path, cache_dir: Path, monkeypatch) -> tuple:
    """The page's decode outcome and how many times the page was decoded (the image beside it
    is a landing file too, decoded on its own)."""
    decoded: list[str] = []

    def counting(data: bytes, uri: str):
        decoded.append(uri)
        return decoding.decode_payload_unpatched(data, uri)

    monkeypatch.setattr(decoding, "decode_payload_unpatched", decoding.decode_payload, raising=False)
    monkeypatch.setattr(decoding, "decode_payload", counting)
    _, outcomes = decode_landing(scan(landing), ResultCache(cache_dir))
    monkeypatch.undo()
    (outcome,) = [o for o in outcomes if o.detected_type == "html"]
    return outcome, sum(uri.endswith("report.html") for uri in decoded)


def test_changed_sibling_image_is_read_again(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "report.html").write_text(PAGE, encoding="utf-8")
    first_image = _png(255)
    (landing / "t3.png").write_bytes(first_image)
    cache_dir = tmp_path / "cache"

    outcome, decodes = _run(landing, cache_dir, monkeypatch)
    assert outcome.document.flags["sibling_files"] == {"t3.png": sha256_hex(first_image)}
    assert decodes == 1

    outcome, decodes = _run(landing, cache_dir, monkeypatch)  # nothing changed: the cached decode
    assert decodes == 0
    assert outcome.document.flags["sibling_files"] == {"t3.png": sha256_hex(first_image)}

    second_image = _png(250)
    (landing / "t3.png").write_bytes(second_image)  # the page itself is unchanged
    outcome, decodes = _run(landing, cache_dir, monkeypatch)
    assert decodes == 1, "a changed sibling image must be decoded again"
    assert outcome.document.flags["sibling_files"] == {"t3.png": sha256_hex(second_image)}

    (landing / "t3.png").unlink()  # gone: decoded again, recorded as absent
    outcome, decodes = _run(landing, cache_dir, monkeypatch)
    assert decodes == 1 and outcome.document.flags["sibling_files"] == {"t3.png": None}


def test_page_without_sibling_files_keeps_its_plain_key(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "report.html").write_text(PAGE.replace("<img src='t3.png'>", ""), encoding="utf-8")
    outcome, _ = _run(landing, tmp_path / "cache", monkeypatch)
    assert "sibling_files" not in outcome.document.flags
    assert ResultCache(tmp_path / "cache").has(DECODED, sha256_hex((landing / "report.html").read_bytes()))
