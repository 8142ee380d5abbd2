"""The companies a question names, known to the store or not (:func:`question_mentions`), and whether a name
is distinctive enough to stand for one company (:func:`distinctive`).

A question about a company nobody ingested must be refused as such ("no documents of 星海生物"), never
answered from a stored company that merely shares a word with it (生物, 科技, Technology, Photonics): those
words name an industry, not a company. What counts as a name here:

- a legal name anywhere (``星海生物科技有限公司``, ``Zentrix Photonics Inc.``: the document detector's own
  :func:`~assistant.ingest.companies.occurrences.name_occurrences`);
- a Chinese short name in subject position — the question starts with it (after 请问/关于 …) and it ends in
  an industry or generic word with a distinctive part before it (``星海生物2023年…``, ``请问星海生物的…``);
- an English name of capitalised words that ends in an industry word (``Zentrix Photonics``), or a
  capitalised name in the possessive (``Zentrix's revenue``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.companies.lexicon import (
    EN_CITY_PREFIXES,
    EN_INDUSTRY,
    EN_SUFFIX_END_RE,
    ZH_GENERIC,
    ZH_INDUSTRY,
    ZH_ORG_SUFFIX_RE,
    word_list,
)
from assistant.ingest.companies.names import strip_place, strip_tail
from assistant.ingest.companies.occurrences import name_occurrences
from assistant.text.cjk import HAN, has_han, to_simplified

_ZH_WORDS = ZH_GENERIC + ZH_INDUSTRY
_ZH_LEADIN = re.compile(r"^(?:请问|请|关于|对于|那么|那|如果|假如|你好|您好)[，,、\s]*")
# the subject's end: a particle, a verb of the question, a digit (a year), punctuation
_ZH_SUBJECT = re.compile(
    rf"^[{HAN}]{{2,12}}?(?=的|公司|集团|股份|在|于|是|有|呢|近|过去|去年|今年|\d|[，,。？?：:\s（(]|$)"
)
# kinds of companies a question may name that are no company's name (a qualification, a type of firm)
_ZH_NOT_NAMES = word_list(
    "科技型中小企业 高新技术企业 中小企业 专精特新 小巨人 民营企业 国有企业 上市公司 拟上市公司 科创企业 独角兽企业 "
    "瞪羚企业 龙头企业 初创企业 创业企业 外资企业 合资企业 集团公司 子公司 母公司 控股公司 参股公司 关联公司"
)
_EN_SUFFIX_WORDS = frozenset(
    word_list("inc incorporated ltd limited llc corp corporation co company plc gmbh ag group holdings")
)
_EN_NOT_NAMES = frozenset(
    word_list(
        "what which who whom whose how when where why does do did is are was were will would can could should "
        "has have had the a an its it this that these those there their our in on for of and or if please tell "
        "list compare give show company group bank fy q1 q2 q3 q4 ceo cfo cto rmb usd cny"
    )
)
_EN_CAPS = re.compile(r"\b[A-Z][A-Za-z0-9&'’.\-]*(?:\s+[A-Z][A-Za-z0-9&'’.\-]*){0,4}")
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")  # "Zentrix's", "Zentrix Photonics'"


@dataclass(frozen=True)
class NameMention:
    """A company name as a question writes it, with its place in the question."""

    text: str
    start: int
    end: int


def _zh_distinctive(name: str) -> bool:
    core = strip_place(name)
    while (shorter := strip_tail(core, _ZH_WORDS)) is not None:
        core = shorter
    return len(core) >= 2 and core not in _ZH_WORDS


def _en_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9&]+", name.lower()) if w]


def distinctive(name: str) -> bool:
    """Whether ``name`` can stand for one company: more than places, industry and generic words
    (``栖云智算``, ``Brightfold``: yes; ``生物``, ``科技股份``, ``Photonics``, ``Technology Group``: no)."""
    if has_han(name):
        return _zh_distinctive(name)
    rest = [
        w
        for w in _en_words(name)
        if w not in EN_INDUSTRY and w not in _EN_SUFFIX_WORDS and w not in EN_CITY_PREFIXES
    ]
    return any(len(w) >= 2 for w in rest)


def _zh_subject(question: str) -> NameMention | None:
    lead = _ZH_LEADIN.match(question)
    start = lead.end() if lead else 0
    m = _ZH_SUBJECT.match(question[start:])
    if not m:
        return None
    run = m.group(0)
    # the longest head of the run that ends in an industry or generic word and is distinctive
    for end in range(len(run), 1, -1):
        head = run[:end]
        if any(w in head for w in _ZH_NOT_NAMES) or "型" in head:
            return None  # 科技型中小企业, 高新技术企业: a kind of company, not one
        if any(head.endswith(w) for w in _ZH_WORDS) and _zh_distinctive(head):
            return NameMention(head, start, start + end)
    return None


def _en_names(question: str) -> list[NameMention]:
    found: list[NameMention] = []
    for m in _EN_CAPS.finditer(question):
        words = m.group(0).split()
        while words and words[0].lower().strip("'’") in _EN_NOT_NAMES:  # "What", "Does", "The" …
            words = words[1:]
        if not words:
            continue
        text = " ".join(words)
        start = m.start() + m.group(0).index(words[0])
        last = _POSSESSIVE.sub("", words[-1]).lower().strip(".,")
        possessive = bool(_POSSESSIVE.search(words[-1]))
        if last in EN_INDUSTRY or possessive:
            name = _POSSESSIVE.sub("", text).rstrip(".,")
            if (
                name.lower() not in _EN_NOT_NAMES
                and distinctive(name)
                and not re.fullmatch(r"FY\s?\d+", name)
            ):
                found.append(NameMention(name, start, start + len(name)))
    return found


def _legal_parts(name: str) -> tuple[str, str]:
    """(place, core) of a legal name: 杭州栖云智算科技股份有限公司 → (杭州, 栖云智算科技); Hangzhou Qiyun
    Computing Co., Ltd. → (hangzhou, qiyun computing)."""
    if has_han(name):
        body = ZH_ORG_SUFFIX_RE.sub("", re.sub(r"[（(][^）)]*[）)]", "", to_simplified(name.strip())))
        core = strip_place(body)
        return body[: len(body) - len(core)], core
    words = _en_words(EN_SUFFIX_END_RE.sub("", name.strip()).strip(" ,"))
    place = [w for w in words[:1] if w in EN_CITY_PREFIXES]
    return " ".join(place), " ".join(words[len(place) :])


def _reduces_to(longer: str, shorter: str) -> bool:
    """``longer`` is ``shorter`` followed only by industry and generic words (栖云智算科技 → 栖云智算 → 栖云;
    brightfold robotics → brightfold)."""
    if has_han(longer):
        while longer != shorter:
            cut = strip_tail(longer, _ZH_WORDS)
            if cut is None:
                return False
            longer = cut
        return True
    long_words, short_words = longer.split(), shorter.split()
    return long_words[: len(short_words)] == short_words and all(
        w in EN_INDUSTRY or w in _EN_SUFFIX_WORDS for w in long_words[len(short_words) :]
    )


def same_legal_entity(a: str, b: str) -> bool:
    """Whether two legal names can be one company: the same distinctive name, one perhaps with more industry
    or generic words (栖云智算有限公司 and 杭州栖云智算科技股份有限公司), and no two different places
    (深圳栖云智算科技有限公司 is not 杭州栖云智算科技股份有限公司; 深圳栖云数据科技有限公司 neither)."""
    (place_a, core_a), (place_b, core_b) = _legal_parts(a), _legal_parts(b)
    if place_a and place_b and place_a != place_b:
        return False
    if len(core_a) < len(core_b):
        core_a, core_b = core_b, core_a
    return bool(core_b) and _reduces_to(core_a, core_b)


def legal_name(name: str) -> bool:
    """Whether ``name`` is written with a legal form (有限公司, Inc., Co., Ltd. …)."""
    return bool(ZH_ORG_SUFFIX_RE.search(name) or EN_SUFFIX_END_RE.search(name))


_ROLES = frozenset(word_list("ceo cfo cto coo chairman chairwoman founder president director auditor"))


def _lead_word(word: str) -> bool:
    """A word of the question before a name: lower case (of, the), a question word, or a role (CEO of …)."""
    low = word.lower()
    return low in _ROLES or (low in _EN_NOT_NAMES and (word.islower() or low in _QUESTION_WORDS))


_QUESTION_WORDS = frozenset(
    word_list("what which who whom whose how when where why does do did is are was were the")
)


def _trimmed(mention: NameMention) -> NameMention:
    """An English legal name without the question's words before it ("CEO of Tessavolta Energy Ltd." →
    "Tessavolta Energy Ltd.")."""
    if has_han(mention.text):
        return mention
    text, start = mention.text, mention.start
    while (m := re.match(r"(\S+)\s+", text)) and _lead_word(m.group(1).strip("'’,")):
        text, start = text[m.end() :], start + m.end()
    return NameMention(text, start, mention.end)


def question_mentions(question: str) -> list[NameMention]:
    """The company names ``question`` gives (legal names, a Chinese short name in subject position, English
    names ending in an industry word or in the possessive), in order, overlaps dropped (longest kept)."""
    found = [_trimmed(NameMention(n, s, e)) for n, _, s, e in name_occurrences(question)]
    subject = _zh_subject(question)
    if subject:
        found.append(subject)
    found += _en_names(question)
    found.sort(key=lambda m: (-(m.end - m.start), m.start))
    kept: list[NameMention] = []
    for m in found:
        if not any(m.start < k.end and k.start < m.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


__all__ = [
    "NameMention",
    "distinctive",
    "legal_name",
    "question_mentions",
    "same_legal_entity",
]
