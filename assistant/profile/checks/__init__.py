"""Qualification rules of DOMAIN.md computed from profile fields: ``pass``, ``fail`` or ``unknown``.

Each check lists the inputs it used (value, unit, period) and the inputs the documents do not give. A
criterion that cannot be decided makes the check ``unknown`` unless another criterion already fails.
The Chinese qualifications apply to enterprises registered in mainland China with figures in CNY;
for others every check is ``unknown`` with that reason. Proxies are named in the explanation (R&D
staff for 科技人员, founding date for years in the niche, total revenue for main-business revenue).
"""

from __future__ import annotations

from datetime import date

from assistant.profile.checks.base import Facts
from assistant.profile.checks.specialised import check_giant, check_zjtx
from assistant.profile.checks.star import check_star
from assistant.profile.checks.tech import check_hnte, check_tsme
from assistant.profile.schema import Check, FieldValue, Qualification, Round


def run_checks(
    fields: dict[str, FieldValue],
    financials: dict[str, dict[str, FieldValue]],
    qualifications: list[Qualification],
    today: date,
    rounds: list[Round] | None = None,
) -> list[Check]:
    """The five qualification checks, in report order: HNTE, tech-based SME, specialised SME, little giant,
    STAR Market."""
    facts = Facts(
        fields=fields, financials=financials, qualifications=qualifications, today=today, rounds=rounds or []
    )
    return [check_hnte(facts), check_tsme(facts), check_zjtx(facts), check_giant(facts), check_star(facts)]
