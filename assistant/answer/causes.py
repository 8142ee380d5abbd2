"""The home of why-questions answered in the report's own words ("What drove revenue change in FY22?",
"2019年营业收入增长的原因是什么？").

Reports state why a figure moved in a sentence of their own: "The increase in net revenue was driven by …",
"营业收入较上年增长…，主要系…所致". That sentence, quoted verbatim with its citation, is the answer: a
paraphrase can only drop a cause or add one. The sentence chosen explains the item the question asks about
(its words, or the statement words the glossary gives for it, come before the cue "driven by"/"主要系"),
and says that it moved; the item said with the fewest other words wins ("net revenue" over "Data Center
segment net revenue" for a question about revenue). No such sentence in the passages: None, and the
question goes to the model.
"""

from __future__ import annotations

import re

from assistant.answer.claims import ANSWER_WORDS
from assistant.answer.figure_checks import asks_why
from assistant.answer.instructions import MASKED, instruction_like
from assistant.answer.query import GENERIC_TERMS, Query
from assistant.core.records import Evidence
from assistant.store.keywords import tokenize

_CUE = re.compile(
    r"\b(?:(?:primarily|mainly|largely|partly|partially)\s+)?"
    r"(?:driven|due to|attributable to|as a result of|result(?:ed|s)? from|because|owing to|caused by)\b"
    r"|主要系|主要是由于|主要是因为|主要由于|主要因|主要原因|系由于|由于|得益于|受益于|源于|是因为",
    re.I,
)
_MOVED = re.compile(
    r"\b(?:increase|decrease|decline|grow|growth|grew|rise|rose|fell|drop|change|higher|lower|improve)\w*"
    r"|增长|增加|减少|下降|上升|变动|变化|提高|降低|增幅|降幅|下滑|提升",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[。！？!?])\s*|(?<=\.)\s+(?=[A-Z])|\n+")
# words of a why-question that name no item ("what drove … change", "…的原因是什么")
_WHY_WORDS = frozenset(
    {"what", "drove", "drive", "drives", "driver", "drivers", "why", "reason", "reasons", "explain", "caused",
     "cause", "change", "changes", "changed", "as", "for", "of", "the", "in", "did", "was", "fy", "原因", "为什么",
     "为何", "驱动", "导致", "主要", "哪些", "什么", "变动", "变化", "增长", "下降", "因素"}
)  # fmt: skip


def _why_part(question: str) -> str:
    """The part of the question that asks why (not an instruction after it)."""
    parts: list[str] = re.findall(r"[^?？]*[?？]", question) or [question]
    return next((p for p in parts if asks_why(p)), parts[0])


def _item_terms(query: Query) -> tuple[set[str], set[str]]:
    """What the question asks the cause of: its own words, and the statement words the glossary gives for
    them ("operating margin": operating income), without the company, years, question words or why-words."""
    drop = _WHY_WORDS | GENERIC_TERMS | query.company_tokens | ANSWER_WORDS

    def kept(words: set[str]) -> set[str]:
        return {w for w in words if w not in drop and not _YEAR_WORD.fullmatch(w) and len(w) > 1}

    own = kept(set(tokenize(_why_part(query.text))))
    return own, kept(set(query.expansion_tokens)) - own


_YEAR_WORD = re.compile(r"\d.*|fy\d+", re.I)  # "2022", "fy22": the period, not the item
_LEAD = re.compile(r"^[^\d$¥￥]*")  # a sentence's words before its first figure: what it is about


def _words(text: str) -> set[str]:
    """A text's search tokens that may name an item: no figures, no words of a movement."""
    return {w for w in tokenize(text) if len(w) > 1 and not w[0].isdigit() and not _MOVED.search(w)}


def _score(sentence: str, item: tuple[set[str], set[str]], before: str = "") -> float | None:
    """How well a sentence states the cause of the item's movement: a point for each of the question's own
    words before the cue, less half a point for each of them missing and for each other word there (the
    glossary's words for the item cost nothing); None when it states no cause of a movement of the item.
    The sentence ``before`` it, when it is about the same item, may narrow it ("Client operating income was
    $1.2 billion. The decrease in operating income was driven by …"): its other words before its first
    figure count against it too."""
    cue = _CUE.search(sentence)
    if cue is None or not _MOVED.search(sentence[: cue.start()] + sentence[cue.end() :]):
        return None
    subject = _words(sentence[: cue.start()])
    own, glossary = item
    named, given = {w for w in subject if w in own}, {w for w in subject if w in glossary}
    if not named and not given:
        return None
    lead = _LEAD.match(before)
    context = _words(lead.group()) if lead else set()
    if not context & (own | glossary):  # the sentence before is about something else
        context = set()
    others = {w for w in subject | context if w not in own | glossary and w not in ANSWER_WORDS}
    return len(named) - 0.5 * len(others) - 0.5 * len(own - named)


def cause_answer(query: Query, passages: list[Evidence]) -> tuple[str, list[int]] | None:
    """For a why-question: the passage sentence that states the cause of the asked item's movement, quoted,
    and its 1-based passage number (of the passages as the model would see them: instructions masked); None
    when the question asks no why or no sentence states a cause."""
    if not asks_why(query.text):
        return None
    item = _item_terms(query)
    if not item[0]:
        return None
    best: tuple[float, int, str] | None = None
    for n, ev in enumerate(passages, start=1):
        sentences = [x.strip() for x in _SENTENCE.split(ev.chunk.text)]
        for k, sentence in enumerate(sentences):
            if len(sentence) < 8 or MASKED in sentence or instruction_like(sentence):
                continue  # never quote an instruction found in a passage
            score = _score(sentence, item, sentences[k - 1] if k else "")
            if score is not None and score > 0 and (best is None or score > best[0]):
                best = (score, n, sentence)
    if best is None:
        return None
    return f"“{best[2]}” [{best[1]}]", [best[1]]
