"""Credit metrics as data, computed in code from facts: each metric names its inputs in a formula over line
items (``prev_<item>``: the prior year's value), its unit, and — for ratios — the level a question calling it
"healthy" or "adequate" asks for. A metric is computed only when every input is a fact of the same period and
scope; the result keeps the inputs it used, so an answer can show the formula with their values and cite the
row of each.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from assistant.core.records import Fact
from assistant.profile.lexicon.table_rows import item_name, share_field


@dataclass(frozen=True)
class Metric:
    """One metric: how questions name it, its formula over line items, and its kind of result."""

    name: str
    en: str
    zh: str
    asks: re.Pattern[str]
    formula: str
    kind: str  # money | ratio | percent | count | points (a change of a percentage)
    healthy: Decimal | None = None  # a ratio at or above it is "healthy" / "adequate"
    stated: str | None = None  # the line item of a row that states the metric itself (毛利率 | 74.42%)


def _m(
    name: str,
    en: str,
    zh: str,
    asks: str,
    formula: str,
    kind: str,
    healthy: str | None = None,
    stated: str | None = None,
) -> Metric:
    return Metric(
        name, en, zh, re.compile(asks, re.I), formula, kind, Decimal(healthy) if healthy else None, stated
    )  # fmt: skip


METRICS: list[Metric] = [  # the first whose ``asks`` a question matches is the one it asks about
    _m("quick_ratio", "quick ratio", "速动比率", r"quick ratio|acid[- ]test|速动比率",
       "(current_assets - inventory) / current_liabilities", "ratio", "1"),
    _m("current_ratio", "current ratio", "流动比率", r"current ratio|流动比率",
       "current_assets / current_liabilities", "ratio", "1"),
    _m("working_capital", "working capital", "营运资金", r"working capital|营运资金|营运资本",
       "current_assets - current_liabilities", "money"),
    _m("debt_to_assets", "debt-to-assets ratio", "资产负债率",
       r"资产负债率|debt[- ]to[- ]assets?|liabilities[- ]to[- ]assets|debt ratio",
       "total_liabilities / total_assets * 100", "percent", stated="debt_ratio"),
    _m("gross_margin", "gross margin", "毛利率", r"gross (?:profit )?margin|毛利率",
       "(revenue - cost_of_revenue) / revenue * 100", "percent", stated="gross_margin"),
    _m("operating_margin", "operating margin", "营业利润率", r"operating (?:profit )?margin|营业利润率",
       "operating_income / revenue * 100", "percent"),
    _m("net_margin", "net margin", "净利率", r"net (?:profit )?margin|净利率|净利润率|销售净利率",
       "net_profit / revenue * 100", "percent"),
    _m("cost_ratio", "cost of revenue ratio", "营业成本率", r"营业成本率|cost of (?:revenue|sales) ratio",
       "cost_of_revenue / revenue * 100", "percent",
       stated="cost_of_revenue_share"),
    _m("selling_expense_ratio", "selling expense ratio", "销售费用率", r"销售费用率|selling expense ratio",
       "selling_expense / revenue * 100", "percent",
       stated="selling_expense_share"),
    _m("admin_expense_ratio", "administrative expense ratio", "管理费用率",
       r"管理费用率|administrative expense ratio", "admin_expense / revenue * 100", "percent",
       stated="admin_expense_share"),
    _m("finance_expense_ratio", "finance expense ratio", "财务费用率", r"财务费用率|finance expense ratio",
       "finance_expense / revenue * 100", "percent",
       stated="finance_expense_share"),
    _m("rd_intensity", "R&D intensity", "研发投入占营业收入比例",
       r"研发(?:投入|费用)(?:占营业收入)?(?:的)?(?:比例|比重|占比)|研发强度|研发费用率|R&D intensity"
       r"|R&D (?:expenses? )?(?:as a )?(?:percentage|share|ratio) of (?:total )?revenues?",
       "rd_expense / revenue * 100", "percent", stated="rd_ratio"),
    _m("free_cash_flow", "free cash flow", "自由现金流", r"free cash flow|自由现金流",
       "operating_cash_flow - abs(capex)", "money", stated="free_cash_flow"),
    _m("interest_coverage", "interest coverage", "利息保障倍数", r"interest coverage|利息保障倍数",
       "operating_income / interest_expense", "ratio", "1.5"),
    _m("revenue_growth", "revenue growth", "营业收入增长率",
       r"revenue growth|growth (?:rate )?of (?:net )?revenues?|营业收入(?:同比)?增长率|营收增长率|收入增长率",
       "(revenue - prev_revenue) / abs(prev_revenue) * 100", "percent"),
    _m("net_profit_growth", "net profit growth", "净利润增长率", r"net (?:income|profit) growth|净利润(?:同比)?增长率",
       "(net_profit - prev_net_profit) / abs(prev_net_profit) * 100", "percent"),
]  # fmt: skip
BY_NAME = {m.name: m for m in METRICS}

_OPS: dict[type, Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def inputs(formula: str) -> list[str]:
    """The line items a formula reads, in order (``prev_revenue`` is revenue of the prior year)."""
    names = {n.id for n in ast.walk(ast.parse(formula, mode="eval")) if isinstance(n, ast.Name)} - {"abs"}
    return [
        w for w in dict.fromkeys(re.findall(r"[a-z_][a-z0-9_]*", formula)) if w in names
    ]  # in written order


def evaluate(formula: str, values: dict[str, Decimal]) -> Decimal:
    """The formula's value over ``values`` (+ − × ÷, parentheses, abs, numbers: nothing else is evaluated)."""

    def walk(node: ast.AST) -> Decimal:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs":
            return abs(walk(node.args[0]))
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return Decimal(str(node.value))
        raise ValueError(f"not allowed in a metric formula: {ast.dump(node)}")

    return walk(ast.parse(formula, mode="eval"))


@dataclass
class Computed:
    """A metric's value for one fiscal year, with the facts it was computed from (by input name)."""

    metric: Metric
    period: str
    value: Decimal
    used: dict[str, Fact] = field(default_factory=dict)
    currency: str | None = None


@dataclass
class Missing:
    """Why a metric cannot be computed for a year: the inputs no fact gives."""

    metric: Metric
    period: str | None
    missing: list[str]
    found: dict[str, Fact] = field(default_factory=dict)  # the inputs that are there, by input name


_AUDITED = re.compile(r"audit|审计|annual|年报|年度报告|10-?k|prospectus|招股", re.I)
_PLANNED = re.compile(r"plan|计划|forecast|预测|pitch|路演|bp\b", re.I)


def rank(fact: Fact) -> tuple[int, int, int]:
    """Audited and annual reports first, plans last; then the label's rank for its item (归母净利润 over 净利润);
    then the more precise figure (more digits printed)."""
    source = 0 if _AUDITED.search(fact.doc) else (2 if _PLANNED.search(fact.doc) else 1)
    return source, -fact.priority, -len(re.sub(r"\D", "", fact.raw))


def _pick(facts: list[Fact], item: str, period: str, scope: str) -> Fact | None:
    found = [f for f in facts if f.item == item and f.period == period and f.scope == scope]
    return min(found, key=rank) if found else None


def compute(metric: Metric, facts: list[Fact], period: str | None = None) -> Computed | Missing:
    """The metric for ``period`` (default: the latest fiscal year all its inputs have), consolidated figures
    first; Missing names the inputs no fact gives."""
    needed = inputs(metric.formula)
    years = sorted({f.period for f in facts if f.period}, reverse=True)
    tried = [period] if period else years
    best: Missing | None = None
    for year in tried:
        if year is None:
            continue
        for scope in ("consolidated", "parent"):
            stated = _pick(facts, metric.stated, year, scope) if metric.stated else None
            used: dict[str, Fact] = {}
            lacking = []
            for name in needed:
                item, when = (name[5:], str(int(year) - 1)) if name.startswith("prev_") else (name, year)
                got = _pick(facts, item, when, scope)
                if got is None:
                    lacking.append(name)
                else:
                    used[name] = got
            currencies = {f.unit for f in used.values() if f.unit not in (None, "%")}
            # a document that states the metric itself is read as written — unless it is a lesser source
            # (a plan) than the statements its inputs come from
            if stated is not None and (lacking or rank(stated)[0] <= max(rank(f)[0] for f in used.values())):
                return Computed(metric, year, Decimal(stated.value), {metric.stated or "": stated}, None)
            if not lacking and len(currencies) <= 1:
                try:
                    value = evaluate(metric.formula, {n: Decimal(f.value) for n, f in used.items()})
                except (ZeroDivisionError, InvalidOperation):
                    continue
                return Computed(metric, year, value, used, next(iter(currencies), None))
            if best is None or len(lacking) < len(best.missing):
                best = Missing(metric, year, lacking, used)
    return best or Missing(metric, period, needed)


_NEVER = re.compile(r"(?!x)x")  # a metric built for a part of a question is asked by no question itself


def _named(formula: str) -> Metric | None:
    """The metric of METRICS with this formula (rd / revenue is R&D intensity, stated as 研发投入占比), if any."""
    return next((m for m in METRICS if m.formula == formula), None)


def item_metric(item: str, kind: str) -> Metric:
    """A line item's own value as a metric (its formula is the item): "2023年营业收入是多少？"."""
    return Metric(item, item_name(item, "en"), item_name(item, "zh"), _NEVER, item, kind, stated=None)


def growth_metric(item: str, kind: str) -> Metric:
    """Year-on-year growth of a line item, in percent (a percent item's change is in points: see change_metric)."""
    if kind == "percent":
        return change_metric(item, kind)
    formula = f"({item} - prev_{item}) / abs(prev_{item}) * 100"
    en, zh = item_name(item, "en"), item_name(item, "zh")
    return _named(formula) or Metric(
        f"{item}_growth", f"{en} growth", f"{zh}增长率", _NEVER, formula, "percent"
    )


def change_metric(item: str, kind: str) -> Metric:
    """A line item's change against the year before, in its own unit (percentage points for a percent)."""
    en, zh = item_name(item, "en"), item_name(item, "zh")
    result = "points" if kind == "percent" else kind
    return Metric(f"{item}_change", f"change in {en}", f"{zh}变动", _NEVER, f"{item} - prev_{item}", result)


def share_metric(item: str) -> Metric:
    """A line item as a percentage of revenue (selling expense → 销售费用率)."""
    formula = f"{item} / revenue * 100"
    en, zh = item_name(item, "en"), item_name(item, "zh")
    return _named(formula) or Metric(
        f"{item}_share", f"{en} as a percentage of revenue", f"{zh}占营业收入比例", _NEVER, formula, "percent",
        stated=share_field(item),
    )  # fmt: skip


def asked_metric(question: str) -> Metric | None:
    """The metric a question asks about, if any."""
    return next((m for m in METRICS if m.asks.search(question)), None)


__all__ = [
    "BY_NAME",
    "METRICS",
    "Computed",
    "Metric",
    "Missing",
    "asked_metric",
    "compute",
    "evaluate",
    "inputs",
]
