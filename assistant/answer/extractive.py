"""The home of the extractive fallback: when the model's answer fails verification twice, the passage
sentences (or table rows) that answer the question are quoted instead, with their citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answer.figure_checks import asked_kinds, asks_figure, digits
from assistant.answer.instructions import MASKED, instruction_like, split_instructions
from assistant.answer.periods import Periods, passage_years
from assistant.answer.query import Query
from assistant.core.records import Evidence
from assistant.store.keywords import tokenize
from assistant.text.headings import is_heading

_LINE = re.compile(r"(?<=[。！？!?；;])\s*|\n+")


def _quotable_lines(text: str) -> list[str]:
    """A passage's sentences and table rows that may be quoted: not rules of a table or section headings
    (they name a topic and state nothing), never an instruction found in the passage (masked or not)."""
    lines = [x.strip() for x in _LINE.split(text)]
    lines = [x for x in lines if len(x) >= 4 and not set(x) <= set("|-: ") and not is_heading(x)]
    _, orders = split_instructions(text)
    return [
        x for x in lines if MASKED not in x and not instruction_like(x) and not any(x in o for o in orders)
    ]


def _best_lines(lines: list[str], key: set[str]) -> tuple[list[str], set[str]]:
    """Up to three lines (in passage order) chosen greedily to cover most of the ``key`` terms, and the
    terms they cover."""
    terms = [key & set(tokenize(x)) for x in lines]
    picked: list[int] = []
    covered: set[str] = set()
    for _ in range(3):
        gain = max(range(len(lines)), key=lambda i: (len(terms[i] - covered), -i), default=None)
        if gain is None or not terms[gain] - covered:
            break
        picked.append(gain)
        covered |= terms[gain]
    return [lines[i] for i in sorted(picked)], covered


def extractive_answer(
    query: Query,
    passages: list[Evidence],
    periods: Periods | None = None,
    accept: Callable[[str], bool] | None = None,
) -> tuple[str, list[int]]:
    """The passage sentences (or table rows) that match the question best — up to three from one passage,
    chosen to cover the question's key terms — quoted with their citation; ("", []) when none covers most
    (≥ 60 %) of the key terms, or a figure is asked and the quote has none. ``accept``: which lines may be
    quoted at all (a role question: only those that state the role for the round asked)."""
    key = query.key_terms(min_len=2)
    years = set(query.years)
    wants_figure = asks_figure(query.text)
    kinds = asked_kinds(query.text)
    if not key:
        return "", []
    best: tuple[float, list[str], int] | None = None
    for n, ev in enumerate(passages, start=1):
        if years and not years & passage_years(ev.chunk, periods):
            continue
        lines = [x for x in _quotable_lines(ev.chunk.text) if accept is None or accept(x)]
        quote, covered = _best_lines(lines, key)
        share = len(covered) / len(key)
        enough = (
            share >= 0.6
            and (not wants_figure or any(digits(x) for x in quote))
            and all(any(gives.search(x) for x in quote) for gives in kinds)  # an age question needs an age
        )
        if enough and (best is None or share > best[0]):
            best = (share, quote, n)
    if best is None:
        return "", []
    return "“" + " … ".join(best[1]) + f"” [{best[2]}]", [best[2]]
