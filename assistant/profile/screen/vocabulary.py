"""What a filter may name: the profile's fields (``profile/schema.py``), the credit metrics (``facts/metrics.py``),
the qualification checks (by the names ``profile/checks`` gives them, in Chinese or English), the signals and
red flags (``profile/signals``, a name or the family before an underscore: ``customer_concentration`` is
``customer_concentration_top1`` and ``_top5``), and ``red_flags`` (how many a company has).

A name no list holds is an error that names it and the nearest known names.
"""

from __future__ import annotations

import difflib
import re
import typing
from dataclasses import dataclass

from assistant.core.errors import InputError
from assistant.facts.metrics import BY_NAME as METRICS
from assistant.facts.metrics import Metric
from assistant.profile.checks.specialised import GIANT, ZJTX
from assistant.profile.checks.star import STAR
from assistant.profile.checks.tech import HNTE, TSME
from assistant.profile.schema import SPECS, Check, FieldSpec, Lawsuit
from assistant.profile.screen.model import Ref, RefKind
from assistant.profile.signals.events import FACT_SIGNALS


class FilterError(InputError):
    """A filter that cannot run: bad syntax, an unknown name, a value of the wrong kind (HTTP 400)."""


@dataclass(frozen=True)
class CheckName:
    """A qualification check: its key in filters (专精特新), the name the profile gives it, other names."""

    key: str
    name: str
    aliases: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class SignalName:
    """A signal: its name, labels, the fields without which its absence says nothing (unknown, not no), and
    whether it can be a red flag at all (revenue growth, losses and financing are information only)."""

    name: str
    en: str
    zh: str
    requires: tuple[str, ...] = ()
    red_flag: bool = True


def fold(text: str) -> str:
    """A name compared loosely: case, spaces, quotes, brackets, hyphens and underscores ignored."""
    return re.sub(r"[\s\"'“”‘’()（）\[\]\-_.·/]", "", text).casefold()


def _check(const: tuple[str, str], key: str, *aliases: str) -> CheckName:
    name = const[0]
    own = re.match(r"(?P<zh>[^(]+?)\s*\((?P<en>[^)]+)\)", name)
    more = (own.group("zh"), own.group("en")) if own else (name,)
    return CheckName(key, name, (key, *more, *aliases))


CHECKS: tuple[CheckName, ...] = (
    _check(HNTE, "高新技术企业", "hnte", "高新", "高新企业", "高企", "high_tech_enterprise", "high-tech enterprise",
           "high and new technology enterprise"),
    _check(TSME, "科技型中小企业", "tech_sme", "tech_based_sme", "technology-based SME", "科技型", "科技型企业"),
    _check(ZJTX, "专精特新", "specialised_sme", "specialized_sme", "专精特新中小企业", "specialized SME", "SRDI",
           "zjtx"),
    _check(GIANT, "小巨人", "little_giant", "专精特新小巨人", "little giants"),
    _check(STAR, "科创属性", "star_market", "STAR", "科创板", "科创"),
)  # fmt: skip

_LISTINGS: tuple[str, ...] = typing.get_args(Lawsuit.model_fields["kind"].annotation)  # lawsuit, listings …
SIGNALS: tuple[SignalName, ...] = (
    SignalName("revenue_growth", "revenue growth", "营收增长", ("revenue",), red_flag=False),
    SignalName("gross_margin", "gross margin", "毛利率", ("gross_margin",), red_flag=False),
    SignalName("loss_making", "loss-making", "亏损", ("net_profit",), red_flag=False),
    SignalName("profit_quality_non_recurring", "non-recurring share of profit", "扣非利润占比",
               ("net_profit", "net_profit_excl_nonrecurring")),
    SignalName("cash_flow_vs_profit", "operating cash flow vs profit", "经营现金流与利润",
               ("net_profit", "operating_cash_flow")),
    SignalName("cash_runway", "cash runway", "现金跑道", ("net_profit",)),
    SignalName("receivables_vs_revenue", "receivables growing faster than revenue", "应收账款增速",
               ("accounts_receivable",)),
    SignalName("debt_ratio", "debt ratio", "资产负债率", ("total_assets", "total_liabilities")),
    SignalName("customer_concentration_top1", "largest customer's share", "第一大客户集中度",
               ("top1_customer_share",)),
    SignalName("customer_concentration_top5", "top-5 customers' share", "前五大客户集中度",
               ("top5_customer_share",)),
    SignalName("subsidy_dependence", "subsidy dependence", "政府补助依赖", ("government_subsidies", "net_profit")),
    SignalName("rd_capitalisation", "R&D capitalisation", "研发资本化", ("rd_capitalised", "rd_expense")),
    SignalName("qualification_expired", "qualification expired", "资质已过期"),
    SignalName("qualification_expiring", "qualification expiring", "资质即将到期"),
    SignalName("lawsuit", "lawsuit", "诉讼"),
    SignalName("lawsuit_defendant", "lawsuit as defendant", "被诉"),
    SignalName("documents_contradict", "documents contradict", "文件矛盾"),
    SignalName("recent_equity_financing", "recent equity financing", "近期股权融资", red_flag=False),
    SignalName("last_equity_financing", "last equity financing", "最近股权融资", red_flag=False),
    SignalName("pledgeable_ip", "pledgeable IP", "可质押知识产权", red_flag=False),
    *(SignalName(kind, kind.replace("_", " "), kind) for kind in _LISTINGS if kind != "lawsuit"),
    *(SignalName(name, text.rstrip("."), name, red_flag=kind == "red_flag")
      for name, kind, _, text in FACT_SIGNALS.values()),
)  # fmt: skip
SIGNAL_NAMES: dict[str, SignalName] = {s.name: s for s in SIGNALS}
COUNTS: dict[str, str] = {"red_flags": "number of red flags / 红旗数量"}


def check_named(name: str) -> CheckName:
    """The check a name refers to (its key, the name the profile gives it, or an alias, compared loosely)."""
    folded = fold(name)
    for check in CHECKS:
        if folded in {fold(a) for a in check.aliases} or folded == fold(check.name):
            return check
    raise FilterError(
        f"unknown check '{name}' (checks: {', '.join(c.key + ' / ' + _ascii(c) for c in CHECKS)})"
    )


def check_of(key: str, checks: list[Check]) -> Check | None:
    """The profile's check of a key."""
    wanted = check_named(key)
    return next((c for c in checks if c.name == wanted.name or fold(c.name) == fold(wanted.name)), None)


def signal_members(name: str) -> list[SignalName]:
    """The signals a name covers: itself, or every signal of its family (the names it begins, up to ``_``)."""
    return [s for s in SIGNALS if s.name == name or s.name.startswith(name + "_")]


def known_signal(name: str) -> str:
    if not signal_members(name):
        raise FilterError(
            f"unknown signal '{name}'{_near(name, _signal_words())} (signals: {', '.join(SIGNAL_NAMES)})"
        )
    return name


def can_flag(name: str) -> bool:
    """Whether any signal a name covers can be a red flag."""
    return any(s.red_flag for s in signal_members(name))


def _signal_words() -> list[str]:
    words = set(SIGNAL_NAMES)
    for s in SIGNALS:
        parts = s.name.split("_")
        words.update("_".join(parts[:i]) for i in range(1, len(parts)))
    return sorted(words)


def _near(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return f" — did you mean {' or '.join(close)}?" if close else ""


def resolve(prefix: str | None, name: str, period: str | None = None) -> Ref:
    """The reference a name makes: ``checks.X``, ``signals.X``, ``metrics.X``, or a bare field, metric or count
    name (a field wins over the metric of the same name: gross_margin is the stated one)."""
    if prefix in ("check", "checks"):
        return Ref(kind="check", name=check_named(name).key)
    if prefix in ("signal", "signals", "flag", "flags"):
        return Ref(kind="signal", name=known_signal(name))
    if prefix in ("metric", "metrics"):
        if name not in METRICS:
            raise FilterError(
                f"unknown metric '{name}'{_near(name, list(METRICS))} (metrics: {', '.join(METRICS)})"
            )
        return _with_period(Ref(kind="metric", name=name), period)
    if prefix is not None:
        raise FilterError(f"unknown prefix '{prefix}.' (use checks., signals. or metrics.)")
    kind: RefKind
    if name in SPECS:
        kind = "field"
    elif name in METRICS:
        kind = "metric"
    elif name in COUNTS:
        kind = "count"
    else:
        known = [*SPECS, *METRICS, *COUNTS]
        raise FilterError(
            f"unknown field '{name}'{_near(name, known)} (fields: see `assistant screen --fields`; "
            "checks.<name>, signals.<name> and metrics.<name> name the others)"
        )
    return _with_period(Ref(kind=kind, name=name), period)


def _with_period(ref: Ref, period: str | None) -> Ref:
    if period is None:
        return ref
    if ref.kind == "field" and not SPECS[ref.name].per_year:
        raise FilterError(f"'{ref.name}' has no fiscal years: drop [{period}]")
    if ref.kind == "count":
        raise FilterError(f"'{ref.name}' has no fiscal years: drop [{period}]")
    return ref.model_copy(update={"period": period})


def value_kind(ref: Ref) -> str:
    """What a reference is compared with: number, text, date, state (checks: pass|fail|unknown) or signal."""
    if ref.kind == "check":
        return "state"
    if ref.kind == "signal":
        return "signal"
    if ref.kind == "count":
        return "number"
    if ref.kind == "metric":
        return "number"
    spec = SPECS[ref.name]
    return {"text": "text", "date": "date"}.get(spec.kind, "number")


def label(ref: Ref) -> str:
    """What a reference reads, in English and Chinese."""
    if ref.kind == "field":
        spec: FieldSpec = SPECS[ref.name]
        return f"{spec.en} / {spec.zh}"
    if ref.kind == "metric":
        metric: Metric = METRICS[ref.name]
        return f"{metric.en} / {metric.zh}"
    if ref.kind == "check":
        return check_named(ref.name).name
    if ref.kind == "signal":
        one = SIGNAL_NAMES.get(ref.name)
        return f"{one.en} / {one.zh}" if one else f"{ref.name} (signals)"
    return COUNTS.get(ref.name, ref.name)


def _ascii(check: CheckName) -> str:
    return next(a for a in check.aliases if re.fullmatch(r"[a-z_]+", a))


def _others(check: CheckName) -> list[str]:
    """A check's other names, each once."""
    seen = {fold(check.key)}
    out = []
    for alias in check.aliases:
        if fold(alias) not in seen:
            seen.add(fold(alias))
            out.append(alias)
    return out


def catalogue() -> str:
    """Every name a filter may use, for ``assistant screen --fields`` and the LLM's prompt."""
    lines = ["fields (latest fiscal year; field[2022] for another year):"]
    unit = {"percent": "percent, 10 is 10%", "money": "money, in its currency"}
    lines += [f"  {s.name} ({unit.get(s.kind, s.kind)}): {s.en} / {s.zh}" for s in SPECS.values()]
    lines.append("metrics (computed from the table rows; metrics.<name> when a field has the name too):")
    lines += [f"  {m.name} ({m.kind}): {m.en} / {m.zh}" for m in METRICS.values()]
    lines.append("checks (checks.<name> = pass | fail | unknown):")
    lines += [f"  checks.{c.key}: {c.name} — also {', '.join(_others(c)[:4])}" for c in CHECKS]
    lines.append(
        "signals (flag <name>: it is a red flag; signals.<name> < 12: its value; a family: its first words):"
    )
    lines += [f"  {s.name}: {s.en} / {s.zh}" for s in SIGNALS]
    lines += ["counts:", *(f"  {n}: {t}" for n, t in COUNTS.items())]
    return "\n".join(lines)


__all__ = [
    "CHECKS",
    "COUNTS",
    "SIGNALS",
    "SIGNAL_NAMES",
    "CheckName",
    "FilterError",
    "SignalName",
    "catalogue",
    "check_named",
    "check_of",
    "fold",
    "can_flag",
    "known_signal",
    "label",
    "resolve",
    "signal_members",
    "value_kind",
]
