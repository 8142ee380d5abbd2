"""Year-over-year calculations on table rows, done in code and handed to the model as facts.

A small CPU model asked "What is the change in active users between 2018 and 2019?" subtracts badly
(measured: 2,039 for 29,566 − 27,627). When a question asks for a change, growth or difference between
years and a passage holds a table whose header names those years, every row whose label shares a key
term with the question gets its difference and percent change computed here, e.g.
``[2] Active users: 2019 29,566 − 2018 27,627 = 1,939 (+7.02%)``. The model copies the figure; the
verifier accepts it because it is a calculation on cited figures (``figure_checks.computed_figures``).
"""

from __future__ import annotations

import re

from assistant.answer.glossary import fiscal_years
from assistant.answer.query import Query
from assistant.store.keywords import tokenize
from assistant.text.figures import quantities
from assistant.text.tables import is_pipe_row, line_cells, row_cells, title_year, year_titles

_ASKS = re.compile(
    r"change|differ|increase|decrease|grow|growth|decline|compared|变化|变动|增长|增加|减少|下降|差额|相差|增幅|降幅|同比",
    re.I,
)
_IGNORE = {"what", "the", "is", "of", "in", "and", "between", "from", "to", "was", "change", "percentage", "number",
           "thousands", "多少", "变化", "增长", "之间"}  # fmt: skip


def _value(cell: str) -> float | None:
    found = quantities(cell)
    return found[0].value if found else None


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def year_calculations(query: Query, passages: list[str]) -> list[str]:
    """Lines of computed differences for the years a change question names (none if not such a question)."""
    years = sorted(set(query.years) | set(fiscal_years(query.text)))
    if len(years) < 2 or not _ASKS.search(query.text):
        return []
    key = {t for t in query.tokens if t not in _IGNORE and not t.isdigit() and len(t) > 1}
    out: list[str] = []
    for n, passage in enumerate(passages, start=1):
        columns: list[str] = []
        for line in passage.split("\n"):
            if not is_pipe_row(line):
                continue
            cells = row_cells(line)
            found = year_titles(cells)
            if len(found) >= 2:
                columns = found
                continue
            if not columns or not cells:
                continue
            label = cells[0]
            if not label or not key & set(tokenize(label)):
                continue
            values = [v for v in (_value(c) for c in cells[1:] if c) if v is not None][: len(columns)]
            by_year = dict(zip(columns, values, strict=False))
            rate = any("%" in c or "％" in c for c in cells[1:])  # a rate's change is in points, not in %
            for old, new in zip(years, years[1:], strict=False):
                if old in by_year and new in by_year and by_year[old]:
                    a, b = by_year[new], by_year[old]
                    diff = a - b
                    if rate:
                        points = "个百分点" if query.language == "zh" else " percentage points"
                        out.append(
                            f"[{n}] {label}: {new} {_fmt(a)}% − {old} {_fmt(b)}% = {diff:+,.2f}{points}".rstrip()
                        )
                        continue
                    out.append(
                        f"[{n}] {label}: {new} {_fmt(a)} − {old} {_fmt(b)} = {_fmt(diff)} ({100 * diff / abs(b):+.2f}%)"
                    )
    return out[:6]


def figure_columns(figure: str, passage: str) -> list[str | None]:
    """For each occurrence of ``figure`` (digits, no separators) in the passage: the year of the table
    column it sits in ("营业收入 16,842.57 12,306.18" under "项目 2023年 2022年" → 2023 for 16842.57), or None
    when it is not in a table with year columns."""
    out: list[str | None] = []
    columns: list[str] = []
    for line in passage.split("\n"):
        cells = line_cells(line)
        years = year_titles(cells)
        if len(years) >= 2:
            columns = years
            continue
        numbers = [c for c in cells[1:] if _value(c) is not None and not title_year(c)]
        for i, cell in enumerate(numbers):
            if cell.replace(",", "").replace("，", "").strip("$¥￥ ").rstrip("%") == figure:
                out.append(columns[i] if columns and i < len(columns) else None)
    if not out and figure in passage.replace(",", ""):
        out.append(None)
    return out


def wrong_year_figures(figures: list[str], query: Query, passages: list[str]) -> list[str]:
    """Figures of an answer that sit only in table columns of other years than the one question asks."""
    asked = set(query.years) | set(fiscal_years(query.text))
    if len(asked) != 1:
        return []
    wrong = []
    for figure in figures:
        where = [y for p in passages for y in figure_columns(figure, p)]
        if where and all(y is not None and y not in asked for y in where):
            wrong.append(figure)
    return wrong
