"""Table rows: the home of splitting a row into cells and of reading the years of a header's columns.

Readers write tables as Markdown rows ("| 营业收入 | 16,842.57 | 12,306.18 |", "|---|---|", a ``|`` inside a
cell escaped as ``\\|``); PDF text layers give plain rows ("营业收入 16,842.57 12,306.18"). Chunking, answer
calculations and profile extraction all read them through these functions.
"""

from __future__ import annotations

import re

_BAR = re.compile(r"(?<!\\)\|")  # a cell boundary: a bar not escaped as "\|"
_RULE_ROW = re.compile(r"\|[\s:|\-]+\|")
# a fiscal-year column title: "2023", "FY2023", "FY 2023", "2023年", "2023年度", "2023年末", "2023年初"
_YEAR_TITLE = re.compile(r"(?<!\d)(?:FY\s?)?((?:19|20)\d{2})(?!\d)(?:年(?:度|末|初)?)?", re.IGNORECASE)
_FORECAST_COL = re.compile(
    r"预测|预计|目标|计划|估|E\b|\bplan\b|forecast|budget|target|projected|estimate", re.IGNORECASE
)
_NOT_VALUE_COL = re.compile(
    r"增减|变动|同比|比上年|change|growth|%|yoy|较上年|季度|quarter|Q[1-4]", re.IGNORECASE
)


# a cell that is one figure and nothing else: "16,842.57", "(3,218)", "-5.2%", "$ 84,210", "1 234", "2023";
# never a date such as "2020.01.01"
_FIGURE_CELL = re.compile(r"^[-+(（]?\s*[$¥￥€£]?\s*[(（]?\s*\d[\d,，\s]*(?:\.\d+)?\s*[%％)）]?$")
_BARE_YEAR = re.compile(r"(?:19|20)\d\d")


def is_figure_cell(cell: str, years: bool = False) -> bool:
    """Whether a cell (or a token of a plain-text row) holds one figure and nothing else; a bare year
    ("2023") counts only with ``years`` (a column title is no data)."""
    cell = cell.strip()
    return bool(_FIGURE_CELL.match(cell)) and (years or not _BARE_YEAR.fullmatch(cell))


_CURRENCY_ONLY = re.compile(r"^[$¥￥€£]$")
_TRAILING_CURRENCY = re.compile(r"\s+[$¥￥€£]$")
_LABEL = re.compile(r"[A-Za-z\u4e00-\u9fff]")


def vertical_rows(text: str, min_values: int = 2) -> str:
    """A text export's tables printed one cell per line ("Total current assets⏎7,453⏎7,659", a currency sign
    alone or after a figure: "$⏎29,499 $⏎30,154") joined into Markdown rows ("Total current assets | 7,453 |
    7,659"); a header of years joins the same way ("December 31,⏎2022⏎2021"). A label line takes the figure
    lines right below it (blank lines between them skipped, a currency sign kept on the figure it stands
    before: "$4,210") when there are at least ``min_values``; every other line is kept as it is."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        label = _TRAILING_CURRENCY.sub("", line.strip())
        values: list[str] = []
        j = i + 1
        if _LABEL.search(label) and not is_pipe_row(label) and len(label) <= 160:
            k = j
            sign = (
                line.strip()[-1] if label != line.strip() else ""
            )  # before the next figure ("$⏎4,210 $⏎3,118")
            while k < len(lines):
                raw = lines[k].strip()
                cell = _TRAILING_CURRENCY.sub("", raw)
                k += 1
                if _CURRENCY_ONLY.match(cell):
                    sign = cell
                    continue
                if not cell:  # blank lines between the cells
                    continue
                if not is_figure_cell(cell, years=True):
                    break
                values.append(sign + cell)
                sign = raw[-1] if cell != raw else ""
                j = k  # the line after the last figure
        if len(values) >= min_values:
            out.append(" | ".join([label, *values]))
            i = j
        else:
            out.append(line)
            i += 1
    return "\n".join(out)


def is_pipe_row(line: str) -> bool:
    """A line that is a Markdown table row (at least two bars)."""
    return line.count("|") >= 2


def row_cells(row: str) -> list[str]:
    """The cells of a Markdown table row, stripped, with or without the outer bars, empty cells kept
    ("| a | | b |" and "a | | b" → ["a", "", "b"]); an escaped bar ("\\|") stays inside its cell."""
    inner = row.strip()
    if inner.startswith("|"):
        inner = inner[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [c.strip() for c in _BAR.split(inner)]


def line_cells(line: str) -> list[str]:
    """The cells of a table line: a Markdown row's cells, else the whitespace-separated tokens of a plain
    row ("营业收入 16,842.57 12,306.18")."""
    return row_cells(line) if is_pipe_row(line) else line.split()


def is_rule_row(row: str) -> bool:
    """The separator row under a Markdown header ("|---|:---:|"); a row of empty cells counts too."""
    return bool(_RULE_ROW.fullmatch(row.strip()))


def is_untitled_header(row: str, after: list[str]) -> bool:
    """A header row of empty cells ("|  |  |") right above a table's rule ("|---|---|"): a new table whose
    columns have no titles (a row of empty cells inside a table has no rule under it)."""
    return (
        row.startswith("|")
        and not row.strip("| ")
        and bool(after)
        and "-" in after[0]
        and is_rule_row(after[0])
    )


def title_year(cell: str) -> str | None:
    """The year a column title is, when the whole cell is one ("2023", "FY2023", "2023年度", "2023年末")."""
    m = _YEAR_TITLE.fullmatch(cell.strip())
    return m.group(1) if m else None


def named_year(cell: str) -> str | None:
    """The first year a cell names anywhere ("2023年（实际）", "Dec 31, 2023"), or None."""
    m = _YEAR_TITLE.search(cell)
    return m.group(1) if m else None


def is_forecast(cell: str) -> bool:
    """A forecast, plan or target column or row ("2024年（预测）", "2025E", "2024 (plan)")."""
    return bool(_FORECAST_COL.search(cell))


def column_year(cell: str) -> str | None:
    """The fiscal year of a value column titled ``cell`` ("2023年（实际）" → 2023), or None when it names no
    year or is not one year's value: a forecast, a quarter, a change ("2024年（预测）", "Q3 2023", "同比%")."""
    if is_forecast(cell) or _NOT_VALUE_COL.search(cell):
        return None
    return named_year(cell)


def header_years(cells: list[str]) -> list[str | None] | None:
    """For each column title: its fiscal year (``column_year``) or None; None when no column has one."""
    years = [column_year(cell) for cell in cells]
    return years if any(years) else None


def year_titles(cells: list[str]) -> list[str]:
    """The years of the cells that are year titles (``title_year``), in order, the others skipped."""
    return [y for c in cells if (y := title_year(c))]


# column titles a statement gives relative to its report's year (offset): resolved by whoever knows the year
_RELATIVE_TITLES = (
    (
        "+0",
        r"本期|本期发生额|本期金额|本期数|本年|本年度|本年金额|本年发生额|本年数|本年累计|本报告期|本期末|本年末|"
        r"报告期末|期末|期末余额|期末数|期末金额|年末|年末余额|年末数|年末金额|Current (?:year|period)",
    ),
    (
        "-1",
        r"上期|上期发生额|上期金额|上期数|上年|上年度|上年金额|上年发生额|上年数|上年同期|上年同期数|上年累计|"
        r"上期末|上年末|上年年末|上年年末余额|上年期末|期初|期初余额|期初数|期初金额|年初|年初余额|年初数|年初金额|"
        r"(?:Prior|Previous) (?:year|period)",
    ),
)
_RELATIVE = [(offset, re.compile(rf"(?:{rx})", re.IGNORECASE)) for offset, rx in _RELATIVE_TITLES]


def relative_year(cell: str) -> str | None:
    """A column title relative to the report's year: "+0" (本期, 期末余额, 本年金额 …), "-1" (上期, 期初余额,
    上年年末余额 …), else None. "本期增加" (a movement) is neither."""
    title = re.sub(r"\s+", "", cell) if re.search(r"[\u4e00-\u9fff]", cell) else cell.strip()
    return next((offset for offset, rx in _RELATIVE if rx.fullmatch(title)), None)


def relative_header(cells: list[str]) -> list[str | None] | None:
    """Columns titled relative to the report's year ("项目 期末余额 期初余额" → ["+0", "-1"]), None when fewer
    than two are (one "本期" column could be anything)."""
    found = [relative_year(c) for c in cells]
    return found if sum(1 for f in found if f) >= 2 else None


_ANY_YEAR = re.compile(r"(?:19|20)\d{2}")


def text_header_years(line: str) -> list[str | None] | None:
    """Year columns of a plain-text header line ("项目 2023年 2022年 增减" → ["2023", "2022", None];
    "Item 2023 2022 2021"): the columns from the first year on, None for a column that is not a year. A
    year title may carry a date tail ("2023/12/31"); a text export's spaces inside one ("2018 年",
    "2018 年 12 月 31 日") are no column breaks. None when the line is no such header."""
    if not _ANY_YEAR.search(line):
        return None  # most lines: no year to head a column
    line = re.sub(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?", _joined_date, line)
    tokens = re.sub(r"((?:19|20)\d{2})\s+年", r"\1年", line).split()
    if len(tokens) < 2 or re.search(r"[，。；、]", line):  # a header's titles carry no clause punctuation
        return None
    years = [_token_year(t) for t in tokens]
    found = sum(1 for y in years if y)
    first = next((i for i, y in enumerate(years) if y), 0)
    if found < 2 and not (
        found == 1
        and first >= 1
        and len(tokens) <= 3
        and all(_ONE_YEAR_TITLE.fullmatch(t) for t in tokens[:first])
    ):
        return None  # one year: only under a column title ("项目 2023年"), not "自 2002 年" in a sentence
    if first > 2 or any(re.search(r"\d", t) for t, y in zip(tokens, years, strict=True) if not y):
        return None  # figures or dates beside the years: a row or a sentence, not a header
    return years[first:]


_ONE_YEAR_TITLE = re.compile(
    r"项目|项目名称|科目|指标|类别|单位|名称|Items?|Metrics?|Category", re.IGNORECASE
)


def _joined_date(m: re.Match[str]) -> str:
    return f"{m.group(1)}年{m.group(2)}月" + (f"{m.group(3)}日" if m.group(3) else "")


_YEAR_END = re.compile(r"((?:19|20)\d{2})\s*(?:年\s*12\s*月\s*31\s*日|[-./]12[-./]31)")


def _token_year(token: str) -> str | None:
    if m := _YEAR_END.fullmatch(token):  # a balance sheet's column: "2023年12月31日", "2023-12-31"
        return m.group(1)
    head, bar, tail = token.partition("/")
    if bar and not tail:
        return None
    return title_year(head)
