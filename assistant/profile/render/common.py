"""What the Markdown and HTML reports share: the rows they show and how a value, a change and a source are
written."""

from __future__ import annotations

from assistant.core.records import Citation
from assistant.profile.schema import FieldValue, Profile

IDENTITY = (
    "legal_name",
    "english_name",
    "unified_social_credit_code",
    "legal_representative",
    "actual_controller",
    "founded",
    "registered_capital",
    "paid_in_capital",
    "headquarters",
    "industry",
    "main_business",
    "latest_financing_round",
)
FINANCIAL_ROWS = (
    "revenue",
    "net_profit",
    "net_profit_excl_nonrecurring",
    "gross_margin",
    "operating_cash_flow",
    "cash",
    "accounts_receivable",
    "total_assets",
    "total_liabilities",
    "debt_ratio",
    "government_subsidies",
    "rd_expense",
    "rd_capitalised",
    "rd_ratio",
    "employees",
    "rd_staff",
    "rd_staff_ratio",
    "patents_total",
    "invention_patents",
    "utility_model_patents",
    "design_patents",
    "software_copyrights",
    "top1_customer_share",
    "top5_customer_share",
)


def money(value: float, unit: str | None) -> str:
    if unit == "CNY":
        if abs(value) >= 1e8:
            return f"¥{value / 1e8:,.2f}亿"
        if abs(value) >= 1e4:
            return f"¥{value / 1e4:,.2f}万"
        return f"¥{value:,.2f}"
    sym = {"USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}.get(unit or "", f"{unit} " if unit else "")
    if abs(value) >= 1e6:
        return f"{sym}{value / 1e6:,.2f}M"
    if abs(value) >= 1e3:
        return f"{sym}{value / 1e3:,.1f}k"
    return f"{sym}{value:,.2f}"


def show(fv: FieldValue | None) -> str:
    if fv is None or fv.status == "unknown" or fv.value is None:
        return "—"
    v = fv.value
    if isinstance(v, int | float):
        if fv.unit == "%":
            text = f"{v:.2f}%"
        elif fv.unit in ("count", "months"):
            text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        else:
            text = money(float(v), fv.unit)
    else:
        text = str(v)
    if fv.status == "conflict":
        text += " ⚠"
    return text


def cite(src: Citation) -> str:
    return f"{src.doc}" + (f" p.{src.page}" if src.page else "")


def change(a: FieldValue | None, b: FieldValue | None) -> str:
    """Period-over-period change from a to b: % for levels, percentage points for ratios."""
    if not a or not b or not isinstance(a.value, int | float) or not isinstance(b.value, int | float):
        return ""
    if a.unit == "%":
        return f"{float(b.value) - float(a.value):+.2f} pp"
    if float(a.value) == 0 or (float(a.value) < 0) != (float(b.value) < 0):
        return ""
    return f"{100 * (float(b.value) / float(a.value) - 1):+.1f}%"


def fiscal_years(profile: Profile) -> list[str]:
    return sorted(y for y in profile.financials if y.isdigit())


def profile_title(p: Profile) -> str:
    fv = p.fields.get("legal_name")
    return str(fv.value) if fv and fv.status != "unknown" and fv.value else p.company
