"""A filter run over one company's profile, in code: each condition reads its value (a field with its evidence, a
metric computed from the facts of the company's tables, a check's result, a signal) and compares it. Logic is
three-valued: a value the documents do not give makes its condition ``unknown``, and a company the filter cannot
decide is reported as undecided with what is missing, never as a match or a miss."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from assistant.core.records import Citation, Fact
from assistant.facts.metrics import BY_NAME, Computed, Metric, compute, evaluate, inputs
from assistant.profile.schema import SPECS, FieldValue, Profile, Signal
from assistant.profile.screen.model import And, Condition, Matched, Node, Not, Or, Truth
from assistant.profile.screen.vocabulary import SIGNAL_NAMES, check_of, label, signal_members

_CMP: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": lambda a, b: abs(a - b) <= 1e-9 * max(1.0, abs(b)),
    "!=": lambda a, b: abs(a - b) > 1e-9 * max(1.0, abs(b)),
}
_TEXT_CMP: dict[str, Callable[[str, str], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
}
_NOT: dict[Truth, Truth] = {"true": "false", "false": "true", "unknown": "unknown"}


def _truth(flag: bool) -> Truth:
    return "true" if flag else "false"


def match(node: Node, profile: Profile, facts: Sequence[Fact] = ()) -> tuple[Truth, list[Matched]]:
    """The filter's outcome for one company, and the conditions that decided it (for a match: every condition
    that holds; for a miss: those that failed; undecided: those the documents cannot decide, and those that held)."""
    if isinstance(node, Condition):
        found = read(node, profile, facts)
        return found.outcome, [found]
    if isinstance(node, Not):
        truth, why = match(node.arg, profile, facts)
        return _NOT[truth], why
    results = [match(arg, profile, facts) for arg in node.args]
    decisive: Truth = "false" if isinstance(node, And) else "true"
    if any(t == decisive for t, _ in results):
        return decisive, [m for t, why in results if t == decisive for m in why]
    if any(t == "unknown" for t, _ in results):
        return "unknown", [m for _, why in results for m in why]
    assert isinstance(node, And | Or)
    return _NOT[decisive], [m for _, why in results for m in why]


def read(cond: Condition, profile: Profile, facts: Sequence[Fact] = ()) -> Matched:
    """One condition for one company: the value read, the outcome, and the evidence."""
    kind = cond.ref.kind
    if kind == "field":
        return _field(cond, profile)
    if kind == "metric":
        return _metric(cond, profile, facts)
    if kind == "check":
        return _check(cond, profile)
    if kind == "signal":
        return _signal(cond, profile)
    flags = [s for s in profile.signals if s.kind == "red_flag"]
    out = _base(cond, len(flags), "count")
    out.detail = ", ".join(
        dict.fromkeys(f"{s.name} ({s.value})" if s.value is not None else s.name for s in flags)
    )
    out.evidence = [c for s in flags for c in s.evidence[:1]][:5]
    return _compared(out, cond, float(len(flags)))


def _base(cond: Condition, value: float | int | str | None, unit: str | None = None) -> Matched:
    return Matched(condition=cond.text(), outcome="unknown", label=label(cond.ref), value=value, unit=unit)


def _compared(out: Matched, cond: Condition, value: float | str | None) -> Matched:
    """``out`` with the outcome of comparing ``value`` (None: unknown)."""
    if value is None:
        out.outcome = "unknown"
    elif isinstance(value, str):
        want = str(cond.value)
        if cond.op == "~":
            out.outcome = _truth(want.casefold() in value.casefold())
        elif cond.ref.kind == "field" and SPECS[cond.ref.name].kind == "date":
            got = value[: len(want)]  # founded < "2018": compared at the precision written
            out.outcome = _truth(_TEXT_CMP[cond.op](got, want))
        else:
            same = value.strip().casefold() == want.strip().casefold()
            out.outcome = _truth(same if cond.op == "=" else not same)
    else:
        if isinstance(cond.value, str) or cond.op == "~":
            out.outcome = "unknown"
        else:
            out.outcome = _truth(_CMP[cond.op](value, float(cond.value)))
    return out


# ---- fields ----------------------------------------------------------------------------------------
def _field(cond: Condition, profile: Profile) -> Matched:
    name, period = cond.ref.name, cond.ref.period
    fv: FieldValue | None = (
        profile.financials.get(period, {}).get(name) if period else profile.fields.get(name)
    )
    if fv is None or fv.status == "unknown" or fv.value is None:
        out = _base(cond, None, SPECS[name].unit)
        out.period = period
        where = ", ".join(fv.looked_in[:4]) if fv is not None and fv.looked_in else ""
        out.detail = f"not in the documents{' (looked in ' + where + ')' if where else ''}"
        return out
    out = _base(cond, fv.value, fv.unit)
    out.period, out.evidence = fv.period, list(fv.evidence[:3])
    if fv.status == "conflict":
        out.detail = "documents disagree: the most reliable source's value (see the profile's conflicts)"
    if cond.currency and fv.unit != cond.currency:
        out.detail = f"in {fv.unit}; the filter compares {cond.currency}"
        return out  # unknown: no exchange rates here
    value = fv.value if isinstance(fv.value, str) else float(fv.value)
    return _compared(out, cond, value)


# ---- metrics ---------------------------------------------------------------------------------------
def _metric(cond: Condition, profile: Profile, facts: Sequence[Fact]) -> Matched:
    metric = BY_NAME[cond.ref.name]
    unit = "%" if metric.kind in ("percent", "points") else None
    found = compute(metric, list(facts), cond.ref.period)
    if isinstance(found, Computed):
        value = round(float(found.value), 2 if unit else 4)
        out = _base(cond, value, unit or found.currency)
        out.period = found.period
        used = ", ".join(f"{name} {f.raw} ({f.period})" for name, f in found.used.items())
        out.detail = f"{metric.formula}; {used}" if metric.stated not in found.used else f"stated: {used}"
        cited = [Citation(doc=f.doc, page=f.page, quote=f.quote) for f in found.used.values()]
        out.evidence = _distinct(cited)[:4]
    else:
        fallback = _from_profile(metric, profile, cond.ref.period)
        if fallback is None:
            out = _base(cond, None, unit)
            out.period = found.period
            out.detail = f"not in the documents: {', '.join(found.missing)} (for {metric.formula})"
            return out
        value, period, used_fields = fallback
        out = _base(cond, value, unit)
        out.period = period
        out.detail = f"{metric.formula}; " + ", ".join(
            f"{k} {v.raw or v.value}" for k, v in used_fields.items()
        )
        out.evidence = _distinct([c for v in used_fields.values() for c in v.evidence[:1]])[:4]
    if cond.currency and out.unit not in (cond.currency, "%", None):
        out.detail += f" (in {out.unit}; the filter compares {cond.currency})"
        return out
    return _compared(out, cond, float(value))


def _distinct(cited: list[Citation]) -> list[Citation]:
    out: list[Citation] = []
    for c in cited:
        if c not in out:
            out.append(c)
    return out


def _from_profile(
    metric: Metric, profile: Profile, period: str | None
) -> tuple[float, str, dict[str, FieldValue]] | None:
    """The metric from the profile's per-year fields when the facts lack an input (latest year first)."""
    names = inputs(metric.formula)
    if not all((n[5:] if n.startswith("prev_") else n) in SPECS for n in names):
        return None
    years = [period] if period else sorted(profile.financials, reverse=True)
    for year in years:
        if not re.fullmatch(r"\d{4}", year or ""):
            continue
        used: dict[str, FieldValue] = {}
        for n in names:
            item, when = (n[5:], str(int(year) - 1)) if n.startswith("prev_") else (n, year)
            fv = profile.financials.get(when, {}).get(item)
            if fv is None or fv.status == "unknown" or not isinstance(fv.value, int | float):
                break
            used[n] = fv
        else:
            if len({v.unit for v in used.values() if v.unit != "%"}) > 1:
                continue
            try:
                value = evaluate(metric.formula, {n: Decimal(str(v.value)) for n, v in used.items()})
            except (ZeroDivisionError, InvalidOperation):
                continue
            digits = 2 if metric.kind in ("percent", "points") else 4
            return round(float(value), digits), year, used
    return None


# ---- checks and signals ----------------------------------------------------------------------------
def _check(cond: Condition, profile: Profile) -> Matched:
    check = check_of(cond.ref.name, profile.checks)
    if check is None:
        out = _base(cond, None)
        out.detail = "the profile has no such check"
        return out
    out = _base(cond, check.result)
    missing = f"missing: {', '.join(check.missing)}. " if check.missing else ""
    out.detail = missing + check.explanation
    out.evidence = _input_evidence(check.inputs, profile)
    if check.result == "unknown" and cond.value != "unknown":
        return out  # the rules cannot tell pass from fail: undecided
    same = check.result == cond.value
    out.outcome = _truth(same if cond.op == "=" else not same)
    return out


def _input_evidence(used: dict[str, object], profile: Profile) -> list[Citation]:
    """The evidence of a check's inputs (``rd_expense[2023]`` is that year's field)."""
    out: list[Citation] = []
    for key in used:
        m = re.fullmatch(r"(?P<name>[a-z0-9_]+)(?:\[(?P<year>\d{4})\])?", key)
        if not m:
            continue
        year = m.group("year")
        fv = profile.financials.get(year, {}).get(m["name"]) if year else profile.fields.get(m["name"])
        for c in fv.evidence[:1] if fv is not None else []:
            if c not in out:
                out.append(c)
    return out[:5]


def _signal(cond: Condition, profile: Profile) -> Matched:
    members = {s.name for s in signal_members(cond.ref.name)}
    present = [s for s in profile.signals if s.name in members]
    flagged = [s for s in present if s.kind == "red_flag"]
    shown = flagged or present
    out = _base(cond, _signal_value(shown))
    out.detail = " ".join(s.explanation for s in shown[:4])
    out.evidence = [c for s in shown for c in s.evidence[:2]][:5]
    if cond.value in ("red_flag", "signal", "absent"):
        holds = {"red_flag": bool(flagged), "signal": bool(present), "absent": not present}[str(cond.value)]
        if (
            not holds
            and cond.value != "absent"
            and _undecidable(members - {s.name for s in present}, profile)
        ):
            out.detail = (
                out.detail + " " if out.detail else ""
            ) + "the documents lack what it is computed from"
            return out
        out.outcome = _truth(holds if cond.op == "=" else not holds)
        return out
    if isinstance(cond.value, str):
        text = " ".join(str(s.value) for s in shown if s.value is not None)
        return _compared(out, cond, text if shown else None)
    number = next((float(s.value) for s in shown if isinstance(s.value, int | float)), None)
    return _compared(out, cond, number)


def _signal_value(signals: list[Signal]) -> float | int | str | None:
    values = [s.value for s in signals if s.value is not None]
    if len(values) == 1:
        return values[0]
    return ", ".join(str(v) for v in values) if values else None


def _undecidable(absent: set[str], profile: Profile) -> bool:
    """Whether a signal's absence says nothing: it is computed from fields the documents do not give."""
    for name in absent:
        needs = SIGNAL_NAMES[name].requires if name in SIGNAL_NAMES else ()
        if any(
            (fv := profile.fields.get(field)) is None or fv.status == "unknown" or fv.value is None
            for field in needs
        ):
            return True
    return False


__all__ = ["match", "read"]
