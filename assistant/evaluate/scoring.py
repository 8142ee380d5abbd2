"""Whether an answer is right, and whether a passage holds a gold evidence string: the strict scorer by default,
the lenient one with ``strict=False`` (both are kept so a report can show the two figures side by side; the
rules are in the package's docstring)."""

from __future__ import annotations

import re
import unicodedata

from assistant.evaluate import lenient
from assistant.evaluate import strict as strict_scorer
from assistant.evaluate.questions import EvalQuestion
from assistant.text.figures import quantities
from assistant.text.normalize import to_simplified


def evidence_hit(passage: str, evidence: str, strict: bool = True) -> bool:
    """Whether a passage holds (strict) or overlaps (lenient) a gold evidence string."""
    return (
        strict_scorer.evidence_hit(passage, evidence) if strict else lenient.evidence_hit(passage, evidence)
    )


def number_correct(
    answer: str,
    gold: str,
    scale: str | None = None,
    question: str = "",
    context: str = "",
    strict: bool = True,
) -> bool:
    """Every figure of the gold is a figure of the answer (strict: at the gold's precision, with sign, percent
    and unit, and no hedging; lenient: within the rounding of the less precise side)."""
    if strict:
        return strict_scorer.number_correct(answer, gold, scale, question, context)
    return lenient.number_correct(answer, gold, scale)


def yes_no(text: str, strict: bool = True) -> str | None:
    """The leading yes/no of a text ("yes", "no" or None)."""
    return strict_scorer.yes_no(text) if strict else lenient.yes_no(text)


def fact_found(fact: str, answer: str, question: str = "", strict: bool = True) -> bool:
    """Whether one key fact of a text gold is in the answer."""
    return (
        strict_scorer.fact_found(fact, answer, question)
        if strict
        else lenient.fact_found(fact, answer, question)
    )


def text_correct(answer: str, gold: str, question: str = "", strict: bool = True) -> bool:
    """Whether the key facts of a text gold are in the answer."""
    return (
        strict_scorer.text_correct(answer, gold, question)
        if strict
        else lenient.text_correct(answer, gold, question)
    )


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


def refusal_correct(question: EvalQuestion, text: str, refused: bool, reason: str | None = None) -> bool:
    """A NOT_IN_DOCS question: refused, no value given (the years a refusal names are none) and, when the
    question names the reason it must be refused for, that reason (the same for both scorers)."""
    said = _YEARS_NAMED.sub("", lenient.strip_citations(text).split("（已检索")[0].split("(searched")[0])
    return refused and not quantities(said) and _right_reason(question.reason, reason)


def answer_correct(
    question: EvalQuestion, text: str, refused: bool, reason: str | None = None, strict: bool = True
) -> bool:
    """Whether an answer is right; a refusal must give no value and, when the question names the reason it
    must be refused for, that reason. An answerable question refused is wrong (a refusal is never a "No")."""
    if question.refusal:
        return refusal_correct(question, text, refused, reason)
    if refused:
        return False
    if question.answer_type == "number":
        return number_correct(text, question.gold, question.scale, question.question, question.answer, strict)
    if question.answer_type == "yes_no":
        want = yes_no(question.answer, strict) or yes_no(question.gold, strict)
        return want is not None and yes_no(text, strict) == want
    return text_correct(text, question.gold, question.question, strict)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", to_simplified(unicodedata.normalize("NFKC", text)).casefold())


def company_is_answer(question: EvalQuestion) -> bool:
    """Whether the question's company is (part of) its answer and the question does not name it ("Which ID
    platform raised an angel round?" — "Brightfold"): the strict run then does not hand the company to the
    answerer, which must find it from the question."""
    if not question.company or question.refusal:
        return False
    names = {_norm(n) for n in [question.company, *re.split(r"[（）()]", question.company)]}
    names = {n for n in names if len(n) >= 2}
    gold, asked = _norm(question.gold), _norm(question.question)
    if any(n in asked for n in names):
        return False
    return any(n in gold for n in names) or (len(gold) >= 2 and any(gold in n for n in names))
