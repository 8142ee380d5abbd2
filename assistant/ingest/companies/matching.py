"""Which known companies a question mentions (:func:`match_companies`), longest match first."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from assistant.ingest.companies.names import dedupe
from assistant.text.cjk import to_simplified


def _normalise(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=8192)
def _compact_alias(alias: str) -> str:
    """Alias as compared: NFKC, Simplified, lowercase, letters/digits/CJK only (no spaces or hyphens)."""
    return "".join(c for c in _normalise(alias) if c.isalnum())


def _is_ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


@dataclass(frozen=True)
class _Hit:
    company: str
    start: int
    end: int
    order: int


def match_companies(question: str, known: dict[str, list[str]]) -> list[str]:
    """Known companies (canonical name → aliases) that ``question`` mentions, best (longest alias) first.

    Case-, script- (Traditional/Simplified) and spacing-insensitive (``Qiyun Zhisuan`` = ``qiyunzhisuan``).
    Latin aliases must start and end at word boundaries. The longest match wins: an alias of another
    company inside a longer matched span does not count; two companies sharing the same alias are both
    returned.
    """
    text = _normalise(question)
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    compact = "".join(text[i] for i in positions)
    hits: list[_Hit] = []
    for order, (company, names) in enumerate(known.items()):
        for alias in dedupe([company, *names]):
            needle = _compact_alias(alias)
            if len(needle) < 2:
                continue
            start = compact.find(needle)
            while start >= 0:
                end = start + len(needle)
                if _at_boundaries(text, positions, start, end):
                    hits.append(_Hit(company, start, end, order))
                start = compact.find(needle, start + 1)
    hits.sort(key=lambda h: (-(h.end - h.start), h.start, h.order))
    accepted: list[_Hit] = []
    for hit in hits:
        clash = any(
            hit.start < a.end and a.start < hit.end and (hit.start, hit.end) != (a.start, a.end)
            for a in accepted
        )
        if not clash:
            accepted.append(hit)
    return dedupe(h.company for h in accepted)


def _at_boundaries(text: str, positions: list[int], start: int, end: int) -> bool:
    """A Latin/digit alias end must not run into another Latin letter or digit in the question — except a
    Chinese short name's share-class letter before a year ("深中华A2018年…": the letter ends the name)."""
    first, last = positions[start], positions[end - 1]
    if _is_ascii_alnum(text[first]) and first > 0 and _is_ascii_alnum(text[first - 1]):
        return False
    after = text[last + 1] if last + 1 < len(text) else ""
    if text[last].isalpha() and after.isdigit() and any(not c.isascii() for c in text[first:last]):
        return True
    return not (_is_ascii_alnum(text[last]) and _is_ascii_alnum(after))
