"""Dates as documents write them (Chinese, ISO, English): the home of date reading.

``dates`` finds every date in a text with the characters it was read from; ``DateMention`` turns one
into a ``date`` (start or end of the period it names); ``add_years`` moves a date by whole years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH_NAMES = "january february march april may june july august september october november december"
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)

ZH_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?:(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?)?")
ISO_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?(?!\d)")
EN_DATE_MDY = re.compile(rf"(?P<mon>{_MONTH_RE})\s+(?P<d>\d{{1,2}}),?\s+(?P<y>(?:19|20)\d{{2}})")
EN_DATE_DMY = re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH_RE})\s+(?P<y>(?:19|20)\d{{2}})")
EN_DATE_MY = re.compile(rf"(?P<mon>{_MONTH_RE})\s+(?P<y>(?:19|20)\d{{2}})")
_MONTH_START = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec")  # of every English month name


@dataclass
class DateMention:
    """A date read from text: ``iso`` is as precise as the text (year, month or day)."""

    iso: str  # YYYY, YYYY-MM or YYYY-MM-DD
    raw: str
    start: int
    end: int

    @property
    def year(self) -> int:
        """The calendar year."""
        return int(self.iso[:4])

    def as_date(self, end_of_period: bool = False) -> date:
        """The first (or with ``end_of_period`` the last) day of the period the date names."""
        parts = [int(p) for p in self.iso.split("-")]
        if len(parts) == 3:
            return date(parts[0], parts[1], parts[2])
        if len(parts) == 2:
            if end_of_period:
                nxt = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
                return date.fromordinal(nxt.toordinal() - 1)
            return date(parts[0], parts[1], 1)
        return date(parts[0], 12, 31) if end_of_period else date(parts[0], 1, 1)


def _iso(y: str, m: str | None, d: str | None) -> str | None:
    try:
        if m and d:
            return date(int(y), int(m), int(d)).isoformat()
        if m:
            if not 1 <= int(m) <= 12:
                return None
            return f"{int(y):04d}-{int(m):02d}"
    except ValueError:
        return None
    return f"{int(y):04d}"


def dates(text: str) -> list[DateMention]:
    """Every date in the text (Chinese, ISO, English), longest reading first at each position."""
    # cheap first tests (most lines of a report hold no date): every pattern needs a year 19xx or 20xx, a
    # Chinese date 年, an ISO one a dash, an English one a month name
    if "19" not in text and "20" not in text:
        return []
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(iso: str | None, m: re.Match[str]) -> None:
        if iso and not any(s < m.end() and m.start() < e for s, e in taken):
            found.append(DateMention(iso=iso, raw=m.group(0), start=m.start(), end=m.end()))
            taken.append((m.start(), m.end()))

    if "年" in text:
        for m in ZH_DATE.finditer(text):
            add(_iso(m.group("y"), m.group("m"), m.group("d")), m)
    if "-" in text:
        for m in ISO_DATE.finditer(text):
            add(_iso(m.group("y"), m.group("m"), m.group("d")), m)
    if _MONTH_START.search(text):
        for rx in (EN_DATE_MDY, EN_DATE_DMY, EN_DATE_MY):
            for m in rx.finditer(text):
                month = _MONTHS.get(m.group("mon").lower().rstrip("."))
                add(_iso(m.group("y"), str(month) if month else None, m.groupdict().get("d")), m)
    return sorted(found, key=lambda d: d.start)


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
