"""Whether an answer is right: figures within rounding and units, yes/no, key facts of a text answer, refusals,
and whether a passage holds a gold evidence string (the conventions are in the package's docstring)."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from assistant.evaluate.questions import EvalQuestion
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


def _flat(text: str) -> str:
    text = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    return re.sub(r"[\s|]+|-{3,}|\$", "", text)


def evidence_hit(passage: str, evidence: str) -> bool:
    """Whether a passage overlaps a gold evidence string (see the module's rule)."""
    e, p = _flat(evidence), _flat(passage)
    if not e:
        return False
    if len(e) <= LONG_EVIDENCE:
        return e in p
    match = SequenceMatcher(None, e, p, autojunk=False).find_longest_match(0, len(e), 0, len(p))
    return match.size >= LONG_EVIDENCE


def _body(answer: str) -> str:
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
    given = quantities(_body(answer))
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


def _words(text: str) -> set[str]:
    from assistant.store.keywords import tokenize

    return {
        t for t in tokenize(text) if t not in _STOP and (len(t) > 1 or not t.isascii()) and not t.isdigit()
    }


def fact_found(fact: str, answer: str, question: str = "") -> bool:
    if _flat(fact) and _flat(fact) in _flat(answer):
        return True
    figures = _gold_figures(fact, None)
    given = quantities(_body(answer))
    if figures and not all(any(same(g, a) for g in alts for a in given) for alts in figures):
        return False
    words = _words(fact) - _words(question)  # a word the question already says is not a fact ("成立")
    if not words:
        return bool(figures) or bool(_words(fact))
    found = _words(answer) | {w for w in words if w in _flat(answer)}
    return len(words & found) >= 0.6 * len(words)


def text_correct(answer: str, gold: str, question: str = "") -> bool:
    """Most key facts of the gold answer appear in the answer (see the module's rule)."""
    parts = [p.strip() for p in re.split(r"[;；、，,]|\band\b|和|及", gold) if p and p.strip(" .。")]
    if not parts:
        return False
    found = sum(1 for p in parts if fact_found(p, answer, question))
    return found == len(parts) if len(parts) <= 2 else found >= 2 * len(parts) / 3


# years as a refusal names them ("2019年度", "fiscal 2019", "2021–2023"): no value of an answer
_YEARS_NAMED = re.compile(
    r"(?:FY\s?|fiscal\s+)?(?<!\d)(?:19|20)\d{2}(?!\d)(?:\s*[–-]\s*(?:19|20)\d{2})?(?:年度?)?", re.I
)


# refusal reasons that all say "the documents do not state it"
_NOT_STATED = {"not_stated", "model_declined", "verification_failed"}


def _right_reason(expected: str | None, got: str | None) -> bool:
    if expected is None:
        return True
    return got in _NOT_STATED if expected == "not_stated" else got == expected


def answer_correct(question: EvalQuestion, text: str, refused: bool, reason: str | None = None) -> bool:
    """Whether an answer is right; a refusal must give no value and, when the question names the reason it
    must be refused for, that reason."""
    if question.refusal:  # refused, and no value given (the years a refusal names are no value)
        said = _YEARS_NAMED.sub("", _body(text).split("（已检索")[0].split("(searched")[0])
        return refused and not quantities(said) and _right_reason(question.reason, reason)
    if refused:
        return False
    if question.answer_type == "number":
        return number_correct(text, question.gold, question.scale)
    if question.answer_type == "yes_no":
        want = yes_no(question.answer)
        return want is not None and yes_no(text) == want
    return text_correct(text, question.gold, question.question)
