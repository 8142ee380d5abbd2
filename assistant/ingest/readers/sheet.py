"""Spreadsheets (.xlsx, .csv): one page-less Page; every row keeps its column names.

Representation (the same for both formats): the first non-empty row of a sheet is its header (a lone
title cell in column A above it, e.g. "2023年主要财务数据", is kept as a line of its own); every later
row becomes one line ``header1: value1; header2: value2; …`` with empty cells skipped, so a row read
alone (or cut by a chunker) still says what each number is. An empty header cell is named by its
column letter. For .xlsx, each sheet starts with a ``## Sheet: <name>`` heading; values are the cached
results of formulas (data_only), with the cell's number format applied for thousands separators,
decimals and percentages, and dates written as ISO dates. For .csv the delimiter is sniffed (, ; tab |)
and the encoding detected as for text files.
Drops: formatting, comments, charts, images, formulas (only their last computed values are kept; cells
whose formula was never computed are empty), and rows with no value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.core.errors import DocumentError
from assistant.core.records import Page
from assistant.ingest.readers.common import Source, check_zip_bomb, clean_text, join_fragments, one_line
from assistant.ingest.readers.text import decode_text


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    return join_fragments(value.splitlines()) if "\n" in value else value.strip()


def _pairs(header: list[str], row: list[str]) -> str:
    names = [name or column_letter(i) for i, name in enumerate(header)]
    names += [column_letter(i) for i in range(len(header), len(row))]
    return "; ".join(f"{names[i]}: {cell}" for i, cell in enumerate(row) if cell)


def row_lines(rows: Iterable[Sequence[str]]) -> list[str]:
    """``header: value; …`` lines for the data rows, after the header row (see the module docstring)."""
    lines: list[str] = []
    header: list[str] | None = None
    first: list[str] | None = None  # a first row with one cell: a title, or a one-column header
    for raw in rows:
        row = [_text(cell) for cell in raw]
        filled = sum(1 for cell in row if cell)
        if not filled:
            continue
        if header is None:
            if first is None and filled == 1 and row[0]:  # a lone cell in column A: maybe a title
                first = row
                continue
            if first is not None and filled == 1:  # one column: the first row was its header
                header, first = first, None
            else:
                if first is not None:
                    lines.append(next(cell for cell in first if cell))
                    first = None
                header = [cell or column_letter(i) for i, cell in enumerate(row)]
                continue
        lines.append(_pairs(header, row))
    if first is not None:  # the only non-empty row
        lines.append(next(cell for cell in first if cell))
    return lines


# ------------------------------------------------------------------------------------------------
# xlsx
# ------------------------------------------------------------------------------------------------
_DECIMALS = re.compile(r"0\.(0+)")


def _number(value: float, number_format: str) -> str:
    """A number as its cell format shows it: percent, thousands separators and decimals; else as is."""
    fmt = number_format or "General"
    decimals_match = _DECIMALS.search(fmt)
    decimals = len(decimals_match.group(1)) if decimals_match else 0
    if "%" in fmt:
        return f"{value * 100:.{decimals}f}%"
    if fmt != "General" and ("0" in fmt or "#" in fmt):
        return f"{value:{',' if '#,##' in fmt else ''}.{decimals}f}"
    value = round(value, 10)
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def cell_value(value: Any, number_format: str = "General") -> str:
    """A spreadsheet cell as text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int) and number_format in ("General", ""):
        return str(value)
    if isinstance(value, int | float):
        return _number(float(value), number_format)
    return str(value).strip()


def read_xlsx(source: Source) -> list[Page]:
    """Every worksheet of an .xlsx workbook, one ``## Sheet:`` section each."""
    import openpyxl

    check_zip_bomb(source.path, source.data)
    workbook = openpyxl.load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    try:
        parts: list[str] = []
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # recorded dimensions are often wrong
            rows = (
                [cell_value(getattr(c, "value", None), getattr(c, "number_format", "General")) for c in row]
                for row in sheet.iter_rows()
            )
            lines = row_lines(rows)
            parts.append(f"## Sheet: {sheet.title}\n\n" + "\n".join(lines))
    finally:
        workbook.close()
    return [Page(number=None, text=clean_text("\n\n".join(parts)))]


# ------------------------------------------------------------------------------------------------
# csv
# ------------------------------------------------------------------------------------------------
def _dialect(source: Source, sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        tabbed = source.path.suffix.lower() == ".tsv" or sample.count("\t") > sample.count(",")
        return csv.excel_tab if tabbed else csv.excel


def read_csv(source: Source) -> list[Page]:
    """A delimited text file as ``header: value`` lines."""
    text = decode_text(source)
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), _dialect(source, sample)))
    except csv.Error as exc:
        raise DocumentError(f"{source.path}: malformed CSV ({one_line(exc)})") from exc
    return [Page(number=None, text=clean_text("\n".join(row_lines(rows))))]
