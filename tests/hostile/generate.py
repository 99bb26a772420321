"""A hostile landing zone made from the corpus fixtures (issue 17): every case the issue
lists, plus truncations, byte flips, NULs, wrong and mixed encodings, wrong extensions and
bombs. `python -m tests.hostile.generate OUT` writes it; `generate(out)` returns the case
names. Deterministic (a fixed seed): two generations give the same bytes.

Originals stay in `YYYY/` folders so every year has good reports; every mutation is placed
beside them, so a mutation that is not refused reaches the same year's checks.
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from tests.hostile.images import docx_with_bomb, html_with_bomb, jpeg_bomb, pdf_with_bomb, png_bomb

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
Mutation = Callable[[bytes, random.Random], bytes]


def _flip(data: bytes, rng: random.Random, share: float) -> bytes:
    out = bytearray(data)
    for _ in range(max(1, int(len(out) * share))):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _nuls(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(20):
        out.insert(rng.randrange(len(out)), 0)
    return bytes(out)


def _reencode(codec: str) -> Mutation:
    return lambda data, _rng: data.decode("utf-8").encode(codec, "replace")


def _mixed(data: bytes, _rng: random.Random) -> bytes:
    text = data.decode("utf-8")
    half = len(text) // 2
    return text[:half].encode("utf-8") + text[half:].encode("gb18030", "replace")


def _at_table_label(insert: str) -> Mutation:
    def mutate(data: bytes, _rng: random.Random) -> bytes:
        text = data.decode("utf-8")
        at = max(text.find("本年新收政府信息公开申请数量"), text.find("统计表"), len(text) // 2)
        return (text[:at] + insert + text[at:]).encode("utf-8")

    return mutate


def _html(charset: str, codec: str) -> Mutation:
    def mutate(data: bytes, _rng: random.Random) -> bytes:
        body = data.decode("utf-8").replace("<", "&lt;")
        page = f'<html><head><meta charset="{charset}"><title>年度报告</title></head><body><p>{body}</p></body></html>'
        return page.encode(codec, "replace")

    return mutate


def _flipped_cp1256(data: bytes, rng: random.Random) -> bytes:
    page = _html("utf-8", "utf-8")(data, rng)
    return _flip(page, rng, 0.02).replace(b'charset="utf-8"', b'charset="cp1256"')


MUTATIONS: dict[str, tuple[str, Mutation]] = {
    "trunc10": (".txt", lambda d, _r: d[: len(d) // 10]),
    "trunc50": (".txt", lambda d, _r: d[: len(d) // 2]),
    "trunc_odd": (".txt", lambda d, _r: d[: len(d) - 1]),
    "flip1": (".txt", lambda d, r: _flip(d, r, 0.001)),
    "flip5": (".txt", lambda d, r: _flip(d, r, 0.05)),
    "flip30": (".txt", lambda d, r: _flip(d, r, 0.3)),
    "nuls": (".txt", _nuls),
    "gb18030": (".txt", _reencode("gb18030")),
    "big5": (".txt", _reencode("big5")),
    "utf16le_nobom": (".txt", _reencode("utf-16-le")),
    "utf16be_nobom": (".txt", _reencode("utf-16-be")),
    "utf16_bom": (".txt", _reencode("utf-16")),
    "utf8_bom": (".txt", _reencode("utf-8-sig")),
    "mixed": (".txt", _mixed),
    "as_pdf": (".pdf", lambda d, _r: d),
    "as_docx": (".docx", lambda d, _r: d),
    "as_html": (".html", lambda d, _r: d),
    "digits_after_label": (".txt", _at_table_label("1" * 40_000)),
    "long_line": (".txt", _at_table_label(" ".join(["12"] * 30_000))),
    "cell40": (".txt", _at_table_label(" " + "9" * 40 + " ")),
    "cell60": (".txt", _at_table_label(" " + "9" * 60 + " ")),
    "html_cp037": (".html", _html("cp037", "utf-8")),
    "html_unicode_escape": (".html", _html("unicode_escape", "utf-8")),
    "html_cp1256_flipped": (".html", _flipped_cp1256),
    "html_gbk": (".html", _html("gbk", "gb18030")),
    "html_spans": (".html", lambda d, r: _html("utf-8", "utf-8")(d, r).replace(b"<p>", b"<span>" * 5000, 1)),
    "markup_name": (".txt", lambda _d, r: r.randbytes(3000)),  # rejected, so the summary prints its name
    "crlf": (".txt", lambda d, _r: d.replace(b"\n", b"\r\n")),
    "zero_width": (".txt", lambda d, _r: d.decode("utf-8").replace("政府", "政\u200b府").encode("utf-8")),
    "control_chars": (".txt", lambda d, r: bytes(b if r.random() > 0.01 else r.randrange(1, 9) for b in d)),
    "repeated10": (".txt", lambda d, _r: d * 10),
    "tail_garbage": (".txt", lambda d, r: d + bytes(r.randrange(256) for _ in range(4096))),
    "head_garbage": (".txt", lambda d, r: bytes(r.randrange(256) for _ in range(512)) + d),
    "bidi": (".txt", lambda d, _r: "\u202e".encode() + d),
}

SIDECARS = {
    "sc_infinity": b'{"report_year": Infinity}',
    "sc_1e400": b'{"report_year": 1e400}',
    "sc_true": b'{"report_year": true}',
    "sc_surrogate": b'{"agency": "\\ud800", "report_year": 2021}',
    "sc_deep": b"[" * 100_000 + b"]" * 100_000,
    "sc_big": b'{"title": "' + b"x" * 200_000 + b'"}',
    "sc_not_json": b"{report_year: 2021",
    "sc_list": b"[2021]",
    "sc_huge_int": b'{"report_year": ' + b"9" * 5000 + b"}",
    "sc_future": b'{"report_year": 2999}',
    "sc_markup": b'{"agency": "[/x][bold]", "source_url": "javascript:alert(1)"}',
}


def _docx_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b"\x20" * 300_000_000 + b"</w:document>")
    return buffer.getvalue()


def _docx_entities() -> bytes:
    laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">' for i in range(9)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", laughs + "]><w:document>&lol8;</w:document>")
    return buffer.getvalue()


def _pdf_bomb(expanded: int = 400_000_000) -> bytes:
    inflater = zlib.compressobj(9)
    chunk = b"\x00" * (1 << 20)
    stream = b"".join(inflater.compress(chunk) for _ in range(expanded >> 20)) + inflater.flush()
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R /MediaBox [0 0 612 792] >> endobj\n"
        + f"4 0 obj << /Length {len(stream)} /Filter /FlateDecode >> stream\n".encode()
        + stream
        + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _pdf_pages(count: int = 100_000) -> bytes:
    kids = " ".join(f"{i + 3} 0 R" for i in range(count))
    pages = "".join(f"{i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n" for i in range(count))
    return (
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        f"2 0 obj << /Type /Pages /Kids [{kids}] /Count {count} >> endobj\n{pages}trailer << /Root 1 0 R >>\n%%EOF\n"
    ).encode()


BOMBS: dict[str, Callable[[], bytes]] = {
    "bomb_docx_zip.docx": _docx_bomb,
    "bomb_docx_entities.docx": _docx_entities,
    "bomb_pdf_flate.pdf": _pdf_bomb,
    "bomb_pdf_pages.pdf": _pdf_pages,
    "bomb_html_tables.html": lambda: (
        b"<html><body>" + b"<table><tr><td>1</td></tr></table>" * 100_000 + b"</body></html>"
    ),
    "bomb_html_nested.html": lambda: b"<html><body>" + b"<span>" * 100_000 + b"x" + b"</body></html>",
    "bomb_gzip.txt": lambda: zlib.compress(b"\x00" * 50_000_000),
    "empty.txt": lambda: b"",
    "only_nuls.txt": lambda: b"\x00" * 10_000,
    "random.bin": lambda: random.Random(7).randbytes(100_000),
    # a few KB declaring 30000×30000 pixels: refused on the header (alone), or the picture
    # left out with the reason (in a readable page or DOCX)
    "bomb_image_png.png": png_bomb,
    "bomb_image_jpeg.jpg": jpeg_bomb,
    "bomb_image_scan.pdf": pdf_with_bomb,
    "bomb_image_inline.html": lambda: html_with_bomb((CORPUS / "007.txt").read_text(encoding="utf-8")),
    "bomb_image_picture.docx": lambda: docx_with_bomb((CORPUS / "006.txt").read_text(encoding="utf-8")),
}


def _originals() -> list[tuple[Path, int]]:
    manifest = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(CORPUS / m["file"], int(m["report_year"])) for m in manifest if m["file"].endswith(".txt")]


def _special_files(root: Path, outside: Path) -> list[str]:
    """FIFOs, a socket, symlinks out of the root and in loops, a name that is not UTF-8, a
    file over the size limit (sparse), sidecars that are FIFOs or point outside."""
    year = root / "2021"
    made = []
    os.mkfifo(year / "fifo.txt")
    os.mkfifo(year / "fifo_sidecar.txt.json")
    (year / "fifo_sidecar.txt").write_bytes((CORPUS / "005.txt").read_bytes() + b"\n")
    secret = outside / "secret.json"
    secret.write_text('{"agency": "LEAKED-FROM-OUTSIDE", "report_year": 2021}', encoding="utf-8")
    (year / "linked_sidecar.txt").write_bytes((CORPUS / "005.txt").read_bytes() + b"\n\n")
    os.symlink(secret, year / "linked_sidecar.txt.json")
    os.symlink("/dev/zero", year / "zero.txt")
    (year / "zero_sidecar.txt").write_bytes((CORPUS / "005.txt").read_bytes() + b"\n\n\n")
    os.symlink("/dev/zero", year / "zero_sidecar.txt.json")
    os.symlink(year / "loop.txt", year / "loop.txt")
    os.symlink(outside, year / "outside_dir")
    os.symlink(secret, year / "outside_file.txt")
    with open(os.fsencode(str(year)) + b"/name_\xff\xfe_latin1.txt", "wb") as handle:
        handle.write((CORPUS / "005.txt").read_bytes() + b" ")
    with open(year / "sparse_too_big.txt", "wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(year / "socket.txt"))
    server.close()  # the socket file stays: a socket on disk
    made += ["fifo.txt", "fifo_sidecar.txt", "linked_sidecar.txt", "zero.txt", "zero_sidecar.txt", "loop.txt",
             "outside_dir", "outside_file.txt", "name_latin1", "sparse_too_big.txt", "socket.txt"]  # fmt: skip
    return made


def generate(out: Path, *, outside: Path | None = None) -> list[str]:
    """Write the hostile landing zone to out/landing (and the files it must never read to
    `outside`); returns one name per landing entry made."""
    root = out / "landing"
    outside = outside or out / "outside"
    root.mkdir(parents=True)
    outside.mkdir(parents=True, exist_ok=True)
    rng = random.Random(17)
    names = []
    for source, year in _originals():
        folder = root / str(year)
        folder.mkdir(exist_ok=True)
        data = source.read_bytes()
        (folder / source.name).write_bytes(data)
        names.append(source.name)
        for kind, (suffix, mutate) in MUTATIONS.items():
            name = f"{source.stem}.{kind}{suffix}"
            if kind == "markup_name":  # the folder `markup[` makes the path read `markup[/x]…`
                (folder / "markup[").mkdir(exist_ok=True)
                name = f"markup[/x]{source.stem}[bold]{suffix}"
            (folder / name).write_bytes(mutate(data, rng) or b"\x00")
            names.append(name)
    sample = (CORPUS / "005.txt").read_bytes()
    for kind, raw in SIDECARS.items():
        target = root / "2019" / f"{kind}.txt"
        target.write_bytes(sample + kind.encode())  # distinct bytes: not a byte duplicate
        (root / "2019" / f"{kind}.txt.json").write_bytes(raw)
        names.append(target.name)
    bombs = root / "bombs"
    bombs.mkdir()
    for name, make in BOMBS.items():
        (bombs / name).write_bytes(make())
        names.append(name)
    names += _special_files(root, outside)
    return names


if __name__ == "__main__":
    made = generate(Path(sys.argv[1]))
    print(f"{len(made)} landing entries in {sys.argv[1]}/landing")
