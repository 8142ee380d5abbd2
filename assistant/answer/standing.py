"""The home of questions about a qualification's standing: "知衡软件的高新技术企业证书目前是否仍在有效期内？",
"Is Brightfold's ISO 9001 certificate still valid?", "高新技术企业证书何时到期？".

They are decided in code from the profile's qualifications — name, number, issue and expiry dates as the
documents state them (an HNTE expiry derived by its three-year rule is said so), and the status as of today —
never by the model: "已于2023年12月2日到期" read as "是，仍在有效期内" is the mistake this prevents. The answer
cites the passage of each date it uses. A qualification the documents give no dates for, or one the question
does not name, is left to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.answer.query import Query
from assistant.profile.extract.qualifications import QUALIFICATION_NAME
from assistant.profile.reconcile.quals import qual_key
from assistant.profile.schema import Qualification

_STANDING = re.compile(
    r"有效期|有效|过期|到期|失效|届满|仍在|还在|\bvalid\b|\bexpir\w*|\blapsed?\b|\bstill (?:hold|have|has)\b",
    re.I,
)
_WHEN = re.compile(r"何时|什么时候|哪天|哪一天|\bwhen\b|\bwhat date\b", re.I)


@dataclass
class Standing:
    """A qualification's standing as an answer: the text, and the (doc, page, quote) of each date it rests on."""

    text: str
    quotes: list[tuple[str, int | None, str]]


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def shown_date(iso: str, zh: bool) -> str:
    """A date as an answer writes it: 2024年11月29日, November 29, 2024 (a year or a month alone as given)."""
    parts = [int(p) for p in iso.split("-")]
    if zh:
        return "".join(f"{n}{unit}" for n, unit in zip(parts, "年月日", strict=False))
    if len(parts) == 3:
        return f"{_MONTHS[parts[1] - 1]} {parts[2]}, {parts[0]}"
    return f"{_MONTHS[parts[1] - 1]} {parts[0]}" if len(parts) == 2 else str(parts[0])


def asked_qualification(question: str) -> str | None:
    """The qualification a question asks the standing of ("高新技术企业" in "高新技术企业证书是否仍有效？"), or None
    when it names none or asks something else of it (its number, what it requires)."""
    name = QUALIFICATION_NAME.search(question)
    if name is None or not _STANDING.search(question):
        return None
    return name.group("name")


def _dated(name: str, qualifications: list[Qualification]) -> Qualification | None:
    """The company's qualification of that name with an expiry date (the latest), or None."""
    key = qual_key(name)
    same = [q for q in qualifications if q.expires and (qual_key(q.name) == key or key in qual_key(q.name))]
    return max(same, key=lambda q: q.expires or "", default=None)


def standing_answer(query: Query, qualifications: list[Qualification], today: date) -> Standing | None:
    """The standing of the qualification the question asks about (see the module's docstring), or None."""
    name = asked_qualification(query.text)
    if name is None or not (query.yes_no or _WHEN.search(query.text)):
        return None
    q = _dated(name, qualifications)
    if q is None or q.expires is None or q.status not in ("valid", "expiring", "expired"):
        return None
    zh = query.language == "zh"
    number = (f"（编号{q.number}）" if zh else f" (no. {q.number})") if q.number else ""
    issued = shown_date(q.issued, zh) if q.issued else ""
    expires = shown_date(q.expires, zh)
    if q.expires_derived:
        until = (
            f"{issued}认定，按三年有效期至{expires}"
            if zh
            else f"recognised {issued}, valid for three years to {expires}"
        )
    else:
        until = f"有效期至{expires}" if zh else f"valid until {expires}"
    today_s = shown_date(today.isoformat(), zh)
    if zh:
        verdict = {"valid": "是", "expiring": "是", "expired": "否"}[q.status] if query.yes_no else ""
        state = {
            "valid": f"截至{today_s}仍在有效期内",
            "expiring": f"截至{today_s}仍有效，但将在180天内到期",
            "expired": f"截至{today_s}已过期",
        }[q.status]
        text = f"{verdict + '。' if verdict else ''}{q.name}证书{number}{until}，{state}[1]。"
    else:
        verdict = {"valid": "Yes", "expiring": "Yes", "expired": "No"}[q.status] if query.yes_no else ""
        state = {
            "valid": f"still valid as of {today_s}",
            "expiring": f"valid as of {today_s} but expiring within 180 days",
            "expired": f"expired as of {today_s}",
        }[q.status]
        text = f"{verdict + '. ' if verdict else ''}The {q.name} certificate{number} is {until}: {state} [1]."
    quotes = [(c.doc, c.page, c.quote) for c in q.evidence if c.quote]
    quotes.sort(
        key=lambda x: q.expires is None or q.expires[:4] not in x[2]
    )  # the one that states the date first
    return Standing(text, quotes[:1]) if quotes else None
