"""Running headers, footers and page numbers of a PDF's text layer.

A line is a running header (footer) when, with every run of digits written as '#', it is among the
first (last) ``ZONE`` non-blank lines of at least half the pages of a document of three or more pages.
Such lines are removed from those zones only, so the same words in the body stay, and never when they
are all the page holds (a deck of one-line slides keeps its lines). Lines that are just a
page number ("— 3 —", "- 3 -", "Page 3", "Page 3 of 9", "第 3 页", "第3页 共9页", "3 / 195", "iv") are
removed from the zones on any document; bare numbers ("3") only when they repeat as a running footer.
"""

from __future__ import annotations

import re
from collections import Counter

ZONE = 3
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"""^\s*(?:
        [-–—‒―~·•]+\s*\d{1,4}\s*[-–—‒―~·•]+               # - 3 -, — 3 —
      | (?:page|p\.|pg\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?  # Page 3, Page 3 of 9, p. 3
      | 第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?    # 第 3 页, 第3页 共9页
      | \d{1,4}\s*/\s*\d{1,4}                                # 3 / 195
      | [-–—]?\s*(?=[ivxlc])(?:x{0,3})(?:ix|iv|v?i{0,3})\s*[-–—]?  # - iv - (front matter)
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split()))


def _zones(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indexes of the first and the last ZONE non-blank lines."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:ZONE], filled[-ZONE:]


def is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line)) and bool(line.strip())


def strip_margins(pages: list[str]) -> list[str]:
    """The page texts without running headers, footers and page numbers (see the module docstring)."""
    split = [text.split("\n") for text in pages]
    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    for lines in split:
        head, tail = _zones(lines)
        top.update({_key(lines[i]) for i in head})
        bottom.update({_key(lines[i]) for i in tail})
    filled_pages = sum(1 for text in pages if text.strip())
    need = max(2, (filled_pages + 1) // 2)
    repeated = len(pages) >= 3
    headers = {k for k, n in top.items() if repeated and n >= need}
    footers = {k for k, n in bottom.items() if repeated and n >= need}
    mixed = {k for k in top.keys() | bottom.keys() if repeated and top[k] + bottom[k] >= need}
    top_keys = headers | (mixed - footers)
    bottom_keys = footers | (mixed - headers)
    out: list[str] = []
    for lines in split:
        head, tail = _zones(lines)
        drop: set[int] = set()
        for zone, keys in ((head, top_keys), (tail[::-1], bottom_keys)):
            seen: set[str] = set()  # a running line appears once per page: drop its outermost copy only
            for i in zone:
                key = _key(lines[i])
                if is_page_number(lines[i]) or (key in keys and key not in seen):
                    drop.add(i)
                    seen.add(key)
        if drop and all(i in drop for i, line in enumerate(lines) if line.strip()):
            drop = {i for i in drop if is_page_number(lines[i])}  # never empty a page of its repeated lines
        out.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return out
