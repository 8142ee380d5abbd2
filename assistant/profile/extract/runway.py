"""Cash runway in months: "a runway of about 14 months", "covers 9 months", "现金可支撑约12个月"."""

from __future__ import annotations

import re

from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.figure import figure_candidate
from assistant.profile.extract.periods import SegmentContext, sentence_dates, year_of
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment
from assistant.profile.lexicon.sentence_topics import FigureRule
from assistant.text.cjk import has_han
from assistant.text.figures import Figure, to_decimal

_RUNWAY = re.compile(
    r"runway of (?:roughly |about |approximately |around )?(?P<a>\d+(?:\.\d+)?) months|"
    r"covers (?:roughly |about |approximately |around )?(?P<b>\d+(?:\.\d+)?) months|"
    r"(?:about |roughly |approximately )?(?P<c>\d+(?:\.\d+)?) months of (?:cash )?runway|"
    r"现金(?:可)?(?:支撑|维持)(?:约)?(?P<d>\d+(?:\.\d+)?)个月",
    re.IGNORECASE,
)
_MONTHS = quick(re.compile(r"month|个月", re.IGNORECASE))  # in every reading of _RUNWAY: a cheap first test


def runway_candidates(seg: Segment, ctx: SegmentContext) -> list[Candidate]:
    out: list[Candidate] = []
    if not _MONTHS.search(seg.text):
        return out
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        for m in _RUNWAY.finditer(sentence):
            key = next(k for k in "abcd" if m.group(k))
            value = to_decimal(m.group(key))
            if value is None:
                continue
            zh = has_han(sentence)
            mention = Figure(
                kind="count",
                value=value,
                raw=m.group(0),
                number=m.group(key),
                start=m.start(key),
                end=m.end(key),
                approx=bool(re.search(r"about|roughly|approximately|around|约", m.group(0))),
            )
            sent_dates = sentence_dates(sentence, zh)
            period = None
            d = year_of(sentence, mention, sent_dates, zh)
            if d is not None:
                period = d.iso[:4]
            cand = figure_candidate(
                "cash_runway_months",
                FigureRule("cash_runway_months"),
                mention,
                seg,
                s0,
                s1,
                period,
                0,
                "runway",
            )
            cand.unit = "months"
            out.append(cand)
    return out
