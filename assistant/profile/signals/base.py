"""What every signal family shares: the shapes of fields and financials, a field's number and evidence, money
as a signal writes it, and a signal that is a red flag or only informational."""

from __future__ import annotations

from typing import Literal

from assistant.core.records import Citation
from assistant.profile.schema import FieldValue, Signal

Fields = dict[str, FieldValue]
Severity = Literal["info", "warning", "high"]
Kind = Literal["signal", "red_flag"]
Financials = dict[str, dict[str, FieldValue]]


def evidence_of(*values: FieldValue | None) -> list[Citation]:
    out: list[Citation] = []
    for fv in values:
        if fv is not None:
            for src in fv.evidence[:2]:
                if src not in out:
                    out.append(src)
    return out


def number(fv: FieldValue | None) -> float | None:
    if fv is None or fv.status == "unknown" or not isinstance(fv.value, int | float):
        return None
    return float(fv.value)


def money(x: float, unit: str | None) -> str:
    if unit == "CNY":
        return f"¥{x / 1e4:,.2f}万" if abs(x) < 1e8 else f"¥{x / 1e8:,.2f}亿"
    sym = {"USD": "$", "EUR": "€", "GBP": "£"}.get(unit or "", (unit or "") + " ")
    return f"{sym}{x / 1e6:,.2f}M"


def years_of(financials: Financials, name: str) -> list[tuple[str, FieldValue]]:
    return [(y, v[name]) for y, v in sorted(financials.items()) if name in v and number(v[name]) is not None]


def red_flag_if(
    name: str, flag: bool, severity: Severity, value: float | str | None, text: str, evidence: list[Citation]
) -> Signal:
    """A red flag with ``severity`` when ``flag``, else an informational signal."""
    return Signal(
        name=name,
        kind="red_flag" if flag else "signal",
        severity=severity if flag else "info",
        value=value,
        explanation=text,
        evidence=evidence,
    )
