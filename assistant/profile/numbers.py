"""Numbers, amounts, percentages, counts and dates as documents write them (Chinese and English).

Everything returns a :class:`Mention` with the exact characters it was read from (``raw``, ``start``,
``end`` in the searched text) so that the value can be quoted and verified. Arithmetic is decimal:
``16,842.57万元`` is exactly 168,425,700 CNY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from assistant.text.cjk import HAN

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

ZH_SCALES = {
    "万亿元": Decimal(10) ** 12,
    "亿元": Decimal(10) ** 8,
    "千万元": Decimal(10) ** 7,
    "百万元": Decimal(10) ** 6,
    "万元": Decimal(10) ** 4,
    "千元": Decimal(10) ** 3,
    "元": Decimal(1),
    "亿": Decimal(10) ** 8,
    "万": Decimal(10) ** 4,
}
EN_SCALES = {
    "thousand": Decimal(10) ** 3,
    "thousands": Decimal(10) ** 3,
    "k": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "millions": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "m": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
}

# 16,842.57万元 / -6,428,315.40元 / 人民币1.2亿元 / 8,000万 / 1.31 亿元
ZH_MONEY = re.compile(
    rf"(?P<pre>人民币|RMB\s?|CNY\s?)?(?P<neg>[-−])?(?P<num>{_NUM})\s*(?P<scale>万亿元|亿元|千万元|百万元|万元|千元|元|亿|万)"
    r"(?P<cur>人民币|美元|港元|欧元)?"
)
# $18,742 thousand / $27.6 million / ($3.2 million) / US$5m / USD 12.3 million / €4 million
EN_MONEY = re.compile(
    rf"(?P<paren>\()?(?P<neg>[-−])?(?P<cur>US\$|HK\$|S\$|A\$|\$|€|£|¥|USD\s?|RMB\s?|CNY\s?|EUR\s?|GBP\s?|HKD\s?)"
    rf"\s?(?P<num>{_NUM})(?P<close>\))?(?:\s?(?P<scale>thousands?|millions?|billion|bn|mn|m|k)\b)?(?P<close2>\))?"
)
PERCENT = re.compile(rf"(?P<neg>[-−])?(?P<num>{_NUM})\s*(?:%|％)")
ZH_COUNT = re.compile(rf"(?P<num>{_NUM})\s*(?P<unit>人|名|项|件|个|家)")
BARE_NUMBER = re.compile(rf"(?<![\w.,])(?P<paren>\()?(?P<neg>[-−])?(?P<num>{_NUM})(?P<close>\))?(?![\w%])")

_CURRENCY = {
    "$": "USD",
    "US$": "USD",
    "USD": "USD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "HK$": "HKD",
    "HKD": "HKD",
    "S$": "SGD",
    "A$": "AUD",
    "¥": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "港元": "HKD",
    "欧元": "EUR",
}

APPROX_BEFORE = re.compile(
    r"(?:约|大约|近|逾|超过|超|不足|不到|不少于|不低于|至少|最高|高达|约为|接近|"
    r"about|approximately|approx\.|around|roughly|nearly|almost|over|more than|less than|up to|at least|"
    r"some|circa|~)\s*$",
    re.IGNORECASE,
)
BOUND_BEFORE = re.compile(
    r"(?:逾|超过|超|不足|不到|不少于|不低于|至少|最高|高达|over|more than|less than|up to|at least)\s*$",
    re.IGNORECASE,
)
BOUND_AFTER = re.compile(r"^\s*(?:余|多|以上|以下|左右|\+|plus\b|or more\b)")


@dataclass
class Mention:
    """A number read from text."""

    kind: str  # money | percent | count | number
    value: Decimal
    raw: str  # exactly as written (including unit)
    number: str  # the digits as written, e.g. "16,842.57"
    start: int
    end: int
    currency: str | None = None
    scale: Decimal = Decimal(1)
    approx: bool = False  # 约 / about …
    bound: bool = False  # 超过 / more than / 余 … (not an exact value)
    unit_word: str | None = None  # 人 / 项 … for counts

    @property
    def tolerance(self) -> Decimal:
        """Half a unit of the last written digit, in normalised units (rounding tolerance)."""
        decimals = len(self.number.split(".")[1]) if "." in self.number else 0
        return Decimal(5) * Decimal(10) ** (-decimals - 1) * self.scale


def to_decimal(number: str) -> Decimal | None:
    try:
        return Decimal(number.replace(",", "").replace(" ", ""))
    except InvalidOperation:
        return None


def plain(value: Decimal) -> int | float:
    """A JSON number: int when integral, else float rounded to 6 decimals."""
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 6))


def _qualify(text: str, m: Mention) -> Mention:
    before = text[max(0, m.start - 14) : m.start]
    after = text[m.end : m.end + 8]
    m.approx = bool(APPROX_BEFORE.search(before))
    m.bound = bool(BOUND_BEFORE.search(before) or BOUND_AFTER.match(after))
    return m


def zh_money(text: str) -> list[Mention]:
    out: list[Mention] = []
    for m in ZH_MONEY.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        # 万元 after a date (2024年5月) or a count unit is still money; but "12万台" is not matched (no 元/亿/万 alone
        # before a measure word): bare 万/亿 must not be followed by a measure word.
        scale_word = m.group("scale")
        nxt = text[m.end() : m.end() + 1]
        if (
            scale_word in ("万", "亿")
            and nxt
            and re.match(r"[" + HAN + r"]", nxt)
            and nxt not in "元人美港欧，。；、"
        ):
            continue
        scale = ZH_SCALES[scale_word]
        sign = Decimal(-1) if m.group("neg") else Decimal(1)
        cur = m.group("cur") or (m.group("pre") or "").strip() or "人民币"
        out.append(
            _qualify(
                text,
                Mention(
                    kind="money",
                    value=sign * value * scale,
                    raw=m.group(0).strip(),
                    number=m.group("num"),
                    start=m.start(),
                    end=m.end(),
                    currency=_CURRENCY.get(cur, "CNY"),
                    scale=scale,
                ),
            )
        )
    return out


def en_money(text: str, default_scale: Decimal = Decimal(1)) -> list[Mention]:
    out: list[Mention] = []
    for m in EN_MONEY.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        scale_word = (m.group("scale") or "").lower()
        if scale_word == "m" and text[m.end("scale") : m.end("scale") + 1].isalpha():
            scale_word = ""
        scale = EN_SCALES.get(scale_word, default_scale)
        closed = bool(m.group("close") or m.group("close2"))
        negative = bool(m.group("neg")) or bool(m.group("paren") and closed)
        start = m.start() if (m.group("paren") and closed) or m.group("neg") else m.start("cur")
        end = (
            m.end()
            if m.group("paren") and closed
            else (m.end("scale") if m.group("scale") and scale_word else m.end("num"))
        )
        cur = m.group("cur").strip()
        out.append(
            _qualify(
                text,
                Mention(
                    kind="money",
                    value=(-value if negative else value) * scale,
                    raw=text[start:end].strip(),
                    number=m.group("num"),
                    start=start,
                    end=end,
                    currency=_CURRENCY.get(cur, "USD"),
                    scale=scale,
                ),
            )
        )
    return out


def percents(text: str) -> list[Mention]:
    out: list[Mention] = []
    for m in PERCENT.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        if m.group("neg"):
            value = -value
        out.append(
            _qualify(
                text,
                Mention(
                    kind="percent",
                    value=value,
                    raw=m.group(0),
                    number=m.group("num"),
                    start=m.start(),
                    end=m.end(),
                ),
            )
        )
    return out


def zh_counts(text: str) -> list[Mention]:
    out: list[Mention] = []
    for m in ZH_COUNT.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None or value != value.to_integral_value():
            continue
        # 412.60万元 or 2023年 are not counts; neither is a figure glued to a preceding digit/letter.
        if (
            m.start() > 0
            and re.match(r"[\w.]", text[m.start() - 1])
            and not re.match(r"[" + HAN + r"]", text[m.start() - 1])
        ):
            continue
        out.append(
            _qualify(
                text,
                Mention(
                    kind="count",
                    value=value,
                    raw=m.group(0),
                    number=m.group("num"),
                    start=m.start(),
                    end=m.end(),
                    unit_word=m.group("unit"),
                ),
            )
        )
    return out


CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


# ---- dates -------------------------------------------------------------------------------------
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
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


@dataclass
class DateMention:
    iso: str  # YYYY, YYYY-MM or YYYY-MM-DD
    raw: str
    start: int
    end: int

    @property
    def year(self) -> int:
        return int(self.iso[:4])

    def as_date(self, end_of_period: bool = False) -> date:
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
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(iso: str | None, m: re.Match[str]) -> None:
        if iso and not any(s < m.end() and m.start() < e for s, e in taken):
            found.append(DateMention(iso=iso, raw=m.group(0), start=m.start(), end=m.end()))
            taken.append((m.start(), m.end()))

    for m in ZH_DATE.finditer(text):
        add(_iso(m.group("y"), m.group("m"), m.group("d")), m)
    for m in ISO_DATE.finditer(text):
        add(_iso(m.group("y"), m.group("m"), m.group("d")), m)
    for rx in (EN_DATE_MDY, EN_DATE_DMY, EN_DATE_MY):
        for m in rx.finditer(text):
            month = _MONTHS.get(m.group("mon").lower().rstrip("."))
            add(_iso(m.group("y"), str(month) if month else None, m.groupdict().get("d")), m)
    return sorted(found, key=lambda d: d.start)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
