"""Web pages (.html, .htm): the main content as one page-less Page.

Keeps: the page title as the first heading; the text of ``<main>`` (or of the only ``<article>``, else of
``<body>``); headings as Markdown headings; list items as ``- ``; tables as Markdown tables (first row as
header; a cell spanning rows is repeated on each row, one spanning columns is written once).
Drops: script, style, noscript, template, svg, iframe, form, nav, aside, footer, page-level header, and
any element whose class or id starts a word with nav, menu, footer, sidebar, breadcrumb or cookie (unless
it holds an h1/h2, article, main or table, or most of the text: then it is a layout wrapper such as
"content with-sidebar", not boilerplate); images; links' targets.

HTML nested more than MAX_DEPTH levels (checked with a cheap tag scan before any parser runs) is read as
plain text with its tags stripped, with a warning: no parser recursion, and it stays fast.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from assistant.core.records import Page
from assistant.ingest.readers.common import Source, clean_text, markdown_table, squash
from assistant.ingest.readers.text import decode_text
from assistant.text.cjk import UNSPACED

MAX_DEPTH = 500
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
    "basefont",
    "frame",
    "keygen",
}
_OPTIONAL_CLOSE = {"p", "li", "td", "th", "tr", "dt", "dd", "option", "thead", "tbody", "tfoot", "colgroup"}
_DROP_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "form", "nav", "aside", "footer"]
_BOILERPLATE = re.compile(r"(?:^|[\s_-])(?:nav|menu|footer|sidebar|breadcrumb|cookie)", re.IGNORECASE)
_CONTENT_MARKERS = ["h1", "h2", "article", "main", "table"]
_BLOCKS = {
    "address",
    "article",
    "blockquote",
    "body",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "ul",
    "caption",
    "center",
}
_CJK_SPACE = re.compile(f"(?<=[{UNSPACED}]) (?=[{UNSPACED}])")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_-]+)", re.IGNORECASE)


def nesting_depth(text: str, cap: int = MAX_DEPTH) -> int:
    """Deepest element nesting found by a regex tag scan (stops counting once past ``cap``)."""
    depth = deepest = 0
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or name in _OPTIONAL_CLOSE or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > cap:
                    break
    return deepest


def strip_tags(text: str) -> str:
    """Plain text of HTML by regular expressions only (for pathological documents)."""
    text = re.sub(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>", " ", text)
    text = re.sub(r"(?s)<!--.*?-->", " ", text)
    text = re.sub(r"(?i)<(br|/p|/div|/h[1-6]|/li|/tr|/table|/section|/article)\b[^>]*>", "\n", text)
    text = re.sub(r"<[^>]*>", " ", text)
    lines = (_inline(html_lib.unescape(line)) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _inline(text: str) -> str:
    return _CJK_SPACE.sub("", " ".join(text.split()))


def _decode(source: Source) -> str:
    """Text of the page: the charset its <meta> declares when that decodes cleanly, else detection."""
    if source.text is None:
        match = _META_CHARSET.search(source.data[:4096])
        if match:
            try:
                source.text = source.data.decode(match.group(1).decode("ascii")).lstrip("\ufeff")
            except (LookupError, UnicodeDecodeError):
                source.text = None
    return decode_text(source)


def _cell(tag: Any) -> str:
    return _inline(tag.get_text(" "))


def _fill_spans(row: list[str], column: int, pending: dict[int, list[Any]]) -> int:
    """Repeat the cells of earlier rows that span down into this row; the next free column."""
    while column in pending:
        left, text = pending[column]
        row.append(text)
        if left <= 1:
            del pending[column]
        else:
            pending[column][0] = left - 1
        column += 1
    return column


def _table(table: Any) -> str:
    """Markdown of an HTML table (rows of nested tables are left to their own table's text)."""
    rows: list[list[str]] = []
    pending: dict[int, list[Any]] = {}  # column → [rows left, text] for cells spanning rows
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        row: list[str] = []
        column = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            column = _fill_spans(row, column, pending)
            text = _cell(cell)
            span = _span(cell, "colspan")
            down = _span(cell, "rowspan")
            row.append(text)
            row.extend([""] * (span - 1))
            if down > 1:
                pending[column] = [down - 1, text]
            column += span
        _fill_spans(row, column, pending)
        rows.append(row)
    return markdown_table(rows)


def _span(cell: Any, name: str) -> int:
    try:
        return max(1, min(100, int(str(cell.get(name, "1")).strip() or "1")))
    except ValueError:
        return 1


def _root(soup: Any) -> Any:
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main is not None:
        return main
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


def _drop_boilerplate(root: Any) -> None:
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    if root.name == "body" or root.name == "[document]":
        for tag in root.find_all("header"):
            tag.decompose()
    total = len(squash(root.get_text()))
    for tag in root.find_all(True):
        if getattr(tag, "decomposed", False):
            continue
        marks = " ".join([*tag.get("class", []), str(tag.get("id", ""))])
        if not marks.strip() or not _BOILERPLATE.search(marks):
            continue
        if tag.find(_CONTENT_MARKERS) is not None or len(squash(tag.get_text())) >= 0.5 * total:
            continue  # a layout wrapper ("content with-sidebar"), not boilerplate
        tag.decompose()


def _render(root: Any) -> list[str]:
    """Blocks of text in document order (explicit stack: no recursion on deep trees)."""
    from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction

    blocks: list[str] = []
    buffer: list[str] = []
    prefix = ""

    def flush() -> None:
        nonlocal prefix
        text = _inline("".join(buffer))
        buffer.clear()
        if text:
            blocks.append(prefix + text)
            prefix = ""

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            flush()
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, Comment | Declaration | Doctype | ProcessingInstruction):
                buffer.append(str(node))
            continue
        name = (node.name or "").lower()
        if re.fullmatch(r"h[1-6]", name):
            flush()
            text = _inline(node.get_text(" "))
            if text:
                blocks.append("#" * int(name[1]) + " " + text)
            continue
        if name == "table":
            flush()
            text = _table(node)
            if text:
                blocks.append(text)
            continue
        if name == "br":
            flush()
            continue
        if name == "li":
            flush()
            prefix = "- "
        if name in _BLOCKS or name == "li":
            flush()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.children)))
    flush()
    return blocks


def read_html(source: Source) -> list[Page]:
    """Main content of a web page as Markdown-ish text (see the module docstring)."""
    text = _decode(source)
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        source.warnings.append(
            f"HTML nested more than {MAX_DEPTH} levels deep: read as plain text without headings or tables"
        )
        return [Page(number=None, text=clean_text(strip_tags(text)))]

    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    title = _inline(soup.title.get_text()) if soup.title else ""
    root = _root(soup)
    _drop_boilerplate(root)
    blocks = _render(root)
    if title and not (blocks and blocks[0].lstrip("# ").strip() == title):
        blocks.insert(0, "# " + title)
    out: list[str] = []
    for block in blocks:  # blank lines around headings and tables
        out.append("\n" + block + "\n" if block.startswith(("#", "|")) else block)
    return [Page(number=None, text=clean_text("\n".join(out)))]
