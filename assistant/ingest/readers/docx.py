"""Word documents (.docx): the body as one page-less Page, in document order.

Keeps: paragraphs; headings as Markdown headings (``#`` for Title / Heading 1, ``##`` for Heading 2 …,
from the style, the style it is based on, or the paragraph's outline level); list items as ``- ``;
tables as Markdown tables (first row as header; a cell spanning columns is written once, a cell spanning
rows is repeated on each row so every row reads whole; nested tables are flattened into their cell).
Drops: page headers and footers, footnotes, comments, text boxes, images, tracked deletions, formatting.
Word has no fixed pages, so Page.number is None. Zip bombs are refused before python-docx parses.
"""

from __future__ import annotations

import io
import re
from typing import Any

from assistant.core.records import Page
from assistant.ingest.readers.common import Source, check_zip_bomb, clean_text, join_fragments, markdown_table

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^(?:list|列表)", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _heading_level(paragraph: Any) -> int:
    """Markdown heading level of a paragraph (0 = not a heading)."""
    style = paragraph.style
    for _ in range(4):  # the style, then the styles it is based on
        if style is None:
            break
        name = (style.name or "").strip()
        if name.lower() in ("title", "标题"):
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return max(1, min(6, int(match.group(1))))
        style = style.base_style
    outline = paragraph._p.find(f"{_W}pPr/{_W}outlineLvl")
    if outline is not None:
        value = outline.get(f"{_W}val", "9")
        if value.isdigit() and int(value) < 6:
            return int(value) + 1
    return 0


def _is_list_item(paragraph: Any) -> bool:
    if paragraph._p.find(f"{_W}pPr/{_W}numPr") is not None:
        return True
    style = paragraph.style
    return style is not None and bool(_LIST_STYLE.match(style.name or ""))


def _cell_text(cell: Any) -> str:
    """Text of a table cell, nested tables included, as one line."""
    parts: list[str] = []
    for block in cell.iter_inner_content():
        if hasattr(block, "rows"):
            parts.extend(_cell_text(c) for row in block.rows for c in _unique_cells(row))
        else:
            parts.append(block.text)
    return join_fragments(parts)


def _unique_cells(row: Any) -> list[Any]:
    cells: list[Any] = []
    for cell in row.cells:
        if not any(cell._tc is kept._tc for kept in cells):
            cells.append(cell)
    return cells


def _table(table: Any) -> str:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            cells.append("" if cell._tc is previous else _cell_text(cell))  # a horizontal span, once
            previous = cell._tc
        rows.append(cells)
    return markdown_table(rows)


def read_docx(source: Source) -> list[Page]:
    """Paragraphs, headings and tables of the document body, in order."""
    import docx

    check_zip_bomb(source.path, source.data)
    document = docx.Document(io.BytesIO(source.data))
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            text = _table(block)
            if text:
                blocks.append("\n" + text + "\n")
            continue
        text = block.text.strip()
        if not text:
            continue
        level = _heading_level(block)
        if level:
            blocks.append("\n" + "#" * level + " " + " ".join(text.split()))
        elif _is_list_item(block):
            blocks.append("- " + text)
        else:
            blocks.append(text)
    return [Page(number=None, text=clean_text("\n".join(blocks)))]
