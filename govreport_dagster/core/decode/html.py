"""HTML → ordered blocks of text and table grids, from the page's main content."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from govreport_dagster.core.decode.grids import RawGrid, SpanCell, expand_spans
from govreport_dagster.core.decode.ocr.embedded import EmbeddedImage
from govreport_dagster.core.model import RejectedInput

_SKIP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "select",
        "option",
        "button",
        "input",
        "textarea",
        "head",
        "title",
        "meta",
        "link",
        "nav",
        "header",
        "footer",
        "form",
        "canvas",
        "audio",
        "video",
        "map",
        "area",
    ]
)
_BLOCK = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "section",
        "article",
        "main",
        "aside",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "center",
        "address",
        "hr",
        "tr",
        "table",
        "caption",
        "tbody",
        "thead",
        "tfoot",
        "figure",
        "figcaption",
        "body",
        "html",
    ]
)
_CELL_TAGS = ("td", "th")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")
_MAIN_SHARE = 0.9  # descend into a child while it holds this share of the content
_MAX_CELL_CHARS = 3000
_MAX_DEPTH = 256  # libxml2 without XML_PARSE_HUGE  # a "cell" longer than this is page layout, not a data table


def _tag(el: etree._Element) -> str | None:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else None


def _content_sizes(root: etree._Element) -> tuple[dict[etree._Element, int], dict[etree._Element, int]]:
    """Non-link, non-space characters and number of links under each element
    (reverse pre-order visits children before their parent)."""
    elements = list(root.iter())
    sizes: dict[etree._Element, int] = {}
    links: dict[etree._Element, int] = {}
    for el in reversed(elements):
        tag = _tag(el)
        if tag is None or tag in _SKIP:
            sizes[el] = 0
            links[el] = 0
            continue
        total = len("".join((el.text or "").split()))
        n_links = 1 if tag == "a" else 0
        for child in el:
            total += sizes.get(child, 0)
            n_links += links.get(child, 0)
            if child.tail:
                total += len("".join(child.tail.split()))
        sizes[el] = 0 if tag == "a" else total
        links[el] = n_links
    return sizes, links


_CHROME_ATTR_RE = re.compile(
    r"(?:^|[\s_-])(?:header|footer|foot|nav|navbar|menu|breadcrumb|crumbs?|position|location|topbar|sidebar|"
    r"copyright|share|toolbar|search)(?:$|[\s_\d-])",
    re.IGNORECASE,
)
_SMALL_CHROME = 200  # a chrome-named block with more text than this may hold the report


def _is_chrome_block(el: etree._Element, sizes: dict, links: dict) -> bool:
    """Navigation menus (only links, several of them) and small blocks named like chrome."""
    size = sizes.get(el, 0)
    if size == 0 and links.get(el, 0) >= 2:
        return True
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
    return size < _SMALL_CHROME and bool(_CHROME_ATTR_RE.search(attrs))


def _main_container(body: etree._Element, sizes: dict) -> etree._Element:
    node = body
    while True:
        total = sizes.get(node, 0)
        children = [c for c in node if _tag(c) is not None]
        if not children or total == 0:
            return node
        best = max(children, key=lambda c: sizes.get(c, 0))
        if _tag(best) in ("table", "tr", "tbody", "td", "th", "p") or sizes.get(best, 0) < _MAIN_SHARE * total:
            return node
        node = best


def _cell_text(cell: etree._Element) -> str:
    parts = _walk(cell, tables=False)
    return _SPACE_RE.sub(" ", " ".join(p for p in parts if isinstance(p, str))).strip()


def _span(value: str | None) -> int:
    try:
        return int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1


def _table_rows(table: etree._Element) -> list[etree._Element]:
    rows = []
    for tr in table.iter("tr"):
        # rows of this table only (nested tables are excluded by the caller)
        rows.append(tr)
    return rows


def _as_grid(table: etree._Element) -> RawGrid | None:
    if table.find(".//table") is not None:
        return None  # layout table: walk its cells as ordinary blocks
    span_rows: list[list[SpanCell]] = []
    for tr in _table_rows(table):
        row = []
        for cell in tr:
            if _tag(cell) not in _CELL_TAGS:
                continue
            text = _cell_text(cell)
            if len(text) > _MAX_CELL_CHARS:
                return None
            row.append(SpanCell(text, _span(cell.get("rowspan")), _span(cell.get("colspan"))))
        span_rows.append(row)
    if not any(span_rows):
        return None
    rows = expand_spans(span_rows)
    if rows is None:
        return None
    return RawGrid(rows, "html")


def _walk(
    root: etree._Element, tables: bool = True, sizes: dict | None = None, links: dict | None = None
) -> list[str | RawGrid]:
    """Iterative walk (no recursion: hostile pages nest deeply) emitting text pieces, "\\n"
    at block boundaries, and RawGrid objects for data tables."""
    out: list[str | RawGrid] = []
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, exiting = stack.pop()
        tag = _tag(el)
        if exiting:
            if tag in _BLOCK or tag in _CELL_TAGS:
                out.append("\n" if tag not in _CELL_TAGS else " ")
            if el.tail and el is not root:
                out.append(el.tail)
            continue
        if tag is None or tag in _SKIP:
            if el.tail and el is not root:
                out.append(el.tail)
            continue
        if tag == "br":
            out.append("\n")
            if el.tail:
                out.append(el.tail)
            continue
        if tables and tag == "img":  # a table published as a picture: OCR decides later
            out.append(EmbeddedImage(el.get("src") or ""))
            if el.tail:
                out.append(el.tail)
            continue
        if tables and tag == "table":
            grid = _as_grid(el)
            if grid is not None:
                out.append(grid)
                if el.tail:
                    out.append(el.tail)
                continue
        if sizes is not None and el is not root and tag in _BLOCK and _is_chrome_block(el, sizes, links or {}):
            if el.tail:
                out.append(el.tail)
            continue
        if tag in _BLOCK:
            out.append("\n")
        if el.text:
            out.append(el.text)
        stack.append((el, True))
        stack.extend((child, False) for child in reversed(el))
    return out


def _join_pieces(pieces: list[str | RawGrid]) -> list[str | RawGrid]:
    """Merge adjacent text pieces; collapse HTML whitespace (newlines in the source markup are
    not line breaks) while keeping the block breaks the walk emitted."""
    blocks: list[str | RawGrid] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            raw = "".join(buf)
            lines = [_SPACE_RE.sub(" ", seg).strip() for seg in raw.split("\n")]
            text = "\n".join(line for line in lines if line)
            if text:
                blocks.append(text)
            buf.clear()

    for piece in pieces:
        if isinstance(piece, str):
            # markup newlines are spaces; our block markers are lone "\n" pieces
            buf.append(piece if piece == "\n" else piece.replace("\r", " ").replace("\n", " "))
        else:
            flush()
            blocks.append(piece)
    flush()
    return blocks


def extract_html(text: str) -> tuple[list[str | RawGrid], str | None]:
    """Blocks of the main content in document order, and the page <title>."""
    text = _XML_DECL_RE.sub("", text, count=1)
    if not text.strip():
        return [], None
    # A parser per call: lxml parsers are not thread-safe, and its error log tells us when
    # libxml2 stopped at its nesting limit (hostile pages nest 10^6 deep) and dropped content.
    parser = lxml.html.HTMLParser(recover=True, huge_tree=False)
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise RejectedInput(f"unparseable HTML: {exc}") from exc
    if any("depth" in (entry.message or "").lower() for entry in parser.error_log):
        raise RejectedInput(f"pathological HTML: elements nested deeper than the parser limit ({_MAX_DEPTH})")
    title_el = doc.find(".//title")
    title = _SPACE_RE.sub(" ", title_el.text_content()).strip() if title_el is not None else None
    body = doc.find("body")
    if body is None:
        body = doc
    sizes, links = _content_sizes(body)
    container = _main_container(body, sizes)
    blocks = _join_pieces(_walk(container, sizes=sizes, links=links))
    return blocks, title or None
