"""The deterministic summary: the facts alone, each clause citing its fact; the fallback when the LLM's summary
fails verification twice (it passes the same verification)."""

from __future__ import annotations

import re

from assistant.profile.schema import Profile
from assistant.profile.summary.facts import _DISPUTED, FactLine, Lang


def template_summary(profile: Profile, facts: list[FactLine], lang: Lang) -> str:
    """A summary from the facts alone (each clause cites its fact), used when the LLM's fails twice."""
    by = {f.name: f for f in facts}
    main_year = next((f.period for f in facts if f.name == "revenue"), None) or next(
        (f.period for f in facts if f.period and re.fullmatch(r"\d{4}", f.period)), None
    )

    def fig(name: str) -> str:
        f = by[name]
        note = _DISPUTED[lang] if f.disputed else ""
        when = ""
        if f.period and f.period != main_year and name != "latest_financing_round":
            when = f"（{f.period}）" if lang == "zh" else f" ({f.period})"
        return f"{f.figure}{when}{note}[{f.n}]" if lang == "zh" else f"{f.figure}{when}{note} [{f.n}]"

    def has(*names: str) -> list[str]:
        return [n for n in names if n in by]

    sentences: list[str] = []
    legal = by.get("legal_name")
    if lang == "zh":
        who = f"{legal.figure}[{legal.n}]" if legal else profile.company
        parts = []
        if "founded" in by:
            parts.append(f"成立于{fig('founded')}")
        if "headquarters" in by:
            parts.append(f"总部位于{fig('headquarters')}")
        if "main_business" in by:
            parts.append(f"主营{fig('main_business')}")
        sentences.append(who + ("，" + "，".join(parts) if parts else "") + "。")
        money = [
            f"{by[n].label}{fig(n)}"
            for n in has("revenue", "net_profit", "gross_margin", "operating_cash_flow")
        ]
        if money:
            sentences.append((f"{main_year}年" if main_year else "") + "，".join(money) + "。")
        rd = [
            f"{by[n].label}{fig(n)}"
            for n in has(
                "rd_expense",
                "rd_ratio",
                "employees",
                "rd_staff",
                "invention_patents",
                "patents_total",
                "software_copyrights",
            )
        ]
        if rd:
            sentences.append("，".join(rd) + "。")
        risk = [
            f"{by[n].label}{fig(n)}"
            for n in has("top1_customer_share", "top5_customer_share", "debt_ratio", "cash_runway_months")
        ]
        if risk:
            sentences.append("，".join(risk) + "。")
        if "latest_financing_round" in by:
            f = by["latest_financing_round"]
            sentences.append(f"最近一轮融资为{f.figure}{f'（{f.period}）' if f.period else ''}[{f.n}]。")
        return "".join(sentences)
    who = f"{legal.figure} [{legal.n}]" if legal else profile.company
    parts = []
    if "founded" in by:
        parts.append(f"founded {fig('founded')}")
    if "headquarters" in by:
        parts.append(f"headquartered in {fig('headquarters')}")
    lead = who + (", " + " and ".join(parts) if parts else "")
    if "main_business" in by:
        lead += f"; main business: {fig('main_business')}"
    sentences.append(lead + ".")
    money = [
        f"{by[n].label.lower()} was {fig(n)}"
        for n in has("revenue", "net_profit", "gross_margin", "operating_cash_flow")
    ]
    if money:
        line = ", ".join(money)
        sentences.append(f"In {main_year}, {line}." if main_year else line[:1].upper() + line[1:] + ".")
    rest = [
        f"{by[n].label}: {fig(n)}"
        for n in has(
            "rd_expense",
            "rd_ratio",
            "employees",
            "rd_staff",
            "invention_patents",
            "patents_total",
            "software_copyrights",
        )
    ]
    if rest:
        sentences.append("; ".join(rest) + ".")
    risk = [
        f"{by[n].label}: {fig(n)}"
        for n in has("top1_customer_share", "top5_customer_share", "debt_ratio", "cash_runway_months")
    ]
    if risk:
        sentences.append("; ".join(risk) + ".")
    if "latest_financing_round" in by:
        f = by["latest_financing_round"]
        sentences.append(f"Latest financing round: {f.figure}{f' ({f.period})' if f.period else ''} [{f.n}].")
    return " ".join(sentences)
