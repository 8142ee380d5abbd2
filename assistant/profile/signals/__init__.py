"""Credit signals and red flags of DOMAIN.md, each with the evidence it rests on.

Thresholds: a single customer > 50% of revenue or top-5 > 80% (concentration); runway < 12 months
while losing money; 扣非 profit < 70% of reported profit; operating cash flow below net profit;
government subsidies > 30% of net profit (or any subsidy while loss-making); receivables growing
faster than revenue; debt ratio > 70%; qualifications expired or expiring within 180 days;
lawsuits as defendant, court listings; contradicting documents; pledges, related-party transactions,
working-capital deficits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from assistant.profile.extract.candidates import Fact
from assistant.profile.schema import Conflict, Lawsuit, Qualification, Round, Signal
from assistant.profile.signals.base import Fields, Financials
from assistant.profile.signals.events import (
    contradiction_signals,
    fact_signals,
    financing_signals,
    legal_signals,
    qualification_signals,
)
from assistant.profile.signals.financial import (
    concentration_signals,
    growth_signals,
    leverage_signals,
    profit_quality_signals,
    rd_capitalisation_signals,
    receivables_signals,
    runway_signals,
    subsidy_signals,
)


def compute_signals(
    fields: Fields,
    financials: Financials,
    qualifications: list[Qualification],
    lawsuits: list[Lawsuit],
    rounds: list[Round],
    conflicts: list[Conflict],
    facts: list[Fact],
    today: date,
) -> list[Signal]:
    """Every signal and red flag, family by family (the order of the profile's list)."""
    families: list[Callable[[], list[Signal]]] = [
        lambda: growth_signals(financials),
        lambda: profit_quality_signals(fields),
        lambda: runway_signals(fields),
        lambda: receivables_signals(financials),
        lambda: leverage_signals(fields),
        lambda: concentration_signals(fields),
        lambda: subsidy_signals(fields),
        lambda: rd_capitalisation_signals(fields),
        lambda: qualification_signals(qualifications, today),
        lambda: legal_signals(lawsuits),
        lambda: contradiction_signals(conflicts),
        lambda: fact_signals(facts),
        lambda: financing_signals(rounds, fields, today),
    ]
    return [signal for family in families for signal in family()]


__all__ = [
    "compute_signals",
    "concentration_signals",
    "contradiction_signals",
    "fact_signals",
    "financing_signals",
    "growth_signals",
    "legal_signals",
    "leverage_signals",
    "profit_quality_signals",
    "qualification_signals",
    "rd_capitalisation_signals",
    "receivables_signals",
    "runway_signals",
    "subsidy_signals",
]
