"""The home of verification: a model's text is checked against the passages (or facts) it was given, and
one path — verify → retry with a stricter prompt naming the problem → fallback written without the
model — is shared by answers (fallback: an extractive quote) and profile summaries (fallback: a template).

An answer passes when it does not follow an instruction found in a passage, cites passages that hold its
figures (missing or wrong ``[n]`` are repaired from the passages that hold them; a calculation on cited
figures counts), says mostly what the cited passages say, gives a figure of the kind asked with the
passage's unit, for the year asked, and not a neighbour of the figure the question names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Literal

from assistant.answer.calculate import wrong_year_figures
from assistant.answer.citations import cited_numbers, parse_citations, says_not_found, strip_citations
from assistant.answer.claims import attribute_claims, claim_terms, unsupported_words
from assistant.answer.figure_checks import (
    added_years,
    asks_figure,
    better_figure_nearby,
    computed_figures,
    digits,
    dropped_signs,
    gives_figure,
    off_topic_numbers,
    unit_mismatches,
    unstated_ages,
    unsupported_numbers,
    without_figures,
    wrong_kind_of_figure,
)
from assistant.answer.instructions import injected_claim
from assistant.answer.pasteable import (
    cite_sentences,
    instruction_lines,
    markers_at_sentence_end,
    without_echo,
)
from assistant.answer.query import CJK, Query
from assistant.answer.roles import answer_names, unstated_role
from assistant.core.records import Evidence


@dataclass
class Draft:
    """A model's text after verification: the text and the 1-based passages it cites, or why it failed."""

    text: str = ""
    cited: list[int] = field(default_factory=list)
    problem: str = ""  # empty when the text passed
    declined: bool = False  # the model said the passages do not answer the question


class Retry:
    """What the path yields before a new attempt: the text written so far is discarded."""


RETRY = Retry()


@dataclass
class Checked:
    """Where the verify → retry → fallback path ended."""

    draft: Draft  # the passing (or declined) draft, or the fallback's
    attempts: int  # the model's attempts
    problems: list[str]  # why each failed attempt failed
    path: Literal["verified", "declined", "fallback"]


def verify_retry_fallback(
    write: Callable[[str], Iterable[str]],
    check: Callable[[str], Draft],
    fallback: Callable[[], Draft],
    attempts: int = 2,
    out_of_time: Callable[[], bool] = lambda: False,
) -> Generator[str | Retry, None, Checked]:
    """Yield the model's text as ``write(problem)`` streams it (problem "" on the first attempt, then the
    problem of the last one, for the stricter prompt), and ``RETRY`` before each new attempt; return where
    it ended. A draft ``check`` passes ends it; a declined one ends it with no retry and no fallback; after
    ``attempts`` failures — or once ``out_of_time()``, without starting another attempt — ``fallback()`` gives the
    text written without the model (or a Draft with a problem)."""
    problems: list[str] = []
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            if out_of_time():
                return Checked(fallback(), attempt - 1, problems, "fallback")
            yield RETRY
        pieces: list[str] = []
        for piece in write(problems[-1] if problems else ""):
            pieces.append(piece)
            yield piece
        draft = check("".join(pieces).strip())
        if not draft.problem:
            return Checked(draft, attempt, problems, "verified")
        problems.append(draft.problem)
        if draft.declined:
            return Checked(draft, attempt, problems, "declined")
    return Checked(fallback(), attempts, problems, "fallback")


def run_path(steps: Generator[str | Retry, None, Checked]) -> Checked:
    """Run the path without streaming: where it ended."""
    while True:
        try:
            next(steps)
        except StopIteration as end:
            checked: Checked = end.value
            return checked


_PART_MARK = re.compile(r"(?:^|(?<=\s)|(?<=[。；;]))[1-9][.、)）]\s*(?=\D)")


def join_parts(raw: str) -> str:
    """An answer written as a numbered list of the question's parts, as one line ("1. 2013 2. Harry Zhang"
    → "2013; Harry Zhang"): the list numbers are not figures to verify."""
    pieces = [p.strip(" \n;；") for p in _PART_MARK.split(raw)]
    pieces = [p for p in pieces if p]
    if len(pieces) < 2:
        return raw
    return ("；" if CJK.search(raw) else "; ").join(p.rstrip("。.") for p in pieces)


def verify(
    raw: str,
    query: Query,
    passages: list[Evidence],
    unmasked: list[str] | None = None,
    prompt_text: str = "",
) -> Draft:
    """Check a model's answer to ``query`` against the passages it was given (see the module's rules).
    ``unmasked``: the passages' texts before ``mask_instructions``, to recognise an answer that follows one
    of their instructions (default: the texts of ``passages``). ``prompt_text``: the prompt's rules, which an
    answer never repeats (nor the question's own instructions)."""
    text, _ = parse_citations(join_parts(raw), len(passages))
    text = markers_at_sentence_end(without_echo(text, instruction_lines(query.text, prompt_text)))
    text = _with_verdict(text, raw) if query.yes_no else text
    cited = cited_numbers(text)
    if says_not_found(raw) or not text:
        return Draft(declined=True, problem="the model found no answer in the passages")
    everything = [ev.chunk.text for ev in passages]
    injected = injected_claim(text, query.tokens, unmasked if unmasked is not None else everything)
    if injected:
        return Draft(problem=injected)
    if not cited or unsupported_numbers(text, [everything[n - 1] for n in cited]):
        repaired = _repaired_citations(text, cited, query, everything)
        if isinstance(repaired, str):
            return Draft(problem=repaired)
        cited = repaired
        text = cite_sentences(text, cited, everything)
    problem = _figure_problem(text, query, [everything[n - 1] for n in cited], everything)
    if not problem and not query.yes_no and asks_figure(query.text) and not gives_figure(text):
        problem = "the question asks for a figure and the answer gives none"
    if not problem and query.yes_no and not claim_terms(text, {*query.tokens, *_VERDICT_WORDS}):
        problem = "it restates the question: a yes or no needs the fact of a passage that decides it"
    if not problem and query.yes_no and not _VERDICT.match(strip_citations(text)):
        problem = "the question asks yes or no: begin with Yes or No, then the fact that decides it"
    if problem:
        return Draft(problem=problem)
    sources = [everything[n - 1] for n in cited]
    unstated = unstated_role(query.text, answer_names(strip_citations(text), sources, query.company), sources)
    if unstated:
        return Draft(problem=unstated)
    return _on_topic(text, cited, query, everything)


_VERDICT = re.compile(r"\s*(?:(?:yes|no)\b|是|否|不是|没有|有|对|不)", re.I)  # how a yes/no answer begins
_VERDICT_WORDS = ("yes", "no", "not", "是的", "不是", "没有")  # a verdict asserts no fact of its own


def _with_verdict(text: str, raw: str) -> str:
    """The answer with the yes or no the model began with, when the sentence holding it was dropped as an echo
    of the question ("Yes, AMD reported customer concentration in FY22." before the fact that decides it)."""
    said = _VERDICT.match(strip_citations(raw))
    if not text or said is None or _VERDICT.match(strip_citations(text)):
        return text
    word = said.group(0).strip()
    return word.capitalize() + ("。" if CJK.search(word) else ". ") + text


def _repaired_citations(text: str, cited: list[int], query: Query, everything: list[str]) -> list[int] | str:
    """Missing or wrong [n]: the given passages that contain what the answer asserts — or, for a
    calculation on cited figures, the passages of its operands; else why there are none."""
    repaired = attribute_claims(text, query.tokens, everything)
    if repaired:
        return repaired
    bad = unsupported_numbers(text, everything)
    computed = computed_figures(bad, query, everything)
    if not bad or any(b not in computed for b in bad):
        if bad and (added := added_years(text, everything)):
            return (
                f"the year {', '.join(added)} is in no passage: give the date as the passage prints it, "
                "without a year it does not state"
            )
        return (
            f"the figures {', '.join(bad)} are in no passage"
            if bad
            else "it cites no passage that supports it"
        )
    held = [n for n in cited if not unsupported_numbers(without_figures(text, bad), [everything[n - 1]])]
    return sorted(set(held) | set().union(*computed.values()))


def _figure_problem(text: str, query: Query, sources: list[str], everything: list[str]) -> str:
    """Why the answer's words or figures are not what the cited ``sources`` say for the question ("" if none)."""
    unsupported = unsupported_words(text, query.tokens, sources)
    if unsupported:
        return f"no cited passage says {', '.join(unsupported)}"
    ages = unstated_ages(text, query.text, everything)
    if ages:
        return f"no passage states the age {', '.join(ages)}"
    if wrong_kind_of_figure(text, query.text):
        return "the question asks for an age, a ratio or a date and the answer gives another kind of figure"
    mismatched = unit_mismatches(text, sources)
    if mismatched:
        return f"{', '.join(mismatched)}: the passage gives this figure with another unit"
    other_year = wrong_year_figures(sorted(digits(strip_citations(text))), query, sources)
    if other_year:
        return f"{', '.join(other_year)}: the table gives this figure for another year than the question asks"
    unsigned = dropped_signs(text, sources)
    if unsigned:
        return (
            f"{', '.join(unsigned)}: the passage prints this figure as negative and the answer drops its sign"
        )
    nearby = better_figure_nearby(text, query, everything)  # all: a chunk may end mid-sentence
    if nearby:
        return f"{', '.join(nearby)}: the passage labels another figure as what the question asks"
    return ""


def _on_topic(text: str, cited: list[int], query: Query, everything: list[str]) -> Draft:
    """The answer, citing a passage whose line about the question holds its figures. A cited passage may
    have the figure only in an unrelated line ("Y Combinator Year: 2013"): then the given passage whose
    line about the question holds it ("Year Founded: 2013") is cited too, or the answer fails."""
    numbers = digits(strip_citations(text))
    off_topic = off_topic_numbers(text, query, [everything[n - 1] for n in cited])
    if not numbers or len(off_topic) != len(numbers):
        return Draft(text=text, cited=cited)
    better = [
        n for n, passage in enumerate(everything, start=1)
        if n not in cited and len(off_topic_numbers(text, query, [passage])) < len(numbers)
        and not unsupported_numbers(" ".join(off_topic), [passage])
    ]  # fmt: skip
    if not better:
        return Draft(problem="every figure comes from a line unrelated to the question")
    cited = sorted(set(cited) | {better[0]})
    return Draft(text=cite_sentences(text, cited, everything), cited=cited)


# What failed, as a refusal may say it: the category of a problem, never its content (a problem quotes the
# model's invented figures or an instruction's words).
_FAILURES: list[tuple[str, str, str]] = [  # (a phrase of the problem, Chinese, English)
    (
        "restates the question",
        "回答只重复了问题，没有写出据以判断的事实",
        "it restates the question without the fact that decides it",
    ),
    ("instruction", "回答照做了文档中的指令", "it follows an instruction found in a document"),
    ("as a fact", "回答断言了没有段落陈述的事实", "it asserts what no passage states"),
    ("another unit", "数字的单位与原文不同", "a figure's unit differs from the passage"),
    ("another year", "数字来自其他年度的列", "a figure is from another year's column"),
    ("drops its sign", "回答丢掉了原文数字的负号", "it drops the minus sign the passage prints"),
    ("labels another figure", "原文标注的是另一个数字", "the passage labels another figure as the one asked"),
    ("another kind of figure", "给出的数字类型与所问不同", "it gives another kind of figure than asked"),
    ("states the age", "没有段落写明这个年龄", "no passage states that age"),
    ("unrelated", "数字来自与问题无关的行", "its figures come from lines unrelated to the question"),
    ("no passage", "数字不在引用的段落中", "its figures are not in the cited passages"),
    ("no cited passage", "数字不在引用的段落中", "its figures are not in the cited passages"),
]


def failure_kind(problem: str, lang: str) -> str:
    """The kind of a verification problem in ``lang`` ("" when it is none of the known kinds)."""
    for phrase, zh, en in _FAILURES:
        if phrase in problem:
            return zh if lang == "zh" else en
    return ""
