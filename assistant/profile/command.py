"""``assistant profile COMPANY --format json|md|html [--out FILE] [--as-of DATE] [--summary]``.

Wired into :mod:`assistant.cli.main` with :func:`add_parser` and :func:`cmd_profile` (kept here so the CLI
module only registers the command).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import InputError

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.store.index import Store


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "profile",
        help="a company's profile: fields with evidence, checks, red flags (the LLM only with --summary)",
    )
    p.add_argument("company", help="company name or alias, as `assistant companies` lists it")
    p.add_argument(
        "--format", choices=["json", "md", "html"], default="json", help="output format (default json)"
    )
    p.add_argument("--out", type=Path, help="write to this file instead of stdout")
    p.add_argument(
        "--as-of",
        dest="as_of",
        help="reference date for qualification expiry and signals (YYYY-MM-DD, default today)",
    )
    p.add_argument(
        "--llm-extract",
        dest="llm_extract",
        action="store_true",
        help="ask the embedded LLM (JSON schema) for fields the rules left unknown; verified like rules",
    )
    p.add_argument(
        "--summary",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="add the LLM's RM summary, verified against the fields' evidence (default --no-summary)",
    )


def resolve_company(store: Store, name: str) -> str:
    """The stored company a name or alias refers to."""
    known = [c.company for c in store.companies()]
    if name in known:
        return name
    from assistant.ingest.companies import match_companies

    aliases = store.aliases()
    matched = match_companies(name, {c: aliases.get(c, []) for c in known})
    if len(matched) == 1:
        return matched[0]
    if not matched:
        raise InputError(f"unknown company '{name}' (see `assistant companies`)")
    raise InputError(f"'{name}' matches several companies: {', '.join(matched)}")


def cmd_profile(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.services import Services
    from assistant.profile.build import build_profile
    from assistant.profile.render import render

    try:
        today = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        raise InputError(f"--as-of must be a date YYYY-MM-DD, not '{args.as_of}'") from None
    services = Services(settings)
    store = services.store
    company = resolve_company(store, args.company)
    summarizer = None
    if getattr(args, "summary", False):
        from assistant.profile.summary import ProfileSummarizer

        summarizer = ProfileSummarizer(lambda: services.llm, settings.prompts_dir)
    extractor = None
    if getattr(args, "llm_extract", False):
        from assistant.models.llm import JSON_BACKENDS
        from assistant.models.llm_queue import QueuedChat
        from assistant.profile.extract.llm import LLMFieldExtractor, backend_completer

        if settings.llm_backend not in JSON_BACKENDS:
            raise InputError(
                "--llm-extract needs the embedded llama.cpp model (ASSISTANT_LLM_BACKEND=llamacpp)"
            )
        queued = QueuedChat(inner=lambda: services.llm, queue=services.llm_queue)
        extractor = LLMFieldExtractor(backend_completer(queued), settings.prompts_dir)
    profile = build_profile(store, company, today=today, llm_extractor=extractor, summarizer=summarizer)
    text = render(profile, args.format)
    if args.out:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.out}: {exc}") from exc
        print(f"{company}: {args.format} profile written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
