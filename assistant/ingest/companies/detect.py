"""Which company a document is about (:func:`detect_company`): every legal name in its head is weighed
by where it stands (a name field, the title, after a counterparty cue), the best Chinese and English names
are linked, and a valid credit code and declared short names are added."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from assistant.ingest.companies.credit_code import find_credit_code
from assistant.ingest.companies.cues import (
    ALIAS_AFTER_RE,
    COUNTERPARTY_AFTER_RE,
    COUNTERPARTY_CONTENT_RE,
    COUNTERPARTY_EN_RE,
    COUNTERPARTY_ZH,
    GENERIC_ALIASES,
    LABEL_RE,
    SHORT_FIELD_RE,
)
from assistant.ingest.companies.lexicon import EN_SUFFIX, EN_SUFFIX_END_RE
from assistant.ingest.companies.names import dedupe, pinyin_syllables, short_name, short_names, zh_short_names
from assistant.ingest.companies.occurrences import en_key, name_occurrences
from assistant.text.cjk import has_han, to_simplified

_HEAD_CHARS = 5000
_CLAUSE_END = "。；;！？!?\n，,"


class CompanyMention(BaseModel):
    """The company a document is about, as detected from its text."""

    legal_name: str | None = Field(
        None, description="Full registered name (Chinese if the document gives one, else English)."
    )
    english_name: str | None = Field(None, description="English legal name, e.g. 'Brightfold Robotics Inc.'.")
    credit_code: str | None = Field(
        None, description="Unified social credit code (18 characters, check character verified)."
    )
    short_names: list[str] = Field(
        default_factory=list, description="Short names declared in the text (简称) first, then derived ones."
    )
    confidence: float = Field(
        description="0–1: higher with a name field, a title line and a valid credit code."
    )
    evidence: str = Field(description="The line of text the legal name (or credit code) was found on.")


@dataclass
class _Candidate:
    name: str
    lang: str
    first: int
    score: float = 0.0
    head_count: int = 0
    labelled: bool = False
    in_title: bool = False
    declared: bool = False
    best_weight: float = float("-inf")
    best_start: int = 0


def _line_at(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _clause_before(text: str, start: int, width: int) -> str:
    window = text[max(0, start - width) : start]
    cut = max(window.rfind(c) for c in _CLAUSE_END)
    return window[cut + 1 :]


def _title_end(text: str, lines: int = 3) -> int:
    for seen, m in enumerate(re.finditer(r"[^\n]*\S[^\n]*", text), start=1):
        if seen == lines:
            return m.end()
    return len(text)


def _weigh(text: str, name: str, start: int, end: int, title_end: int) -> tuple[float, bool, bool, bool]:
    """Weight of one occurrence and whether it was labelled, in the title, followed by a 简称."""
    line_start, _ = _line_at(text, start)
    before_line = text[line_start:start]
    labelled = bool(LABEL_RE.search(before_line.replace("**", "")))
    clause = _clause_before(text, start, 24)
    en_clause = before_line[-60:]
    counterparty = (
        any(cue in clause for cue in COUNTERPARTY_ZH)
        or bool(COUNTERPARTY_EN_RE.search(en_clause.rsplit(". ", 1)[-1]))
        or bool(COUNTERPARTY_AFTER_RE.search(text[end : end + 40]))
    )
    declared = bool(ALIAS_AFTER_RE.match(text[end : end + 40]))
    in_title = start < title_end and not before_line.strip(" \t#>*|-•")
    if labelled:
        weight = 5.0
    elif counterparty:
        weight = -3.0
    else:
        weight = 1.0 + (3.0 if in_title else 0.0)
    if declared and not counterparty:
        weight += 3.0
    if not labelled and COUNTERPARTY_CONTENT_RE.search(name):
        weight -= 2.0
    return weight, labelled, in_title and not counterparty, declared and not counterparty


def _candidates(text: str, head: str) -> list[_Candidate]:
    occurrences = name_occurrences(head) or name_occurrences(text)
    title_end = _title_end(text)
    by_key: dict[str, _Candidate] = {}
    forms: dict[str, dict[str, int]] = {}
    for name, lang, start, end in occurrences:
        key = name if lang == "zh" else en_key(name)
        cand = by_key.setdefault(key, _Candidate(name=name, lang=lang, first=start))
        forms.setdefault(key, {})[name] = forms.get(key, {}).get(name, 0) + 1
        weight, labelled, in_title, declared = _weigh(text, name, start, end, title_end)
        cand.score += weight
        cand.head_count += 1
        cand.labelled |= labelled
        cand.in_title |= in_title
        cand.declared |= declared
        if weight > cand.best_weight:
            cand.best_weight, cand.best_start = weight, start
    for key, cand in by_key.items():
        cand.name = max(forms[key].items(), key=lambda kv: (kv[1], kv[0].endswith(".")))[0]
        extra = _count(text, cand) - cand.head_count
        if cand.score > 0 and extra > 0:
            cand.score += 0.5 * extra
    return sorted(by_key.values(), key=lambda c: (-c.score, c.first))


def _count(text: str, cand: _Candidate) -> int:
    if cand.lang == "zh":
        return text.count(cand.name)
    stem = EN_SUFFIX_END_RE.sub("", cand.name).strip(" ,")
    return len(re.findall(re.escape(stem) + r",?[ \t]+" + EN_SUFFIX, text))


def _declared_short_names(text: str, legal: str | None, english: str | None) -> list[str]:
    found: list[str] = []
    for name in (n for n in (legal, english) if n):
        for m in re.finditer(re.escape(name), text):
            alias = ALIAS_AFTER_RE.match(text[m.end() : m.end() + 40])
            if alias:
                found.append(alias.group("alias").strip())
    found.extend(m.group("alias").strip() for m in SHORT_FIELD_RE.finditer(text))
    names = " ".join(n for n in (legal, english) if n)
    return [a for a in dedupe(found) if a.lower() not in GENERIC_ALIASES and _is_part_of(a, names)]


def _is_part_of(alias: str, names: str) -> bool:
    """True if the alias' characters (CJK) or words (Latin) all occur in the names, in order."""
    if has_han(alias):
        it = iter(to_simplified(names))
        return all(c in it for c in to_simplified(alias))
    return all(w.lower() in names.lower() for w in alias.split())


def _linked(english: _Candidate, chinese: _Candidate) -> bool:
    """The English name belongs to the Chinese one: it sits in a name field or contains its pinyin."""
    if english.labelled:
        return True
    variants = zh_short_names(chinese.name)
    brand = variants[-1] if variants else ""
    syllables = pinyin_syllables(brand)
    return bool(syllables) and "".join(syllables) in en_key(english.name)


def detect_company(text: str) -> CompanyMention | None:
    """The company a document is about, from its first ~5,000 characters plus counts over the whole text.

    Chinese legal names (…股份有限公司/有限责任公司/有限公司/集团…公司) and English ones (Inc., Ltd.,
    Co., Ltd., LLC, Corp., GmbH, PLC …) are scored per occurrence: a name field (公司名称：, Legal name:)
    or the first three lines count most, a name right after a counterparty cue (客户, 领投, 审计机构,
    法院, customer, led by, auditor …) counts against it. Returns None if no subject name and no valid
    credit code is found.
    """
    head = text[:_HEAD_CHARS]
    cands = _candidates(text, head)
    zh = next((c for c in cands if c.lang == "zh" and c.score > 0), None)
    en = next((c for c in cands if c.lang == "en" and c.score > 0), None)
    legal: _Candidate | None = zh
    english: _Candidate | None = None
    if zh and en:
        if _linked(en, zh):
            english = en
        elif en.score > zh.score:
            legal, english = en, en
    elif en:
        legal, english = en, en
    code = find_credit_code(head) or find_credit_code(text)
    if legal is None and code is None:
        return None
    legal_name = legal.name if legal else None
    english_name = english.name if english else None
    shorts = _declared_short_names(head, legal_name, english_name)
    for name in (legal_name, english_name):
        if name:
            shorts.extend((short_name(name), *short_names(name)))
    if legal is not None:
        line_start, line_end = _line_at(text, legal.best_start)
        evidence = text[line_start:line_end].strip()
    else:
        assert code is not None
        line_start, line_end = _line_at(text, code[1])
        evidence = text[line_start:line_end].strip()
    return CompanyMention(
        legal_name=legal_name,
        english_name=english_name,
        credit_code=code[0] if code else None,
        short_names=dedupe(shorts),
        confidence=_confidence(legal, code is not None),
        evidence=evidence[:200],
    )


def _confidence(legal: _Candidate | None, has_code: bool) -> float:
    if legal is None:
        return 0.3
    score = 0.5
    score += 0.2 if legal.labelled else 0.0
    score += 0.1 if legal.in_title else 0.0
    score += 0.05 if legal.head_count >= 2 else 0.0
    score += 0.05 if legal.declared else 0.0
    score += 0.15 if has_code else 0.0
    return round(min(score, 0.99), 2)
