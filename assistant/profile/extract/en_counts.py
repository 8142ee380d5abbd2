"""Counts stated in English sentences that the topic reader does not see: "had 412 full-time
employees", "96 employees worked in R&D, or 23% of the total", "holds 14 issued U.S. patents",
"holds no design patents"."""

from __future__ import annotations

import re
from decimal import Decimal

from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.figure import figure_candidate
from assistant.profile.extract.periods import SegmentContext, figure_period, sentence_dates, valid_period
from assistant.profile.extract.text import Segment, clause_spans
from assistant.profile.lexicon.sentence_cues import FORECAST
from assistant.profile.lexicon.sentence_topics import FigureRule
from assistant.text.figures import PERCENT_SIGN, Figure, to_decimal

_N = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+)"
_EN_COUNTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "employees",
        re.compile(
            rf"\b(?:had|has|have|employed|employs|employing|headcount of|workforce of)\s+"
            rf"(?:approximately |about |around |roughly |some )?{_N}\s+(?:full-time\s+|permanent\s+)?"
            r"(?:employees|staff|people|FTEs?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "rd_staff",
        re.compile(
            rf"{_N}\s+(?:employees|staff|people|engineers)\s+(?:worked|work|working)\s+in\s+"
            r"(?:research and development|R&D|engineering)",
            re.IGNORECASE,
        ),
    ),
    ("rd_staff", re.compile(rf"\(?{_N}\s+in\s+R&D\b", re.IGNORECASE)),
    (
        "patents_total",
        re.compile(
            rf"\b(?:held|holds|owned|owns|had|has)\s+{_N}\s+(?:issued|granted)\s+"
            r"(?:U\.S\.\s+|US\s+|UK\s+|European\s+|Chinese\s+)?patents\b",
            re.IGNORECASE,
        ),
    ),
    (
        "invention_patents",
        re.compile(
            rf"\b{_N}\s+(?:were\s+)?(?:granted\s+|issued\s+)?(?:utility\s+\(invention\)|"
            r"invention\s+\(utility\)|invention)\s+patents",
            re.IGNORECASE,
        ),
    ),
    (
        "invention_patents",
        re.compile(
            rf"\bAll\s+{_N}\s+(?:issued\s+|granted\s+)?patents\s+are\s+(?:invention|utility)", re.IGNORECASE
        ),
    ),
    (
        "design_patents",
        re.compile(rf"\b{_N}\s+(?:were\s+)?(?:registered\s+designs|design\s+patents)", re.IGNORECASE),
    ),
    ("software_copyrights", re.compile(rf"\b{_N}\s+(?:registered\s+)?software\s+copyrights", re.IGNORECASE)),
)
_EN_NONE = re.compile(
    r"\b(?:holds|has|had|held|owns)\s+no\s+(?P<what>design patents|registered designs|patents)\b",
    re.IGNORECASE,
)
_EN_STAFF_RATIO = re.compile(
    rf"^[^.;]{{0,60}}?\bor\s+(?P<pct>(?P<p>\d+(?:\.\d+)?)\s*(?:{PERCENT_SIGN}))\s+of\s+(?:the\s+)?"
    r"(?:total|all employees|employees)",
    re.IGNORECASE,
)


def english_counts(seg: Segment, s0: int, s1: int, sentence: str, ctx: SegmentContext) -> list[Candidate]:
    out: list[Candidate] = []
    if re.search(r"\baverage\b", sentence, re.IGNORECASE):
        return out
    sent_dates = sentence_dates(sentence, False)
    seg_before = sentence_dates(seg.text[:s0], False) if s0 else []
    clauses = clause_spans(sentence, 0, len(sentence))

    def forecast_at(pos: int) -> bool:
        a, b = next(((a, b) for a, b in clauses if a <= pos < b), (0, len(sentence)))
        return bool(FORECAST.search(sentence[a:b]))

    for field, rx in _EN_COUNTS:
        for m in rx.finditer(sentence):
            if forecast_at(m.start("n")):
                continue
            value = to_decimal(m.group("n"))
            if value is None:
                continue
            mention = Figure(
                kind="count",
                value=value,
                raw=sentence[m.start("n") : m.end()].strip("( "),
                number=m.group("n"),
                start=m.start("n"),
                end=m.end("n"),
            )
            period, adj = figure_period(field, sentence, mention, sent_dates, seg_before, ctx, False)
            if adj <= -9 or not valid_period(period, ctx.doc):
                continue
            out.append(
                figure_candidate(field, FigureRule(field), mention, seg, s0, s1, period, adj, f"en:{field}")
            )
            if field == "rd_staff":
                ratio = _EN_STAFF_RATIO.match(sentence[m.end() :])
                if ratio:
                    p = to_decimal(ratio.group("p"))
                    if p is not None:
                        pm = Figure(
                            kind="percent",
                            value=p,
                            raw=ratio.group("pct"),
                            number=ratio.group("p"),
                            start=m.end() + ratio.start("p"),
                            end=m.end() + ratio.end("pct"),
                        )
                        rule = FigureRule("rd_staff_ratio")
                        out.append(
                            figure_candidate(
                                "rd_staff_ratio", rule, pm, seg, s0, s1, period, adj, "en:rd_staff_ratio"
                            )
                        )
    for m in _EN_NONE.finditer(sentence):
        field = "patents_total" if m.group("what").lower() == "patents" else "design_patents"
        mention = Figure(
            kind="count", value=Decimal(0), raw=m.group(0), number="", start=m.start(), end=m.end()
        )
        period, adj = figure_period(field, sentence, mention, sent_dates, seg_before, ctx, False)
        if adj <= -9 or not valid_period(period, ctx.doc):
            continue
        cand = figure_candidate(field, FigureRule(field), mention, seg, s0, s1, period, adj, "en:none")
        cand.number = None
        cand.raw = m.group(0)
        out.append(cand)
    return out
