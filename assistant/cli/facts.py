"""``assistant facts COMPANY`` (the typed figures of its tables, each with its row) and ``assistant metric
COMPANY METRIC`` (a credit metric computed from them, with its formula and the row of each input)."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from assistant.core.errors import InputError
from assistant.core.settings import Settings


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "facts", help="the figures of a company's tables: line item, year, value, unit and row"
    )
    p.add_argument("company")
    p.add_argument("--item", help="one line item (revenue, current_assets …)")
    p.add_argument("--year", help="one fiscal year")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--reread",
        action="store_true",
        help="read the facts of its stored documents again from their passages first (a store ingested "
        "before facts existed, or before the facts reader improved); the files are not needed",
    )

    p = sub.add_parser("metric", help="a credit metric computed from a company's facts, with its inputs")
    p.add_argument("company")
    p.add_argument("metric", help="quick_ratio, working_capital, gross_margin … (`assistant metric X list`)")
    p.add_argument("--year", help="fiscal year (default: the latest with every input)")
    p.add_argument("--json", action="store_true")


def _company(settings: Settings, name: str) -> tuple[Any, str]:
    from assistant.core.services import Services

    services = Services(settings)
    company = services.answerer.resolve_company("", name)  # an unknown name is an error listing the known
    assert company is not None
    return services, company


def cmd_facts(args: argparse.Namespace, settings: Settings) -> int:
    services, company = _company(settings, args.company)
    if args.reread:
        from assistant.facts.read import stored_facts

        chunks = services.store.company_texts(company)
        for _, doc in services.store.documents(company):
            found = stored_facts(company, doc, chunks)
            services.store.replace_facts(company, doc, found)
            print(f"{doc}: {len(found)} facts read again from its stored passages", file=sys.stderr)
    facts = services.store.facts(company, args.item, args.year)
    if args.json:
        print(json.dumps([f.model_dump() for f in facts], ensure_ascii=False, indent=2))
        return 0
    for f in facts:
        page = f" p.{f.page}" if f.page else ""
        scope = "" if f.scope == "consolidated" else f" ({f.scope})"
        print(
            f"{f.item or '-':<28} {f.period or '-':<6} {f.value:>20} {f.unit or '':<4}{scope}  {f.doc}{page}"
        )
        print(f"    {f.quote[:110]}")
    if not facts:
        print(
            f"no facts of {company}"
            + (f" for {args.item}" if args.item else "")
            + " (tables with known line items)"
        )
    return 0


def cmd_metric(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.facts.metrics import BY_NAME, Computed, compute

    if args.metric == "list" or args.metric not in BY_NAME:
        names = ", ".join(BY_NAME)
        if args.metric == "list":
            print(names)
            return 0
        raise InputError(f"unknown metric '{args.metric}' (known: {names})")
    services, company = _company(settings, args.company)
    metric = BY_NAME[args.metric]
    got = compute(metric, services.store.facts(company), args.year)
    if not isinstance(got, Computed):
        what = f"{company} {metric.name}" + (f" for {got.period}" if got.period else "")
        message = f"{what}: no fact gives {', '.join(got.missing)}"
        if args.json:
            print(json.dumps({"metric": metric.name, "period": got.period, "missing": got.missing}))
        else:
            print(message, file=sys.stderr)
        return 1
    inputs = {name: f.model_dump() for name, f in got.used.items()}
    if args.json:
        out = {"company": company, "metric": metric.name, "period": got.period, "value": str(got.value),
               "kind": metric.kind, "currency": got.currency, "formula": metric.formula, "inputs": inputs}  # fmt: skip
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    shown = got.value.quantize(Decimal("0.01")) if metric.kind != "money" else got.value
    unit = "%" if metric.kind == "percent" else (f" {got.currency}" if got.currency else "")
    print(f"{company} {metric.name} FY{got.period}: {shown}{unit}   = {metric.formula}")
    for name, f in got.used.items():
        page = f" p.{f.page}" if f.page else ""
        print(f"  {name:<22} {f.value:>20} {f.unit or ''}  {f.doc}{page}: {f.quote[:90]}")
    return 0


COMMANDS = {"facts": cmd_facts, "metric": cmd_metric}
