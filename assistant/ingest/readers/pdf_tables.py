"""Ruled tables of PDF pages as Markdown, placed where the text layer had flattened them.

The text layer flattens a table into lines of cells ("研发投入合计 48,315,220.17") that lose their column names.
For pages that look tabular (``looks_tabular``: several lines with two or more numeric cells, or many
lines that are a lone number), pdfplumber
finds the ruled tables (its default "lines" strategy: borderless tables are left as the text layer has them) and
each becomes a Markdown table: the header row, a ``|---|`` rule, one line per row, cells' inner line
breaks joined. ``place_tables`` swaps the text lines the table came from (found by comparing text with
white space removed) for the Markdown table, or appends the table after the page text when they cannot
be found. A table that continues from the bottom of the previous page without a header of its own gets
the previous page's header, and a cell merged down over a group of rows is repeated on each of them, so
every row keeps its column names and its group.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from assistant.ingest.readers.common import markdown_table, squash
from assistant.text.tables import is_figure_cell

MIN_NUMERIC_LINES = 3
TOP_FRACTION = 0.2  # a continued table starts in the top fifth of its page …
BOTTOM_FRACTION = 0.7  # … and the table it continues ends in the bottom 30 % of the page before
MIN_COVERAGE = 0.5


@dataclass
class RawTable:
    """A table as pdfplumber found it: rows of cells, and its top and bottom as fractions of the page."""

    rows: list[list[str | None]]
    top: float
    bottom: float
    key: str = ""  # the table's text with white space removed, as printed (before merged cells are filled)


@dataclass
class Carry:
    """The last table of a page, for a table that continues on the next page."""

    header: list[str | None]
    columns: int
    bottom: float


def looks_tabular(text: str) -> bool:
    """Cheap test on a page's text: MIN_NUMERIC_LINES lines with two or more numeric cells, or twice as
    many lines that are a lone number (cells written one per line) or a label and one number (the rows of
    a key-value table, "研发投入合计 9,115,568.40")."""
    rows = lone = pairs = 0
    for line in text.split("\n"):
        tokens = line.split()
        numeric = sum(1 for token in tokens if is_figure_cell(token, years=True))
        if numeric >= 2:
            rows += 1
        elif numeric == 1 and len(tokens) == 1:
            lone += 1
        elif numeric == 1 and is_figure_cell(tokens[-1], years=True):
            pairs += 1
        if rows >= MIN_NUMERIC_LINES or max(lone, pairs) >= 2 * MIN_NUMERIC_LINES:
            return True
    return False


def _fill_down(table: Any, rows: list[list[str | None]]) -> list[list[str | None]]:
    """Repeat the text of a cell merged down over several rows on each of them (so "其他行业" heads every
    row of its group); cells merged across columns stay empty."""
    boxes = [row.cells for row in table.rows]
    for r in range(1, len(rows)):
        top = table.rows[r].bbox[1]
        for c, cell in enumerate(rows[r]):
            if cell is not None or c >= len(boxes[r]):
                continue
            for k in range(r - 1, -1, -1):
                above = boxes[k][c] if c < len(boxes[k]) else None
                if above is not None:
                    if above[3] > top + 1:  # the cell above reaches down into this row
                        rows[r][c] = rows[k][c]
                    break
    return rows


def find_tables(page: Any) -> list[RawTable]:
    """The ruled tables of one pdfplumber page, top to bottom (tables of one column are skipped)."""
    height = float(page.height) or 1.0
    found: list[RawTable] = []
    tables = page.find_tables()
    chars = _Chars(page.chars) if tables else None
    for table in tables:
        assert chars is not None
        printed = [list(row) for row in chars.extract(table)]
        key = squash("".join(cell or "" for row in printed for cell in row))
        rows = _fill_down(table, printed)
        rows = [row for row in rows if any(cell and cell.strip() for cell in row)]
        columns = sum(
            1 for i in range(max((len(r) for r in rows), default=0)) if any(_cell(r, i) for r in rows)
        )
        if not rows or columns < 2:
            continue
        x0, top, x1, bottom = table.bbox
        found.append(RawTable(rows=rows, top=top / height, bottom=bottom / height, key=key))
    found.sort(key=lambda t: t.top)
    return found


class _Chars:
    """A page's characters indexed by the height of their middle, for ``extract``."""

    def __init__(self, chars: list[dict[str, Any]]) -> None:
        self.chars = chars
        mids = sorted(((c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2, i) for i, c in enumerate(chars))
        self.v = [m[0] for m in mids]
        self.h = [(m[1], m[2]) for m in mids]

    def extract(self, table: Any) -> list[list[str | None]]:
        """pdfplumber's ``Table.extract()`` (the same characters per cell, in the same order, through the same
        ``extract_text``), without testing every character of the page against every row: the characters of
        a row are found by the height of their middle (``bisect``), then by its width, as pdfplumber's
        ``char_in_bbox`` does."""
        from pdfplumber.utils.text import extract_text

        out: list[list[str | None]] = []
        for row in table.rows:
            x0, top, x1, bottom = row.bbox
            first, last = bisect_left(self.v, top), bisect_left(self.v, bottom)
            picked = sorted(i for h, i in self.h[first:last] if x0 <= h < x1)
            row_chars = [self.chars[i] for i in picked]
            cells: list[str | None] = []
            for cell in row.cells:
                if cell is None:
                    cells.append(None)
                    continue
                inside = [c for c in row_chars if _in_box(c, cell)]
                cells.append(extract_text(inside) if inside else "")
            out.append(cells)
        return out


def _in_box(char: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    """pdfplumber's ``char_in_bbox`` (of ``Table.extract``)."""
    v_mid = (char["top"] + char["bottom"]) / 2
    h_mid = (char["x0"] + char["x1"]) / 2
    x0, top, x1, bottom = box
    return bool((h_mid >= x0) and (h_mid < x1) and (v_mid >= top) and (v_mid < bottom))


def _cell(row: list[str | None], i: int) -> str:
    return (row[i] or "").strip() if i < len(row) else ""


def _looks_like_data(row: list[str | None]) -> bool:
    """A row with a number (not a bare year) after its first cell: data, not a header."""
    cells = [squash(cell or "") for cell in row[1:]]
    return any(is_figure_cell(cell) for cell in cells)


def _continues(table: RawTable, carry: Carry | None) -> bool:
    """A table at the top of a page, without a header, whose shape matches the previous page's last."""
    return (
        carry is not None
        and table.top < TOP_FRACTION
        and carry.bottom > BOTTOM_FRACTION
        and len(table.rows[0]) == carry.columns
        and _looks_like_data(table.rows[0])
    )


def _filled(row: list[str | None]) -> int:
    return sum(1 for cell in row if cell and cell.strip())


def render(tables: list[RawTable], carry: Carry | None) -> tuple[list[tuple[str, str]], Carry | None]:
    """Markdown of each table with the squashed text it came from; and what the next page may continue.

    The header is the first row; or the previous page's header for a continued table; or empty when the
    first row already holds numbers (a key-value table such as "研发投入合计 | 48,315,220.17"); a first
    row that is a lone title spanning the table ("分行业情况") is written as a line above it, the next row
    being the header.
    """
    out: list[tuple[str, str]] = []
    next_carry: Carry | None = None
    for index, table in enumerate(tables):
        rows, title = table.rows, ""
        if index == 0 and carry is not None and _continues(table, carry):
            header, body = carry.header, rows
        elif len(rows) < 2:  # one row and nothing to continue: a boxed line, not a table
            next_carry = None
            continue
        elif _looks_like_data(rows[0]):  # no header row (a key-value table): an empty one
            header, body = [""] * len(rows[0]), rows
        elif (
            len(rows) >= 3
            and _filled(rows[0]) == 1
            and _filled(rows[1]) >= 2
            and not _looks_like_data(rows[1])
        ):
            title = next(cell for cell in rows[0] if cell and cell.strip()).strip()
            header, body = rows[1], rows[2:]
        else:
            header, body = rows[0], rows[1:]
        text = markdown_table(body, header=header)
        if text:
            text = f"{title}\n\n{text}" if title else text
            key = table.key or squash("".join(cell or "" for row in rows for cell in row))
            out.append((text, key))
        next_carry = Carry(header=header, columns=len(rows[0]), bottom=table.bottom)
    return out, next_carry


def _in_table(line: str, squashed: str, key: str) -> bool:
    """Whether a text line is (part of) a table's text: as printed, or its pieces are each in it (a line
    the text layer joined from the cells on one baseline, "金额 价值 比例", when cells run over several
    lines)."""
    return squashed in key or all(piece in key for piece in line.split())


def place_tables(text: str, tables: list[tuple[str, str]]) -> str:
    """Replace the lines each table was flattened into by its Markdown, or append it after the text."""
    lines = text.split("\n")
    keys = [squash(line) for line in lines]
    used = [False] * len(lines)
    start = 0
    appended: list[str] = []
    for markdown, key in tables:
        best: tuple[int, int, int] | None = None  # (covered chars, first line, last line)
        i = start
        while i < len(lines):
            if used[i] or not keys[i] or not _in_table(lines[i], keys[i], key):
                i += 1
                continue
            first = last = i
            covered = 0
            j = i
            while j < len(lines) and not used[j] and (not keys[j] or _in_table(lines[j], keys[j], key)):
                if keys[j]:
                    covered += len(keys[j])
                    last = j
                j += 1
            if best is None or covered > best[0]:
                best = (covered, first, last)
            i = j
        if best is None or best[0] < MIN_COVERAGE * len(key):
            appended.append(markdown)
            continue
        _, first, last = best
        lines[first] = "\n" + markdown + "\n"
        keys[first] = ""
        used[first] = True
        for k in range(first + 1, last + 1):
            lines[k], keys[k], used[k] = "", "", True
        start = last + 1
    result = "\n".join(line for k, line in enumerate(lines) if not (used[k] and not line))
    if appended:
        result = result.rstrip("\n") + "\n\n" + "\n\n".join(appended)
    return result
