"""Conservative removal of website chrome from normalised (simplified, ASCII-punctuated) text.

Only whole lines are removed, and only where they cannot be report text:
  * leading navigation lines (greeting, breadcrumb, menu, search box, print/share bar) before
    the first section heading, and only if short — a crawl that put the whole report on the
    breadcrumb's line keeps that line;
  * the trailing footer block, starting at its first strong marker (主办/承办/网站地图/ICP备/
    公网安备/标识码/返回顶部/版权所有 …); contact lines (Email/电话/传真) go only when they sit
    below such a marker, so a report's own closing contact line survives;
  * long lines made only of ``|`` (empty layout-table shells) and lone ``|`` lines next to them,
    plus long trailing ``|`` runs after real text. Short ``|``/``|||`` lines are the row/cell
    separators of flattened tables and stay.
Lines between the table markers (rendered grids) are never touched.
"""

from __future__ import annotations

import re

_SHORT_NAV = 160  # a navigation line longer than this carries report text as well
_SHORT_FOOTER = 120
_SHELL_MIN_PIPES = 30  # flattened-table separator lines in real reports hold at most ~15

_NAV_RE = re.compile(
    r"^(?:"
    r"您好[,!]?\s*欢迎(?:来到|访问|光临)"
    r"|(?:当前位置|您的位置|你的位置|您现在的位置|当前的位置|所在位置)\s*[:>]?"
    r"|.{0,40}首页\s*(?:>|»|›|/|>>|→|-)"
    r"|首页(?:\s+\S{2,10}){3,}\s*$"
    r"|(?:选择特殊符号|选择搜索类型|请输入搜索\S*|请输入关键[字词]\S*|搜索|站内搜索|高级检索)\s*$"
    r"|(?:全真版|文字版|无障碍|无障碍浏览|繁体版|简体版|长者模式|English)(?:\s*\S{0,6}版)*\s*$"
    r"|(?:打印|打印本页|关闭|关闭窗口|分享到|收藏|字号|字体)[\s:大中小打印关闭分享到本页窗口【】\[\]|]*$"
    r"|.*(?:全真版\s*文字版)"
    r")"
)
_HEADING_RE = re.compile(r"^(?:一、|一是|第一部分|\(一\)|1[.、])")

_FOOTER_STRONG_RE = re.compile(
    r"主办(?:单位)?\s*[:]|承办(?:单位)?\s*[:]|协办(?:单位)?\s*[:]|网站地图|ICP备|ICP证|公网安备|网站标识码|"
    r"返回顶部|版权所有|Copyright|©|技术支持\s*[:]|^联系我们\s*$|^关闭窗口\s*$|^打印本页\s*$|^\[?打印\]?\s*\[?关闭\]?\s*$"
    r"|^(?:网站|网页)纠错\s*$|^回到顶部\s*$",
    re.IGNORECASE,
)
_FOOTER_WEAK_RE = re.compile(
    r"^(?:E-?mail|邮箱|电子邮箱|电话|联系电话|传真|地址|邮编|邮政编码|网站维护|维护单位|建议使用|最佳分辨率|"
    r"访问量|您是第|\S{0,8}备案号|分享到|扫一扫|微信|微博)",
    re.IGNORECASE,
)
_TRAILING_SHELL_RE = re.compile(rf"(?:\s*\|){{{_SHELL_MIN_PIPES},}}\s*$")


def _is_pipe_only(line: str) -> bool:
    return bool(line) and line.strip(" |") == ""


def _is_shell(line: str) -> bool:
    return _is_pipe_only(line) and line.count("|") >= _SHELL_MIN_PIPES


def remove_chrome(text: str, protect: tuple[str, str] | None = None) -> tuple[str, int]:
    """Remove chrome lines; returns (text, number of characters removed)."""
    lines = text.split("\n")
    protected = _protected_lines(lines, text, protect)
    drop = [False] * len(lines)
    _drop_leading_navigation(lines, protected, drop)
    _drop_trailing_footer(lines, protected, drop)
    removed = _drop_layout_shells(lines, protected, drop)
    if not any(drop) and not removed:
        return text, 0
    kept = []
    for i, line in enumerate(lines):
        if drop[i]:
            removed += len(line) + 1
        else:
            kept.append(line)
    # Dropping lines may leave blank runs at the edges.
    out = "\n".join(kept)
    stripped_out = out.strip("\n")
    removed += len(out) - len(stripped_out)
    return re.sub(r"\n{3,}", "\n\n", stripped_out), removed


def _protected_lines(lines: list[str], text: str, protect: tuple[str, str] | None) -> list[bool]:
    """Lines between the protect markers (a table block) are never chrome."""
    protected = [False] * len(lines)
    if protect and protect[0] in text:
        inside = False
        for i, line in enumerate(lines):
            if protect[0] in line:
                inside = True
            protected[i] = inside
            if protect[1] in line:
                inside = False
    return protected


def _drop_leading_navigation(lines: list[str], protected: list[bool], drop: list[bool]) -> None:
    """Leading navigation: before the first heading-like line, only short lines."""
    seen_content = 0
    for i, line in enumerate(lines[:40]):
        if protected[i]:
            break
        s = line.strip()
        if not s:
            continue
        if _HEADING_RE.match(s):
            break
        if len(s) <= _SHORT_NAV and _NAV_RE.match(s):
            drop[i] = True
            continue
        if seen_content == 0 and _is_pipe_only(s) and any(drop[:i]):
            drop[i] = True  # the empty cell left of a removed breadcrumb row
            continue
        seen_content += 1
        if seen_content > 12:
            break


def _drop_trailing_footer(lines: list[str], protected: list[bool], drop: list[bool]) -> None:
    """The block from the topmost strong marker in the trailing run of footer-like lines to the end."""
    cut = None
    i = len(lines) - 1
    while i >= 0:
        s = lines[i].strip()
        if protected[i]:
            break
        if not s or _is_pipe_only(s):
            i -= 1
            continue
        if len(s) > _SHORT_FOOTER:
            break
        if _FOOTER_STRONG_RE.search(s):
            cut = i
        elif not _FOOTER_WEAK_RE.match(s):
            break
        i -= 1
    if cut is not None:
        for j in range(cut, len(lines)):
            drop[j] = True


def _drop_layout_shells(lines: list[str], protected: list[bool], drop: list[bool]) -> int:
    """Empty layout-table shells are dropped; trailing empty shell cells are cut off a line in
    place (`lines` is edited). Returns the characters cut that way."""
    removed = 0
    n = len(lines)
    for i, line in enumerate(lines):
        if protected[i] or drop[i]:
            continue
        if _is_shell(line):
            drop[i] = True
            for j in (i - 1, i + 1):  # the lone "|" that opens/closes the shell
                if 0 <= j < n and not protected[j] and lines[j].strip() == "|":
                    drop[j] = True
        elif line.endswith("|") and line.count("|") >= _SHELL_MIN_PIPES:
            stripped = _TRAILING_SHELL_RE.sub("", line)
            if stripped != line and stripped.strip(" |"):
                removed += len(line) - len(stripped)
                lines[i] = stripped
    return removed
