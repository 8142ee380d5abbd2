"""The home of the analysed question: ``Query``, built once per ``ask`` and handed to every later step.

Retrieval, calculation, verification and the extractive fallback all need the same readings of the question
(its language, its jieba tokens, the years it names, the company it is about). They read them from the
``Query`` instead of analysing the text again: one ``ask`` tokenises its question once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.glossary import expand
from assistant.core.errors import InputError
from assistant.store.keywords import tokenize
from assistant.text.cjk import HAN
from assistant.text.normalize import index_text

CJK = re.compile(r"[" + HAN + r"]")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
POLAR = re.compile(
    r"^\s*(?:does|do|did|is|are|was|were|has|have|had|can|will)\b|是否|有没有|是不是|能否|吗\s*[？?]?\s*$",
    re.I,
)
POSITIVE = re.compile(r"positive|为正|正的|大于零|盈利", re.I)
NEGATIVE = re.compile(r"negative|为负|负的|小于零|亏损", re.I)
_FILE_NAME = re.compile(r"[\w\-.（）()]+\.(?:pdf|docx?|md|txt|html?|xlsx?|csv)\b", re.I)


def named_years(text: str) -> list[str]:
    """Four-digit years a text names, in order, each once; a year inside a file name it names
    ("annual_report_2024.pdf") is the file's, not one asked about."""
    return list(dict.fromkeys(YEAR.findall(_FILE_NAME.sub(" ", text))))


# Question words that say nothing of what is asked about (jieba search tokens of "是多少", "哪一年" …).
GENERIC_TERMS = frozenset(
    {"多少", "是多", "少项", "哪一", "一年", "什么", "是什", "哪家", "家机", "机构", "多大", "今年", "目前", "是否",
     "哪天", "哪一天", "much", "many", "large", "big", "company", "amount", "total", "year"}
)  # fmt: skip
_EN_PART = re.compile(r"\?\s*|,?\s+and\s+(?=(?:who|what|when|where|which|how|in which|whether)\b)", re.I)
_ZH_PART = re.compile(r"[？?]\s*")


def asks_yes_no(text: str) -> bool:
    """Whether a question asks yes or no ("Did it report …?", "是否仍在有效期内？"); a question of alternatives
    ("positive or negative?", "A还是B？") asks which, not whether."""
    return bool(POLAR.search(text)) and not asks_which_sign(text) and "还是" not in text


def asks_which_sign(text: str) -> bool:
    """ "Was it positive or negative?" asks which (the figure with its sign answers it), not whether."""
    return bool(POSITIVE.search(text) and NEGATIVE.search(text))


def language(text: str) -> str:
    """zh when the text has a Chinese character, en otherwise."""
    return "zh" if CJK.search(text) else "en"


def question_parts(question: str) -> list[str]:
    """The separate things a question asks ("When was Corvane set up, and who are its founders?" →
    two parts; "A轮融资金额是多少？由谁领投？" → two parts)."""
    splitter = _ZH_PART if CJK.search(question) else _EN_PART
    return [p.strip(" ,，。") for p in splitter.split(question) if len(p.strip(" ,，。")) > 2]


def checked_question(question: str | None, max_chars: int) -> str:
    """The question without surrounding spaces; an empty or over-long one is an ``InputError``."""
    question = (question or "").strip()
    if not question or not re.search(r"\w", question):
        raise InputError("the question is empty")
    if len(question) > max_chars:
        raise InputError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    return question


class Query(BaseModel):
    """A question as analysed once: what every step after company resolution reads instead of the text."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="The question as answered (a follow-up rewritten to stand alone).")
    simplified: str = Field(description="The text in Simplified Chinese (its keyword-index form).")
    language: str = Field(description="zh or en: the language of the answer and of its prompts.")
    tokens: tuple[str, ...] = Field(description="Keyword search tokens of the text, in order, repeats kept.")
    years: tuple[str, ...] = Field(description="Four-digit years the text names, in order, each once.")
    company: str | None = Field(None, description="The company asked about (None: all companies).")
    candidates: tuple[str, ...] = Field((), description="Companies the question or the session names.")
    company_tokens: frozenset[str] = Field(frozenset(), description="Search tokens of the company's name.")
    expansions: str = Field("", description="Statement words the glossary adds for the keyword search.")
    expansion_tokens: tuple[str, ...] = Field((), description="Search tokens of ``expansions``.")
    parts: tuple[str, ...] = Field((), description="The separate things the question asks.")
    yes_no: bool = Field(False, description="Whether it asks yes or no (``asks_yes_no``).")

    @classmethod
    def parse(cls, text: str, company: str | None = None, candidates: Iterable[str] = ()) -> Query:
        """Analyse ``text`` (the only place a question is tokenised) about ``company``."""
        expansions = expand(text)
        return cls(
            text=text,
            simplified=index_text(text),
            language=language(text),
            tokens=tuple(tokenize(text)),
            years=tuple(named_years(text)),
            company=company,
            candidates=tuple(candidates),
            company_tokens=frozenset(tokenize(company or "")),
            expansions=expansions,
            expansion_tokens=tuple(tokenize(expansions)) if expansions else (),
            parts=tuple(question_parts(text)),
            yes_no=asks_yes_no(text),
        )

    def key_terms(self, *, keep_company: bool = False, min_len: int = 1) -> set[str]:
        """The tokens that say what is asked: not generic question words, not (unless ``keep_company``) the
        company's own name, at least ``min_len`` characters long."""
        drop = GENERIC_TERMS if keep_company else GENERIC_TERMS | self.company_tokens
        return {t for t in self.tokens if t not in drop and len(t) >= min_len}
