"""The lenient scorer: the rules ``assistant eval`` used before the strict scorer (kept unchanged, so reports can
show both figures side by side). Numbers match within the rounding of the *less* precise side with sign and
percent ignored; yes/no reads any leading negation as a "No"; text gold is split at every comma and matched
as flattened substrings; a long evidence string counts on any ``LONG_EVIDENCE`` characters of overlap."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from assistant.text.figures import Quantity, quantities, same
from assistant.text.normalize import to_simplified

LONG_EVIDENCE = 50
_SCALE_WORDS = {
    "thousand": 1e3,
    "thousands": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "万": 1e4,
    "万元": 1e4,
    "亿": 1e8,
    "亿元": 1e8,
}
_STOP = {
    "the",
    "and",
    "of",
    "in",
    "a",
    "an",
    "to",
    "for",
    "is",
    "was",
    "its",
    "by",
    "with",
    "on",
    "as",
    "at",
    "or",
    "from",
    "that",
}


def flat(text: str) -> str:
    """Text as evidence is compared: NFKC, Simplified, case-folded, without white space, table bars or ``$``."""
    text = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"[\s|]+|-{3,}|\$", "", text)


def evidence_hit(passage: str, evidence: str) -> bool:
    """Whether a passage overlaps a gold evidence string (any ``LONG_EVIDENCE`` characters of a long one)."""
    e, p = flat(evidence), flat(passage)
    if not e:
        return False
    if len(e) <= LONG_EVIDENCE:
        return e in p
    match = SequenceMatcher(None, e, p, autojunk=False).find_longest_match(0, len(e), 0, len(p))
    return match.size >= LONG_EVIDENCE


def strip_citations(answer: str) -> str:
    """The answer without its citation markers ("[1]", "[1, 2]", "【3】")."""
    return re.sub(r"[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】]", "", answer)


def _gold_figures(gold: str, scale: str | None) -> list[tuple[Quantity, ...]]:
    """Each gold figure with its alternatives (as written, and times the question's scale)."""
    factor = _SCALE_WORDS.get((scale or "").strip().casefold(), 1.0)
    figures = quantities(gold)
    if len(figures) > 1:  # "20% (FY2021)": years label the figures, they are not the answer
        figures = [q for q in figures if not re.fullmatch(r"(?:19|20)\d\d", q.raw)] or figures
    out = []
    for q in figures:
        alternatives = [q]
        if factor != 1.0 and q.tolerance * factor > q.tolerance:
            alternatives.append(Quantity(q.value * factor, q.tolerance * factor, q.percent, q.raw, q.digits))
        out.append(tuple(alternatives))
    return out


def number_correct(answer: str, gold: str, scale: str | None = None) -> bool:
    """Every figure of the gold answer is a figure of the answer (unit-normalised, within rounding)."""
    wanted = _gold_figures(gold, scale)
    given = quantities(strip_citations(answer))
    if not wanted:
        return False
    return all(any(same(g, a) for g in alternatives for a in given) for alternatives in wanted)


_YES = re.compile(r"^(?:yes|yeah|correct|true|是|对|符合|有|属于|满足)", re.I)
_NO = re.compile(r"^(?:no|not|false|否|不|没有|无|未)", re.I)


def yes_no(text: str) -> str | None:
    lead = re.sub(r"^[\s“\"'「『（(]+", "", text.strip())
    if _NO.match(lead) and not lead.lower().startswith("not in the documents"):
        return "no"
    if _YES.match(lead):
        return "yes"
    return None


def key_words(text: str) -> set[str]:
    """The search tokens of a text that can carry a fact: no stop words, digits or single Latin letters."""
    from assistant.store.keywords import tokenize

    return {
        t for t in tokenize(text) if t not in _STOP and (len(t) > 1 or not t.isascii()) and not t.isdigit()
    }


def fact_found(fact: str, answer: str, question: str = "") -> bool:
    if flat(fact) and flat(fact) in flat(answer):
        return True
    figures = _gold_figures(fact, None)
    given = quantities(strip_citations(answer))
    if figures and not all(any(same(g, a) for g in alts for a in given) for alts in figures):
        return False
    words = key_words(fact) - key_words(question)  # a word the question already says is not a fact ("成立")
    if not words:
        return bool(figures) or bool(key_words(fact))
    found = key_words(answer) | {w for w in words if w in flat(answer)}
    return len(words & found) >= 0.6 * len(words)


def text_correct(answer: str, gold: str, question: str = "") -> bool:
    """Most key facts of the gold answer appear in the answer (see the module's rule)."""
    parts = [p.strip() for p in re.split(r"[;；、，,]|\band\b|和|及", gold) if p and p.strip(" .。")]
    if not parts:
        return False
    found = sum(1 for p in parts if fact_found(p, answer, question))
    return found == len(parts) if len(parts) <= 2 else found >= 2 * len(parts) / 3
