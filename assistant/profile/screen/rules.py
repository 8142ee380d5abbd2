"""A screening question in Chinese or English turned into a filter by rules (no model): the question's phrases are
found with the lexicon (:mod:`assistant.profile.screen.lexicon`, longest first), cut into clauses at the
connectives (且, 、, and, or …), and each clause becomes conditions:

- a number with a comparison (超过 25%, under 50%, 10%以上) is compared with the field the clause names (or, with
  none, the previous clause's: "above 10% and below 20%");
- a check (专精特新, HNTE) is ``= pass`` unless the clause says it fails (未通过, did not pass) or is unknown;
- a signal (客户集中度, lawsuits) is a red flag (``flag X``) with a red-flag word or when it is computed from
  figures, else present (``signals.X = signal``); a negation (没有, no, without) turns it round;
- "red flags" alone is ``red_flags > 0``.

Every clause must be read whole: one with a number or a field but nothing to compare is an error naming it, never
silently dropped. The result is the filter's text, parsed by the grammar like any filter, so the filter shown to
the user is exactly the one that runs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from assistant.facts.metrics import BY_NAME as METRICS
from assistant.profile.schema import SPECS
from assistant.profile.screen import lexicon
from assistant.profile.screen.grammar import parse_filter
from assistant.profile.screen.model import Node
from assistant.profile.screen.vocabulary import SIGNAL_NAMES, FilterError, can_flag, signal_members
from assistant.text.figures import NUMBER


class QuestionError(FilterError):
    """A question the rules cannot turn into a filter (HTTP 400)."""


@dataclass(frozen=True)
class Mention:
    kind: str  # field | signal | check | state | before | after | neg | flag | and | or | num | year
    key: str
    start: int
    end: int
    text: str


_YEAR = (
    r"(?:fy\s?|财年\s?)(?P<y1>(?:19|20)\d{2})|(?P<y2>(?:19|20)\d{2})\s?(?:年度|年)"
    r"|(?<![a-z])(?:in|for)\s(?P<y3>(?:19|20)\d{2})(?!\d)"
)
_UNIT = (
    r"%|percent\b|万亿元|亿元|千万元|百万元|万元|千元|元|亿美元|万美元|美元|亿|万"
    r"|million\b|billion\b|thousand\b|bn\b|mn\b|m\b|k\b"
)
_NUM = (
    rf"(?<![a-z0-9_.])(?P<cur>us\$|hk\$|\$|¥|￥)?\s?(?P<n>-?(?:{NUMBER}))\s?(?P<unit>{_UNIT})?"
    r"(?:\s?(?P<code>cny|usd|rmb|hkd|eur)\b)?"
)


def _entries() -> dict[str, tuple[str, str]]:
    """Every phrase (folded) → (kind, key); a phrase in two entries is a lexicon bug (tests check)."""
    out: dict[str, tuple[str, str]] = {}
    groups: list[tuple[str, dict[str, tuple[str, ...]]]] = [
        ("field", lexicon.FIELDS), ("signal", lexicon.SIGNALS), ("check", lexicon.CHECK_WORDS),
        ("state", lexicon.STATES), ("before", lexicon.BEFORE), ("after", lexicon.AFTER),
        ("and", {"and": lexicon.CONNECTIVES["and"]}), ("or", {"or": lexicon.CONNECTIVES["or"]}),
        ("neg", {"neg": lexicon.NEGATIONS}), ("flag", {"flag": lexicon.RED_FLAGS}),
    ]  # fmt: skip
    for kind, table in groups:
        for key, phrases in table.items():
            for phrase in phrases:
                out.setdefault(_norm(phrase), (kind, key))
    return out


def duplicates() -> list[str]:
    """Phrases the lexicon gives two meanings (for the tests)."""
    seen: dict[str, str] = {}
    dup = []
    for table in (lexicon.FIELDS, lexicon.SIGNALS, lexicon.CHECK_WORDS, lexicon.STATES, lexicon.BEFORE,
                  lexicon.AFTER, lexicon.CONNECTIVES):  # fmt: skip
        for key, phrases in table.items():
            for p in {_norm(p) for p in phrases}:
                if p in seen and seen[p] != key:
                    dup.append(f"{p}: {seen[p]} / {key}")
                seen[p] = key
    return dup


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"research\s+and\s+development", "r&d", text)


def _bounded(phrase: str) -> str:
    body = re.escape(phrase).replace(r"\ ", r"\s+")
    left = r"(?<![a-z0-9])" if re.match(r"[a-z0-9]", phrase) else ""
    right = r"(?![a-z0-9])" if re.search(r"[a-z0-9]$", phrase) else ""
    return left + body + right


@lru_cache(maxsize=1)
def _scanner() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    entries = _entries()
    phrases = "|".join(_bounded(p) for p in sorted(entries, key=len, reverse=True))
    return re.compile(rf"(?P<year>{_YEAR})|(?P<num>{_NUM})|(?P<phrase>{phrases})"), entries


def mentions(question: str) -> tuple[str, list[Mention]]:
    """The question (normalised) and its phrases, numbers and years in order."""
    text = _norm(question)
    pattern, entries = _scanner()
    out = []
    for m in pattern.finditer(text):
        if m.group("year"):
            year = m.group("y1") or m.group("y2") or m.group("y3")
            out.append(Mention("year", year, m.start(), m.end(), m.group()))
        elif m.group("num"):
            out.append(Mention("num", _number(m), m.start(), m.end(), m.group().strip()))
        else:
            kind, key = entries[re.sub(r"\s+", " ", m.group())]
            out.append(Mention(kind, key, m.start(), m.end(), m.group()))
    return text, out


def _number(m: re.Match[str]) -> str:
    """A number as the filter writes it: currency sign, digits, scale or %, currency code."""
    unit = (m.group("unit") or "").replace("percent", "%")
    cur = (m.group("cur") or "").upper()
    code = f" {m.group('code').upper()}" if m.group("code") else ""
    return f"{cur}{m.group('n')}{'' if unit in ('', '%') or not unit.isascii() else ' '}{unit}{code}"


def question_filter(question: str) -> str:
    """The filter of a screening question, as the filter language writes it (what is shown and runs)."""
    return question_node(question)[0]


def _raw_filter(question: str) -> str:
    """The filter text of a screening question; :class:`QuestionError` names the part it cannot read."""
    text, found = mentions(question)
    groups: list[list[str]] = [[]]
    carry: str | None = None
    clause: list[Mention] = []
    start = 0
    for m in [*found, Mention("and", "end", len(text), len(text), "")]:
        if m.kind not in ("and", "or"):
            clause.append(m)
            continue
        conditions, carry = _clause(clause, carry, text[start : m.start].strip(" ,，、;；?？。.!！"))
        groups[-1].extend(conditions)
        if m.kind == "or" and groups[-1]:
            groups.append([])
        clause, start = [], m.end
    groups = [g for g in groups if g]
    if not groups:
        raise QuestionError(
            f"no condition found in '{question.strip()}': name a field and a number (R&D ratio above 10%), a "
            "qualification (专精特新) or a red flag (customer concentration), or write a filter "
            "(rd_ratio > 10 and checks.专精特新 = pass; the names: assistant screen --fields)"
        )
    return " or ".join(" and ".join(g) for g in groups)


def question_node(question: str) -> tuple[str, Node]:
    """The filter text of a question and its tree (the grammar's: exactly what runs)."""
    text = _raw_filter(question)
    try:
        node = parse_filter(text)
    except FilterError as exc:
        raise QuestionError(f"could not read '{question.strip()}' as a filter ({text}): {exc}") from None
    return node.text(), node


def _clause(ms: list[Mention], carry: str | None, said: str) -> tuple[list[str], str | None]:
    """The conditions of one clause, and the subject the next clause may go on with."""
    neg = any(m.kind == "neg" for m in ms)
    cue = any(m.kind == "flag" for m in ms)
    year = next((m.key for m in ms if m.kind == "year"), None)
    state = next((m.key for m in ms if m.kind == "state"), None)
    checks = [m for m in ms if m.kind == "check"]
    subjects = [m for m in ms if m.kind in ("field", "signal")]
    named = {m.key for m in subjects if m.kind == "signal"}
    # "defendants in a lawsuit": the one named most precisely (lawsuit_defendant), not its whole family too
    subjects = [
        m for m in subjects if m.kind != "signal" or not any(k.startswith(m.key + "_") for k in named)
    ]
    out: list[str] = []
    used: set[int] = set()
    pending: str | None = None
    for i, m in enumerate(ms):
        if m.kind == "before":
            pending = m.key
        if m.kind != "num":
            continue
        after = ms[i + 1] if i + 1 < len(ms) and ms[i + 1].kind == "after" else None
        op = after.key if after is not None else pending
        if op is None:
            raise QuestionError(f"'{said}': say how {m.text} compares (above / below, 超过 / 低于 …)")
        before = [s for s in subjects if s.start < m.start]
        later = [s for s in subjects if s.start > m.start]
        subject = before[-1] if before else (later[0] if later else None)
        ref = _ref(subject, year) if subject is not None else (carry or ("red_flags" if cue else None))
        if ref is None:
            raise QuestionError(f"'{said}': which figure is {m.text}? (name it: R&D ratio, 营收增长 …)")
        if subject is not None:
            used.add(id(subject))
            carry = ref
        cond = f"{ref} {op} {m.key}"
        out.append(f"not {cond}" if neg else cond)
        pending = None
    qual = next((c for c in checks if any(s.key.startswith("qualification") for s in subjects)), None)
    for s in subjects:
        if id(s) in used:
            continue
        if s.kind == "field":
            if s.key in SIGNAL_NAMES and cue and can_flag(s.key):
                out.append(f"{'not ' if neg else ''}flag {s.key}")
                continue
            raise QuestionError(f"'{said}': what about {s.text}? (above / below a number, 超过 / 低于 …)")
        if qual is not None and s.key.startswith("qualification"):
            out.append(f'{"not " if neg else ""}signals.{s.key} ~ "{qual.key}"')
        elif can_flag(s.key) and (cue or any(x.requires for x in signal_members(s.key))):
            out.append(f"{'not ' if neg else ''}flag {s.key}")
        else:
            out.append(f"signals.{s.key} = {'absent' if neg else 'signal'}")
    for c in checks:
        if c is qual:
            continue
        result = state or ("fail" if neg else "pass")
        out.append(f"checks.{c.key} = {result}")
    if cue and not subjects and not any(m.kind == "num" for m in ms):
        out.append("red_flags = 0" if neg else "red_flags > 0")
    return out, carry


def _ref(subject: Mention, year: str | None) -> str:
    if subject.kind == "signal":
        return f"signals.{subject.key}"
    key = subject.key
    per_year = (key in SPECS and SPECS[key].per_year) or (key in METRICS and key not in SPECS)
    return f"{key}[{year}]" if year and per_year else key


__all__ = ["Mention", "QuestionError", "duplicates", "mentions", "question_filter", "question_node"]
