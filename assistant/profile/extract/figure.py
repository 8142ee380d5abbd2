"""A figure read from a sentence becomes a :class:`Candidate`: its value (signed by the rule), unit,
period, quote (the sentence) and rank."""

from __future__ import annotations

from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.text import Segment
from assistant.profile.lexicon.sentence_topics import FigureRule
from assistant.text.figures import Figure, plain


def _value(m: Figure, sign: int) -> int | float:
    value = m.value
    if sign < 0:
        value = -abs(value)
    return plain(value)


def figure_candidate(
    field: str,
    rule: FigureRule,
    m: Figure,
    seg: Segment,
    s0: int,
    s1: int,
    period: str | None,
    prio_adj: int,
    name: str,
    note: str | None = None,
) -> Candidate:
    """The candidate for figure ``m`` of sentence ``seg.text[s0:s1]`` under ``rule``."""
    chunk = seg.chunk
    quote = seg.quote(s0, s1)
    if m.kind == "money":
        unit = m.currency
    elif m.kind == "percent":
        unit = "%"
    else:
        unit = "count"
    return Candidate(
        field=field,
        value=_value(m, rule.sign),
        unit=unit,
        period=period,
        raw=m.raw.strip(),
        number=m.number,
        doc=chunk.doc,
        page=chunk.page,
        quote=quote,
        chunk_id=chunk.chunk_id,
        priority=rule.priority * 10 + prio_adj,
        basis=rule.basis,
        approx=m.approx,
        tolerance=float(m.tolerance),
        note=note,
        rule=name,
    )
