"""Qualifications: mentions of one qualification merged (names compared without level or region prefix,
ISO year or 认证/证书 suffix), the expiry derived from the rule when no document states it (高新技术企业 and
专精特新 3 years, 科技型中小企业 the year end), and the status on a given day (valid, expiring within 180
days, expired, claimed)."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from assistant.profile.lexicon.regions import PROVINCES
from assistant.profile.reconcile.lists import dates_compatible, reliability_of
from assistant.profile.schema import Qualification
from assistant.profile.sources import DocContext
from assistant.text.dates import DateMention, add_years

_QUAL_VALIDITY_YEARS = {"高新技术企业": 3, "专精特新中小企业": 3, "小巨人": 3, "创新型中小企业": 3}


def qual_key(name: str) -> str:
    key = re.sub(r"\s+", "", name).lower()
    key = re.sub(r"^(?:国家级?|省级|市级)", "", key)
    key = re.sub(rf"^(?:{PROVINCES})(?:省|市|自治区)?", "", key)
    key = re.sub(r":\d{4}$|认证$|证书$|certification$|certificate$", "", key)
    key = key.replace("“", "").replace("”", "").replace('"', "")
    return key


def _derived_expiry(q: Qualification) -> str | None:
    if not q.issued:
        return None
    key = qual_key(q.name)
    d = DateMention(iso=q.issued, raw=q.issued, start=0, end=0)
    if "科技型中小企业" in key:
        return f"{q.issued[:4]}-12-31"
    for name, years in _QUAL_VALIDITY_YEARS.items():
        if name in key:
            start = d.as_date()
            if len(q.issued) == 4:
                return str(int(q.issued) + years)
            if len(q.issued) < 10:
                return add_years(d.as_date(end_of_period=True), years).isoformat()[:7]
            return date.fromordinal(add_years(start, years).toordinal() - 1).isoformat()
    return None


def merge_qualifications(
    quals: list[Qualification], ctxs: dict[str, DocContext], today: date
) -> list[Qualification]:
    merged: list[Qualification] = []
    for q in sorted(quals, key=lambda q: -reliability_of(q.evidence, ctxs)):
        key = qual_key(q.name)
        same = next(
            (
                m
                for m in merged
                if qual_key(m.name) == key
                and m.kind == q.kind
                and (dates_compatible(m.issued, q.issued) or q.issued is None or m.issued is None)
                and (m.kind != "standard" or m.level == q.level)
            ),
            None,
        )
        if same is None:
            merged.append(q.model_copy(deep=True))
            continue
        if q.issued and (same.issued is None or len(q.issued) > len(same.issued)):
            same.issued = q.issued
        if q.expires and (same.expires is None or len(q.expires) > len(same.expires) or same.expires_derived):
            same.expires, same.expires_derived = q.expires, False
        same.number = same.number or q.number
        same.level = same.level or q.level
        for src in q.evidence:
            if src not in same.evidence:
                same.evidence.append(src)
    for q in merged:
        if q.kind in ("rd_platform", "standard"):
            q.status = "claimed"
            continue
        if q.expires is None:
            derived = _derived_expiry(q)
            if derived:
                q.expires, q.expires_derived = derived, True
        q.status = qualification_status(q, today)
    return merged


QualStatus = Literal["valid", "expiring", "expired", "claimed", "unknown"]


def qualification_status(q: Qualification, today: date) -> QualStatus:
    if q.expires:
        end = DateMention(iso=q.expires, raw="", start=0, end=0).as_date(end_of_period=True)
        if end < today:
            return "expired"
        if (end - today).days <= 180:
            return "expiring"
        return "valid"
    return "claimed" if not q.issued else "unknown"
