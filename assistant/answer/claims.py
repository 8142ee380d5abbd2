"""The home of an answer's claims: the numbers and new words it asserts beyond what was asked, which
passages hold them (to repair missing or wrong citations), and the words no passage says.

What was asked is given as its search tokens (``Query.tokens``; a profile summary gives its vocabulary's),
so no check tokenises the question again.
"""

from __future__ import annotations

from collections.abc import Collection

from assistant.answer.citations import PLACEHOLDER, strip_citations
from assistant.answer.figure_checks import digits, unsupported_numbers
from assistant.store.keywords import tokenize
from assistant.text.normalize import index_text

ANSWER_WORDS = frozenset({  # words any answer may use without a passage saying them
    "number", "numbers", "thousand", "thousands", "million", "millions", "billion", "billions", "percent",
    "percentage", "increase", "increased", "increases", "decrease", "decreased", "grew", "growth", "change",
    "changed", "changes", "difference", "total", "approximately", "about", "around", "compared", "rose",
    "fell", "declined", "higher", "lower", "more", "less", "between", "year", "years", "points",
    "增长", "增加", "减少", "下降", "变化", "差额", "相差", "合计", "总计", "万元", "亿元", "百分点", "同比",
    "大约", "约为", "左右", "是的", "不是", "人民币",
    # English function words
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as", "into",
    "during", "through", "went", "go", "goes", "was", "were", "is", "are", "be", "been", "has", "have", "had",
    "it", "its", "their", "they", "this", "that", "these", "those", "which", "who", "whom", "also", "both",
    "company", "company's", "reported", "according", "documents", "document", "passage", "stated", "states",
})  # fmt: skip


def claim_terms(answer: str, asked: Collection[str]) -> set[str]:
    """What an answer asserts beyond the tokens ``asked``: its numbers ("#…") and its new words (names, terms)."""
    body = PLACEHOLDER.sub("", strip_citations(answer))
    words = {
        t
        for t in tokenize(body)
        if not t[0].isdigit() and t not in asked and len(t) > 1 and t not in ANSWER_WORDS
    }
    return {f"#{n}" for n in digits(body)} | words


def holds(passage: str, term: str) -> bool:
    """Whether a passage states a claim term: a number ("#…", after unit normalisation) or a word."""
    if term.startswith("#"):
        return not unsupported_numbers(term[1:], [passage])
    return term in index_text(passage).lower()


def attribute_claims(answer: str, asked: Collection[str], passages: list[str]) -> list[int]:
    """Fewest 1-based passages that together contain the answer's numbers and most of its new words.

    Every number must be found; words are covered as far as any passage has them. [] if the answer
    asserts nothing checkable, or a number is in no passage.
    """
    terms = claim_terms(answer, asked)
    held = {i: {t for t in terms if holds(p, t)} for i, p in enumerate(passages, 1)}
    coverable = set().union(*held.values()) if held else set()
    numbers = {t for t in terms if t.startswith("#")}
    words = terms - numbers
    if not terms or not numbers <= coverable or (words and len(words & coverable) < 0.6 * len(words)):
        return []
    missing = set(coverable)
    chosen: list[int] = []
    while missing:
        best = max(held, key=lambda i: (len(held[i] & missing), -i))
        chosen.append(best)
        missing -= held[best]
    return sorted(chosen)


def unsupported_words(answer: str, asked: Collection[str], passages: list[str]) -> list[str]:
    """The answer's own words (not ``asked``) that no passage has, when they are most of them:
    an answer must report what the passages say, not new claims (one paraphrased word is tolerated)."""
    words = sorted(t for t in claim_terms(answer, asked) if not t.startswith("#") and t not in ANSWER_WORDS)
    missing = [w for w in words if not any(holds(p, w) for p in passages)]
    return missing if len(words) >= 2 and len(missing) > len(words) / 2 else []
