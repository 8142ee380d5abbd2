"""Qualitative facts and the largest customer: the facts of :mod:`assistant.profile.lexicon.credit_facts`
(with the amount the sentence states), "customers are not related parties", and the largest customer's
name ("第一大客户为…", "Our largest customer is a …")."""

from __future__ import annotations

import re

from assistant.profile.extract.candidates import Fact
from assistant.profile.extract.items import money_figures, sentence_source
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment
from assistant.profile.lexicon.credit_facts import FACTS
from assistant.profile.schema import Customer
from assistant.text.figures import plain

_TOP1_NAME = re.compile(
    r"第一(?:名|大)客户(?:为|是)(?P<n>[^，。；]{2,30})|第一(?:名|大)客户[（(](?P<n2>[^）)]{2,30})[）)]|"
    r"(?:Our|The) largest customer(?:,| is) (?P<n3>an? [^,.;]{3,60})"
)
_RELATED_NEG = re.compile(
    r"不存在关联方|均不是关联方|非关联方|不存在[^。；]{0,8}关联|no customer is a related party|"
    r"none of (?:our|the) (?:customers|suppliers) (?:is|are) (?:a )?related",
    re.IGNORECASE,
)
_CUSTOMER = quick(re.compile(r"客户|customer", re.IGNORECASE))


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern matching wherever one of ``patterns`` (all with the same flags) does: one quick search
    instead of one per pattern on the many sentences that state none of them."""
    flags = {p.flags for p in patterns}
    if len(flags) != 1:
        raise ValueError("the patterns to combine differ in their flags")
    return quick(re.compile("|".join(f"(?:{p.pattern})" for p in patterns), flags.pop()))


_ANY_FACT = _any_of([rx for _, rx, _ in FACTS])


def fact_items(seg: Segment) -> tuple[list[Fact], list[Customer]]:
    facts: list[Fact] = []
    customers: list[Customer] = []
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        if _ANY_FACT.search(sentence):
            facts.extend(_stated_facts(seg, s0, s1, sentence))
        if _CUSTOMER.search(sentence):
            if _RELATED_NEG.search(sentence):
                facts.append(Fact(name="customers_not_related", evidence=[sentence_source(seg, s0, s1)]))
            m = _TOP1_NAME.search(sentence)
            if m:
                name = next(g for g in (m.group("n"), m.group("n2"), m.group("n3")) if g).strip()
                customers.append(Customer(rank=1, name=name, evidence=[sentence_source(seg, s0, s1)]))
    return facts, customers


def _stated_facts(seg: Segment, s0: int, s1: int, sentence: str) -> list[Fact]:
    """The facts of :data:`FACTS` a sentence states (not denies), with the first amount it names."""
    out: list[Fact] = []
    for name, rx, neg in FACTS:
        if rx.search(sentence) and not (neg and neg.search(sentence)):
            money = money_figures(sentence)
            out.append(
                Fact(
                    name=name,
                    value=plain(money[0].value) if money else None,
                    currency=money[0].currency if money else None,
                    evidence=[sentence_source(seg, s0, s1)],
                )
            )
    return out
