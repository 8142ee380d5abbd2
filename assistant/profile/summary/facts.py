"""The facts a profile summary is written from: the verified fields an RM reads first, numbered ``[1]..[k]``,
each a line "label (period): figure" (labels from the field's ``FieldSpec``) with its first evidence quote."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.answer.instructions import mask_instructions
from assistant.core.records import Citation
from assistant.profile.schema import FieldValue, Profile, field_spec
from assistant.text.cjk import HAN
from assistant.text.figures import is_bare_percent

Lang = Literal["zh", "en"]
_CJK = re.compile(r"[" + HAN + r"]")
_CLEAN_MONEY = re.compile(
    r"^[-−－]?\s*(?:[$¥￥€£]|US\$|HK\$|RMB\s?)?\s*\d[\d,]*(?:\.\d+)?\s*"
    r"(?:万元|亿元|元|万|亿|thousand|million|billion|[kKmM])?$"
)

# Which fields an RM reads first (the first ``max_facts`` verified ones are used), and their labels.
PRIORITY = (
    "legal_name",
    "main_business",
    "revenue",
    "net_profit",
    "rd_ratio",
    "gross_margin",
    "top1_customer_share",
    "top5_customer_share",
    "debt_ratio",
    "invention_patents",
    "employees",
    "latest_financing_round",
    "founded",
    "headquarters",
    "rd_expense",
    "operating_cash_flow",
    "rd_staff",
    "patents_total",
    "software_copyrights",
    "cash_runway_months",
)
_DISPUTED: dict[Lang, str] = {"zh": "（各文件数值不一致）", "en": " (documents disagree)"}


@dataclass(frozen=True)
class FactLine:
    """One verified field as the LLM sees it: ``[n] (doc p.X)`` / "label (period): figure" / the quote."""

    n: int
    name: str
    label: str
    figure: str
    period: str | None
    disputed: bool
    source: Citation

    def head(self, lang: Lang) -> str:
        when = ""
        if self.period:
            when = (
                f"（{self.period}年）"
                if lang == "zh" and re.fullmatch(r"\d{4}", self.period)
                else (f"（{self.period}）" if lang == "zh" else f" ({self.period})")
            )
        sep = "：" if lang == "zh" else ": "
        return f"{self.label}{when}{sep}{self.figure}{_DISPUTED[lang] if self.disputed else ''}"

    def text(self, lang: Lang) -> str:
        """What the fact says, as verification sees it: the head line and the (masked) quote."""
        return f"{self.head(lang)}\n{mask_instructions(self.source.quote)}"

    def prompt(self, lang: Lang) -> str:
        where = self.source.doc + (f" p.{self.source.page}" if self.source.page else "")
        quote = "原文" if lang == "zh" else "Quote"
        return (
            f"[{self.n}] ({where})\n{self.head(lang)}。{quote}：“{mask_instructions(self.source.quote)}”"
            if lang == "zh"
            else f'[{self.n}] ({where})\n{self.head(lang)}. {quote}: "{mask_instructions(self.source.quote)}"'
        )


def summary_language(profile: Profile) -> Lang:
    """zh for a Chinese company (its name or legal name is Chinese), en otherwise."""
    legal = profile.fields.get("legal_name")
    names = [profile.company, str(legal.value) if legal and legal.value else ""]
    return "zh" if any(_CJK.search(n) for n in names) else "en"


def _money(value: float, unit: str | None, lang: Lang) -> str:
    v = abs(value)
    if unit == "CNY":
        return f"{v / 1e8:,.2f}亿元" if v >= 1e8 else (f"{v / 1e4:,.2f}万元" if v >= 1e4 else f"{v:,.2f}元")
    sym = {"USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}.get(unit or "", f"{unit} " if unit else "")
    if v >= 1e6:
        return f"{sym}{v / 1e6:,.2f} million"
    return f"{sym}{v:,.0f}"


def figure(name: str, fv: FieldValue, lang: Lang) -> str:
    """The value as a summary writes it: the document's own figure when it is clean, else the normalised
    value (money in 万元/亿元 or millions; losses without their sign — the label says loss)."""
    raw = (fv.raw or "").strip()
    value = fv.value
    if isinstance(value, int | float) and fv.unit not in ("date",):
        if fv.unit == "%":
            return raw if is_bare_percent(raw) else f"{value:g}%"
        if fv.unit in ("count", "months"):
            number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
            counter = field_spec(name).counter_zh if lang == "zh" else None
            return number + (counter or "")
        clean = raw.lstrip("-−－ ").strip()
        is_yuan = fv.unit == "CNY" and not re.search(r"[万亿]", clean)
        if _CLEAN_MONEY.match(raw) and not is_yuan and re.search(r"[^\d,.\s]", clean):
            return clean  # "16,842.57万元", "$18,742 thousand", "$4.9 million"
        return _money(float(value), fv.unit, lang)
    return raw if fv.unit == "date" and raw and len(raw) <= 24 else str(value)


def select_facts(profile: Profile, lang: Lang, max_facts: int = 12) -> list[FactLine]:
    """The verified fields the summary may use, most important first, numbered 1..k."""
    out: list[FactLine] = []
    for name in PRIORITY:
        fv = profile.fields.get(name)
        if fv is None or fv.status not in ("found", "conflict") or fv.value in (None, "") or not fv.evidence:
            continue
        negative = isinstance(fv.value, int | float) and fv.value < 0
        label = field_spec(name).label(lang, negative=negative)
        out.append(
            FactLine(
                n=len(out) + 1,
                name=name,
                label=label,
                figure=figure(name, fv, lang),
                period=fv.period,
                disputed=fv.status == "conflict",
                source=fv.evidence[0],
            )
        )
        if len(out) >= max_facts:
            break
    return out


def format_facts(facts: list[FactLine], lang: Lang) -> str:
    return "\n\n".join(f.prompt(lang) for f in facts)
