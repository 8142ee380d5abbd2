"""Figures stated in sentences: money, ratios and counts with their fiscal year, Chinese and English.

A sentence is read clause by clause. Each figure belongs to the *topic* (营业收入, 研发人员, gross
margin, largest customer …) written right before it — in its own clause, or, when its clause has no
topic, in an earlier clause of the same sentence ("2023年…营业收入16,842.57万元，较2022年的12,306.18万元").
Ratios also need their relation ("占营业收入的比例为", "of revenue", "占员工总数的"); growth rates
("同比增长", "up 23.8%") are never taken for a level. Forecasts (预计/目标/expect/plan …), bounds
(超过/余/more than) and figures in a business plan for its own or a later year are dropped.

The words live in :mod:`assistant.profile.lexicon.sentence_topics` (topic → field) and
:mod:`~assistant.profile.lexicon.sentence_cues` (relations, growth, forecast, filler words); the fiscal
year in :mod:`assistant.profile.extract.periods`; English head counts and patent counts in
:mod:`assistant.profile.extract.en_counts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.en_counts import english_counts
from assistant.profile.extract.figure import figure_candidate
from assistant.profile.extract.periods import SegmentContext, figure_period, sentence_dates, valid_period
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment, clause_spans, looks_tabular, strip_parens
from assistant.profile.lexicon.sentence_cues import (
    CHAIN,
    CUMULATIVE,
    EN_FILLER,
    EN_INHERIT,
    EN_RELATION_AFTER,
    FORECAST,
    GROWTH,
    OTHER_ENTITY,
    PART_QUALIFIER,
    PER_SHARE,
    ZH_FILLER,
    ZH_INHERIT,
    ZH_RELATION,
)
from assistant.profile.lexicon.sentence_topics import (
    COUNT_RULES,
    EN_TOPICS,
    IP_UNITS,
    MONEY_RULES,
    PERCENT_RULES,
    STAFF_UNITS,
    ZH_TOPICS,
    FigureRule,
)
from assistant.text.cjk import has_han
from assistant.text.figures import Figure, en_money, percents, zh_counts, zh_money


def _compile(topics: tuple[tuple[str, str], ...], flags: int = 0) -> tuple[re.Pattern[str], list[str]]:
    """One pattern of all topics (group ``t<i>`` is topic i) and the names; quick: it is searched in every
    sentence with a figure, and few of a report's sentences name a topic."""
    names = [t for t, _ in topics]
    return quick(re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(topics)), flags)), names


ZH_TOPIC_RE, ZH_TOPIC_NAMES = _compile(ZH_TOPICS)
EN_TOPIC_RE, EN_TOPIC_NAMES = _compile(EN_TOPICS, re.IGNORECASE)


@dataclass
class Topic:
    """A topic word found in a sentence, and where."""

    name: str
    start: int
    end: int


def _topics(sentence: str, zh: bool) -> list[Topic]:
    rx, names = (ZH_TOPIC_RE, ZH_TOPIC_NAMES) if zh else (EN_TOPIC_RE, EN_TOPIC_NAMES)
    rel_spans = [(m.start(), m.end()) for m in ZH_RELATION.finditer(sentence) if m.group("obj")] if zh else []
    out: list[Topic] = []
    for m in rx.finditer(sentence):
        if any(s <= m.start() < e for s, e in rel_spans):
            continue
        name = names[int(next(k for k, v in m.groupdict().items() if v is not None)[1:])]
        if not zh and PART_QUALIFIER.search(sentence[: m.start()]):
            continue  # "Sensor net sales of $2.1 billion": a segment's figure, not the company's
        out.append(Topic(name, m.start(), m.end()))
    return out


def _mentions(sentence: str, zh: bool, default_scale: Decimal = Decimal(1)) -> list[Figure]:
    found = zh_money(sentence) + en_money(sentence, default_scale) + percents(sentence)
    if zh:
        found += zh_counts(sentence)
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Figure] = []
    for m in found:
        if out and m.start < out[-1].end:
            continue
        out.append(m)
    return out


def _relation(sentence: str, before_start: int, m: Figure, zh: bool) -> tuple[str | None, int]:
    """The ratio's relation and where the text before it (minus the relation phrase) ends."""
    before = sentence[before_start : m.start]
    if zh:
        rel = None
        cut = len(before)
        for r in ZH_RELATION.finditer(before):
            if before[r.end() :].strip() == "":
                obj = r.group("obj")
                if obj is None:
                    rel = (
                        "share"
                        if "占比" in before[r.start() : r.end() + 1] or r.group(0).startswith("占")
                        else None
                    )
                elif obj in ("营业总收入", "营业收入", "年度销售总额", "销售总额", "主营业务收入", "收入"):
                    rel = "rev"
                elif obj in ("员工总数", "职工总数", "公司总人数", "总人数", "员工人数", "职工人数"):
                    rel = "staff"
                else:
                    rel = "other"
                cut = r.start()
        if rel is None:
            share = re.search(r"(?:收入|销售额)?占比(?:为|达到|约为|约)?\s*$", before)
            if share:
                rel, cut = "share", share.start()
        return rel, before_start + cut
    after = EN_RELATION_AFTER.match(sentence[m.end :])
    if after:
        obj = after.group("obj").lower()
        if obj.startswith(("revenue", "sales")):
            return "rev", m.start
        if obj.startswith("purchases"):
            return "other", m.start
        return "staff", m.start
    return None, m.start


def _gap_ok(gap: str, zh: bool) -> bool:
    gap = strip_parens(gap)
    return bool((ZH_FILLER if zh else EN_FILLER).match(gap))


def _patent_status(clauses: list[str]) -> list[str]:
    out: list[str] = []
    prev = "held"
    for clause in clauses:
        if re.search(r"申请|受理|审查|pending|application", clause, re.IGNORECASE):
            prev = "pending"
        elif re.search(r"拥有|持有|共有|截至|合计|累计获得", clause):
            prev = "held"
        elif re.search(r"获得|取得|新增|获授权|获批|授权", clause):
            prev = "obtained"
        out.append(prev)
    return out


def sentence_candidates(seg: Segment, ctx: SegmentContext) -> list[Candidate]:
    """Figures in the sentences of one logical line (a line about a subsidiary ranks lower)."""
    out = _sentence_candidates(seg, ctx)
    if out and OTHER_ENTITY.search(seg.text):
        for c in out:
            c.priority -= 10
    return out


_DIGIT = re.compile(r"\d")


def _sentence_candidates(seg: Segment, ctx: SegmentContext) -> list[Candidate]:
    out: list[Candidate] = []
    text = seg.text
    if not _DIGIT.search(text):
        return out  # no figure in any of its sentences
    tabular = seg.table_row or looks_tabular(text)
    for s0, s1 in seg.sentences():
        sentence = text[s0:s1]
        if not _DIGIT.search(sentence):
            continue
        zh = has_han(sentence)
        if not tabular:
            out.extend(_sentence(seg, s0, s1, sentence, zh, ctx))
        if not zh:
            out.extend(english_counts(seg, s0, s1, sentence, ctx))
    return out


def _sentence(
    seg: Segment, s0: int, s1: int, sentence: str, zh: bool, ctx: SegmentContext
) -> list[Candidate]:
    topics = _topics(sentence, zh)
    if not topics:
        return []
    mentions = _mentions(sentence, zh)
    if not mentions:
        return []
    sent_dates = sentence_dates(sentence, zh)
    seg_before = [d for d in sentence_dates(seg.text[:s0], zh)] if s0 else []
    clauses = clause_spans(sentence, 0, len(sentence))
    clause_texts = [sentence[a:b] for a, b in clauses]
    patent_status = _patent_status(clause_texts)
    date_spans = [(d.start, d.end) for d in sent_dates]
    out: list[Candidate] = []
    assigned: dict[int, str] = {}  # mention index → topic name
    rejected: set[int] = (
        set()
    )  # topics whose own figure was not acceptable: later clauses do not inherit them
    for i, m in enumerate(mentions):
        if m.bound or any(s <= m.start < e for s, e in date_spans):
            continue
        if PER_SHARE.match(sentence[m.end :]):
            continue
        ci = next((k for k, (a, b) in enumerate(clauses) if a <= m.start < b), len(clauses) - 1)
        ca, _cb = clauses[ci]
        topic: Topic | None = None
        gap_start = ca
        inherited = False
        direct = [t for t in topics if ca <= t.start and t.end <= m.start]
        if direct:
            topic = direct[-1]
            gap_start = topic.end
            # a figure after another figure of the same topic: "…$12,961 thousand in fiscal 2022 and $8,305 …"
            prev = [j for j in range(i) if mentions[j].start >= topic.end and mentions[j].end <= m.start]
            if prev:
                j = prev[-1]
                if assigned.get(j) != topic.name or mentions[j].kind != m.kind:
                    continue
                if not CHAIN.match(sentence[mentions[j].end : m.start]):
                    continue
                gap_start = m.start
        else:
            earlier = [t for t in topics if t.end <= ca]
            if not earlier:
                continue
            topic = earlier[-1]
            inherited = True
        rel: str | None = None
        cut = m.start
        if m.kind == "percent":
            rel, cut = _relation(sentence, gap_start, m, zh)
        gap = sentence[gap_start:cut]
        if m.kind == "percent" and GROWTH.search(gap if not inherited else sentence[ca : m.start]):
            continue
        if inherited:
            prefix = strip_parens(sentence[ca:cut])
            if topic.start in rejected:
                continue
            if not (ZH_INHERIT if zh else EN_INHERIT).match(prefix) and not _gap_ok(prefix, zh):
                rejected.add(topic.start)
                continue
        elif gap_start != m.start and not _gap_ok(gap, zh):
            rejected.add(topic.start)
            continue
        clause_text = clause_texts[ci]
        topic_clause = next(
            (clause_texts[k] for k, (a, b) in enumerate(clauses) if a <= topic.start < b), clause_text
        )
        if FORECAST.search(clause_text) or FORECAST.search(topic_clause):
            continue
        if CUMULATIVE.search(sentence[max(0, topic.start - 8) : topic.start]) or CUMULATIVE.search(gap):
            continue
        rule: FigureRule | None = None
        note: str | None = None
        if m.kind == "money":
            rule = MONEY_RULES.get(topic.name)
        elif m.kind == "percent":
            rule = PERCENT_RULES.get((topic.name, rel))
        elif m.kind == "count":
            rule = COUNT_RULES.get(topic.name)
            if rule and rule.field in ("employees", "rd_staff") and m.unit not in STAFF_UNITS:
                rule = None
            if rule and rule.field not in ("employees", "rd_staff") and m.unit not in IP_UNITS:
                rule = None
            if rule and rule.field in (
                "patents_total",
                "invention_patents",
                "utility_model_patents",
                "design_patents",
                "software_copyrights",
            ):
                status = patent_status[ci]
                if status == "pending":
                    continue
                if status == "obtained":
                    note = "obtained during the period (not the total held)"
        if rule is None:
            continue
        assigned[i] = topic.name
        period, adj = figure_period(rule.field, sentence, m, sent_dates, seg_before, ctx, zh)
        if adj <= -9 or not valid_period(period, ctx.doc):
            continue
        if note:
            adj -= 2
        out.append(
            figure_candidate(rule.field, rule, m, seg, s0, s1, period, adj, f"sentence:{topic.name}", note)
        )
    return out
