"""Pages of paged text and their margins: page markers, running headers and footers, in any format.

One home for what the PDF reader removes from its pages and what a text export's pages lose (``text``):

- **Page markers.** ``page_marker`` reads a line that is only a page number ("— 3 —", "- 3 -", "Page 3",
  "Page 3 of 9", "第 3 页", "[第3页]", "第3页 共9页", "3 / 195", "iv", or a bare "3"). ``marker_chain`` finds,
  in a text export without form feeds, the markers that number its pages: a run of one style whose numbers
  go up mostly by one (a few gaps allowed), spread over the document, and — bare numbers only — printed in
  the same place each time (next to the same running line, or between blank lines). One stray line (a table
  cell "12") never starts a page, and neither does a table's column of row numbers.
- **Margins.** A line is a running header (footer) when, with every run of digits written as '#', it is
  among the first (last) ``ZONE`` non-blank lines of at least half the pages of a document of three or more
  pages. Such lines are removed from those zones only, so the same words in the body stay, and never when
  they are all the page holds (a deck of one-line slides keeps its lines). Lines that are a decorated page
  number are removed from the zones on any document; bare numbers ("3") only when they repeat as a running
  footer. ``find_margins`` also says which lines it removed (each once: the document's boilerplate). With
  ``runs`` (text exports) a line that opens or closes ``RUN`` pages or more in a row is running too: a part's
  own header, such as one over the financial statements only (never a table's header or row).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median
from typing import NamedTuple

from assistant.text.tables import text_header_years

ZONE = 3
RUN = 10  # pages in a row a part's running line opens or closes (with ``runs``)
_YEARS = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_DIGITS = re.compile(r"\d+")
_MARKER = re.compile(
    r"""^\s*(?:
        [-–—‒―~·•]+\s*(?P<dash>\d{1,4})\s*[-–—‒―~·•]+                              # - 3 -, — 3 —
      | (?:page|p\.|pg\.?)\s*(?P<page>\d{1,4})(?:\s*(?:of|/)\s*(?P<page_of>\d{1,4}))?   # Page 3, Page 3 of 9
      | [\[【(（]?\s*第\s*(?P<zh>\d{1,4})\s*页(?:\s*[,，/]?\s*共\s*(?P<zh_of>\d{1,4})\s*页)?\s*[\]】)）]?  # 第3页
      | (?P<slash>\d{1,4})\s*/\s*(?P<slash_of>\d{1,4})                                   # 3 / 195
      | (?P<roman>[-–—]?\s*(?=[ivxlc])(?:x{0,3})(?:ix|iv|v?i{0,3})\s*[-–—]?)        # - iv - (front matter)
      | (?P<bare>\d{1,4})                                                                # 3
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[^\W\d_]")  # a letter or a Han character
GAP = "<gap>"  # the context of a marker set off by a blank line


class Marker(NamedTuple):
    number: int
    style: str  # dash, page, page/9, zh, zh/9, slash/195, bare: only markers of one style make a chain


def page_marker(line: str) -> Marker | None:
    """The page number a line consists of, with its style; None for any other line (and for roman numerals,
    which number front matter, not a sequence of pages)."""
    m = _MARKER.match(line)
    if not m or not line.strip() or m.group("roman") is not None:
        return None
    for name in ("dash", "page", "zh", "slash", "bare"):
        value = m.group(name)
        if value is not None:
            total = m.groupdict().get(f"{name}_of")
            number = int(value)
            return Marker(number, f"{name}/{total}" if total else name) if number >= 1 else None
    return None  # pragma: no cover - the pattern has no other alternative


def is_page_number(line: str) -> bool:
    """A decorated page number or a roman numeral (a bare "3" is one only where it repeats, see the module)."""
    m = _MARKER.match(line)
    return m is not None and bool(line.strip()) and m.group("bare") is None


def is_marker_line(line: str) -> bool:
    """Any line that could print a page number, a bare one included."""
    return bool(_MARKER.match(line)) and bool(line.strip())


def line_key(line: str) -> str:
    """A line as running headers and footers are compared: spaces collapsed, runs of digits as '#'."""
    return _DIGITS.sub("#", " ".join(line.split()))


# ------------------------------------------------------------------------------------------------
# markers in sequence
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Candidate:
    line: int
    number: int
    before: str | None  # the line just above as a key, GAP (blank), or None (a figure: no context)
    after: str | None


def _context(lines: list[str], i: int) -> str | None:
    if i < 0 or i >= len(lines) or not lines[i].strip():
        return GAP
    key = line_key(lines[i])
    return key if _WORD.search(key) else None


def _longest(cands: list[_Candidate], above: set[str], below: set[str]) -> list[_Candidate]:
    """The best chain of candidates in reading order whose numbers go up by 1 (a step of 2 or 3 counts less),
    a candidate printed next to a line of ``above`` / ``below`` counting a little more."""

    def bonus(c: _Candidate) -> float:
        return 0.1 * ((c.before in above) + (c.after in below))

    score = [0.0] * len(cands)
    back = [-1] * len(cands)
    best_of: dict[int, int] = {}  # number → its best candidate so far (a later one wins a tie)
    for k, c in enumerate(cands):
        score[k] = 1.0 + bonus(c)
        for step, gain in ((1, 1.0), (2, 0.3), (3, 0.3)):
            j = best_of.get(c.number - step)
            if j is not None and score[j] + gain + bonus(c) > score[k]:
                score[k], back[k] = score[j] + gain + bonus(c), j
        if c.number not in best_of or score[k] >= score[best_of[c.number]]:
            best_of[c.number] = k
    if not cands:
        return []
    k = max(range(len(cands)), key=lambda n: (score[n], n))
    chain: list[_Candidate] = []
    while k >= 0:
        chain.append(cands[k])
        k = back[k]
    return chain[::-1]


def _running(values: list[str | None]) -> set[str]:
    """The contexts that recur next to a chain's markers: each next to at least 3 of them and a fifth (a
    report's running header can change between its parts)."""
    counted = Counter(v for v in values if v is not None)
    return {v for v, n in counted.items() if n >= max(3, 0.2 * len(values))}


def _plausible(chain: list[_Candidate], style: str, lines: list[str]) -> bool:
    """A chain numbers pages: long enough, mostly steps of one, spread over the document, and (bare numbers)
    printed in one place each time."""
    bare = style == "bare"
    if len(chain) < (3 if bare else 2):
        return False
    steps = [b.number - a.number for a, b in zip(chain, chain[1:], strict=False)]
    if sum(s == 1 for s in steps) < 0.7 * len(steps):
        return False
    filled = [i for i, line in enumerate(lines) if line.strip()]
    inside = sum(1 for i in filled if chain[0].line <= i <= chain[-1].line)
    if inside < 0.4 * len(filled):
        return False
    if bare:
        above, below = _running([c.before for c in chain]), _running([c.after for c in chain])
        return sum(c.before in above or c.after in below for c in chain) >= 0.6 * len(chain)
    return True


def marker_chain(lines: list[str]) -> list[tuple[int, int]]:
    """(line index, printed number) of the markers that number a text export's pages; [] when none do."""
    groups: dict[str, list[_Candidate]] = {}
    for i, line in enumerate(lines):
        marker = page_marker(line) if len(line) <= 40 else None
        if marker is not None:
            groups.setdefault(marker.style, []).append(
                _Candidate(i, marker.number, _context(lines, i - 1), _context(lines, i + 1))
            )
    best: list[_Candidate] = []
    for style, cands in groups.items():
        first = _longest(cands, set(), set())
        above, below = _running([c.before for c in first]), _running([c.after for c in first])
        # again, preferring the candidates printed where the first chain's are (a real marker over a stray
        # number of the same value on the same page)
        chain = _longest(cands, above, below)
        if _plausible(chain, style, lines) and len(chain) > len(best):
            best = chain
    return [(c.line, c.number) for c in best]


def marker_context(lines: list[str], chain: list[tuple[int, int]]) -> tuple[set[str], set[str]]:
    """The running lines printed just above and just below the chain's markers (as keys)."""
    above = _running([_context(lines, i - 1) for i, _ in chain]) - {GAP}
    below = _running([_context(lines, i + 1) for i, _ in chain]) - {GAP}
    return above, below


def gaps(lines: list[str], chain: list[tuple[int, int]]) -> tuple[int, int, float]:
    """Non-blank lines before the first marker, after the last, and the median between two markers."""

    def filled(a: int, b: int) -> int:
        return sum(1 for line in lines[a:b] if line.strip())

    between = [filled(a + 1, b) for (a, _), (b, _) in zip(chain, chain[1:], strict=False)]
    return filled(0, chain[0][0]), filled(chain[-1][0] + 1, len(lines)), median(between) if between else 0.0


# ------------------------------------------------------------------------------------------------
# running headers and footers
# ------------------------------------------------------------------------------------------------
class Margins(NamedTuple):
    pages: list[str]  # the page texts without their margins
    boilerplate: list[str]  # each running line removed, once, as first written (page numbers not included)


def _zones(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indexes of the first and the last ZONE non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:ZONE], filled[-ZONE:]


def _tabular(line: str) -> bool:
    """A table's header or row (its column years, cells): never a running line however often it repeats."""
    return "|" in line or len(_YEARS.findall(line)) >= 2 or bool(text_header_years(line))


def _run(pages: list[int]) -> bool:
    """Whether the pages (ascending) hold a run: ``RUN`` or more, each within two pages of the one before."""
    length = 1
    for a, b in zip(pages, pages[1:], strict=False):
        length = length + 1 if b - a <= 2 else 1
        if length >= RUN:
            return True
    return False


def find_margins(pages: list[str], runs: bool = False) -> Margins:
    """The page texts without running headers, footers and page numbers (see the module docstring), and the
    running lines removed. With ``runs``, a line that opens or closes ``RUN`` pages or more in a row (a page
    or two may lack it: one part's header, such as a report's "截至 2018 年 12 月 31 日止年度财务报表" over its
    financial statements) is a running line too, unless it is tabular."""
    split = [text.split("\n") for text in pages]
    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    either: Counter[str] = Counter()  # pages with the line in a zone (a short page's line is in both: once)
    outer: dict[str, list[int]] = {}  # pages the line opens or closes
    example: dict[str, str] = {}
    for p, lines in enumerate(split):
        head, tail = _zones(lines)
        top.update({line_key(lines[i]) for i in head})
        bottom.update({line_key(lines[i]) for i in tail})
        either.update({line_key(lines[i]) for i in head + tail})
        for key, line in {line_key(lines[i]): lines[i] for i in head[:1] + tail[-1:]}.items():
            outer.setdefault(key, []).append(p)
            example.setdefault(key, line)
    filled_pages = sum(1 for text in pages if text.strip())
    need = max(2, (filled_pages + 1) // 2)
    repeated = len(pages) >= 3
    headers = {k for k, n in top.items() if repeated and n >= need}
    footers = {k for k, n in bottom.items() if repeated and n >= need}
    mixed = {k for k, n in either.items() if repeated and n >= need}
    if runs and repeated:
        mixed |= {k for k, ps in outer.items() if _run(ps) and not _tabular(example[k])}
    top_keys = headers | (mixed - footers)
    bottom_keys = footers | (mixed - headers)
    out: list[str] = []
    removed: dict[str, str] = {}
    for lines in split:
        head, tail = _zones(lines)
        drop: set[int] = set()
        for zone, keys in ((head, top_keys), (tail[::-1], bottom_keys)):
            seen: set[str] = set()  # a running line appears once per page: drop its outermost copy only
            for i in zone:
                key = line_key(lines[i])
                if is_page_number(lines[i]) or (key in keys and key not in seen):
                    drop.add(i)
                    seen.add(key)
        if drop and all(i in drop for i, line in enumerate(lines) if line.strip()):
            drop = {i for i in drop if is_page_number(lines[i])}  # never empty a page of its repeated lines
        for i in sorted(drop):
            if not is_marker_line(lines[i]):
                removed.setdefault(line_key(lines[i]), " ".join(lines[i].split()))
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return Margins(out, list(removed.values()))


def strip_margins(pages: list[str]) -> list[str]:
    """The page texts without running headers, footers and page numbers (see the module docstring)."""
    return find_margins(pages).pages
