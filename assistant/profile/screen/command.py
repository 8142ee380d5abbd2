"""``assistant screen QUERY [--json] [--as-of DATE] [--mode auto|filter|question] [--llm-fallback]`` and
``assistant screen --fields``. Wired into :mod:`assistant.cli.main` with :func:`add_parser` and :func:`cmd_screen`.
The command line is the local user: it screens every company of the store."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from assistant.core.errors import InputError
from assistant.profile.screen.model import Matched, ScreenResult

if TYPE_CHECKING:
    from assistant.core.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "screen",
        help="screen the companies with a filter or a question: which passed 专精特新 with revenue growth > 25%%?",
        description="Screen every company with a filter (rd_ratio > 10 and checks.专精特新 = pass) or a question in "
        "Chinese or English (哪些公司通过了专精特新且营收增长超过25%？); the filter that ran is shown.",
    )
    p.add_argument("query", nargs="?", help="a filter or a question (quote it)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--as-of", dest="as_of", help="reference date of qualifications and signals (YYYY-MM-DD)")
    p.add_argument(
        "--mode", choices=["auto", "filter", "question"], default="auto",
        help="auto (default): a filter if it parses, else a question",
    )  # fmt: skip
    p.add_argument(
        "--llm-fallback", dest="llm_fallback", action="store_true",
        help="ask the language model for the filter when the rules cannot read the question",
    )  # fmt: skip
    p.add_argument("--fields", action="store_true", help="list every name a filter may use, and exit")


def cmd_screen(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.services import Services
    from assistant.profile.screen.service import parse_as_of, screen_portfolio
    from assistant.profile.screen.vocabulary import catalogue

    if args.fields:
        print(catalogue())
        return 0
    if not args.query:
        raise InputError(
            'give a filter or a question, e.g. assistant screen "rd_ratio > 10" (names: --fields)'
        )
    as_of = parse_as_of(args.as_of)
    services = Services(settings)
    translate = None
    if args.llm_fallback:
        from assistant.models.llm_queue import QueuedChat
        from assistant.profile.screen.llm import llm_translator

        translate = llm_translator(
            QueuedChat(inner=lambda: services.llm, queue=services.llm_queue), settings.prompts_dir
        )
    result = screen_portfolio(
        services.store, args.query, None, as_of=as_of, mode=args.mode, translate=translate
    )
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render_text(result))
    return 0


def _value(m: Matched) -> str:
    if m.value is None:
        return "unknown"
    unit = "" if m.unit in (None, "count", "date") else ("%" if m.unit == "%" else f" {m.unit}")
    period = f" ({m.period})" if m.period else ""
    return f"{m.value}{unit}{period}"


def render_text(result: ScreenResult) -> str:
    """The result for a terminal: the filter that ran, then each company with its values and sources."""
    how = {
        "filter": "",
        "rules": " (read from the question by rules)",
        "llm": " (read from the question by the model)",
    }
    lines = [
        f"filter: {result.filter}{how[result.source]}",
        f"as of {result.as_of}: {len(result.matches)} of {result.considered} companies match"
        + (f", {len(result.undecided)} undecided" if result.undecided else ""),
        "",
    ]
    for company in result.matches:
        lines.append(f"✓ {company.company}")
        lines += _values(company.values)
    for company in result.undecided:
        lines.append(f"? {company.company} — undecided: {'; '.join(company.missing)}")
        lines += _values([m for m in company.values if m.outcome != "unknown"])
    if result.not_matched:
        lines.append(f"✗ not matched: {', '.join(result.not_matched)}")
    for name, why in result.errors.items():
        lines.append(f"! {name}: {why}")
    return "\n".join(lines) + "\n"


def _values(values: list[Matched]) -> list[str]:
    out = []
    for m in values:
        out.append(f"    {m.condition}: {_value(m)} — {m.label}")
        for c in m.evidence[:2]:
            page = f" p.{c.page}" if c.page else ""
            quote = " ".join(c.quote.split())
            out.append(f"        {c.doc}{page}: “{quote[:110]}{'…' if len(quote) > 110 else ''}”")
    return out


__all__ = ["add_parser", "cmd_screen", "render_text"]
