"""``assistant batch --companies all|FILE --out DIR [--workers N] [--engine local|ray] [--ray-address ADDR]
[--read driver|workers] [--summary/--no-summary] [--as-of DATE] [--force] [--json]``.

Wired into :mod:`assistant.cli.main` with :func:`add_parser` and :func:`cmd_batch` (kept here so the CLI module
only registers the command). ``FILE`` lists companies one per line (names or aliases; blank lines and
``#`` comments ignored), or is a CSV file with a ``company`` column. Exit code 0 when every company was
profiled, 1 when some failed (they are in summary.csv with their error, and retried by the next run),
2 for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.core.errors import InputError

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.store.index import Store


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "batch",
        help="profile many companies: profiles.jsonl, a Markdown and HTML report each, summary.csv (resumable)",
    )
    p.add_argument(
        "--companies",
        default="all",
        help="'all' (every stored company, default) or a file of company names (one per line, or a CSV "
        "with a 'company' column)",
    )
    p.add_argument(
        "--out", type=Path, required=True, help="output folder (a rerun skips the companies already done)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="companies profiled at once (default 1; on a joined Ray cluster: as many as it has CPUs)",
    )
    p.add_argument(
        "--engine",
        choices=["local", "ray"],
        default=None,
        help="local (default): this process or a process pool; ray: Ray tasks on the cluster at "
        "--ray-address, else on a local Ray cluster started for the run",
    )
    p.add_argument(
        "--ray-address",
        dest="ray_address",
        default=None,
        help="join this Ray cluster (HOST:PORT of `ray start --head`, or auto; default "
        "$ASSISTANT_RAY_ADDRESS) — implies --engine ray",
    )
    p.add_argument(
        "--read",
        choices=["driver", "workers"],
        default="driver",
        help="who reads each company's chunks from the store: driver (default: sent with the task, workers "
        "need no store) or workers (each opens the store from the settings: the same path on every node, "
        "a shared filesystem)",
    )
    p.add_argument(
        "--summary",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="add the LLM's verified RM summary to each profile (slow: about half a minute per company "
        "on 2 cores; default --no-summary)",
    )
    p.add_argument(
        "--as-of",
        dest="as_of",
        help="reference date for qualification expiry and signals (YYYY-MM-DD, default today)",
    )
    p.add_argument(
        "--force", action="store_true", help="profile every company again, even those already done"
    )
    p.add_argument("--json", action="store_true", help="print the run's report as JSON")


def read_company_list(path: Path) -> list[str]:
    """Company names from a file: one per line, or a CSV file with a ``company`` column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read the company list {path}: {exc}") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: the company list must be UTF-8 text") from None
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line and not line.startswith("#")), "")
    if "," in first and "company" in [c.strip().lower() for c in first.split(",")]:
        reader = csv.DictReader(io.StringIO(text))
        key = next(k for k in reader.fieldnames or [] if k.strip().lower() == "company")
        names = [(row.get(key) or "").strip() for row in reader]
    else:
        names = [line for line in lines if not line.startswith("#")]
    return list(dict.fromkeys(n for n in names if n))


def resolve_list(store: Store, names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Stored companies the names refer to (aliases allowed), and the names that match none (→ error)."""
    from assistant.profile.command import resolve_company

    found: list[str] = []
    unresolved: dict[str, str] = {}
    for name in names:
        try:
            company = resolve_company(store, name)
        except InputError as exc:
            unresolved[name] = str(exc)
            continue
        if company not in found:
            found.append(company)
    return found, unresolved


def _engine_options(
    args: argparse.Namespace, settings: Settings
) -> tuple[Literal["local", "ray"], str | None, int]:
    """The engine, the Ray cluster to join and the workers: ``--ray-address`` (else the settings' address, used
    with ``--engine ray``) implies the ray engine; on a joined cluster the workers default to its CPUs (0)."""
    chosen = args.engine or ("ray" if args.ray_address else "local")
    if args.ray_address and chosen != "ray":
        raise InputError("--ray-address needs --engine ray")
    engine: Literal["local", "ray"] = "ray" if chosen == "ray" else "local"
    address: str | None = (args.ray_address or settings.ray_address or None) if engine == "ray" else None
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1")
    workers: int = args.workers if args.workers is not None else (0 if address else 1)
    return engine, address, workers


def cmd_batch(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.profile.batch import BatchOptions, open_store, run_batch

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        raise InputError(f"--as-of must be a date YYYY-MM-DD, not '{args.as_of}'") from None
    engine, address, workers = _engine_options(args, settings)
    store = open_store(settings)
    companies: list[str] | None = None
    unresolved: dict[str, str] = {}
    if args.companies != "all":
        companies, unresolved = resolve_list(store, read_company_list(Path(args.companies)))
        if not companies and not unresolved:
            raise InputError(f"{args.companies} names no company")
    elif not store.companies():
        raise InputError("no companies in the store yet: run `assistant ingest` first")
    options = BatchOptions(
        out=args.out,
        workers=workers,
        engine=engine,
        summary=args.summary,
        as_of=as_of,
        force=args.force,
        ray_address=address,
        read=args.read,
    )
    # stdout holds this command's own output (the --json report): what a library prints during the run — Ray's
    # driver prints the cluster's error messages there, e.g. "a worker died" — goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        report = run_batch(store, companies, options, settings, unresolved)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        for company, error in report.failures.items():
            print(f"failed    {company}: {error}")
        rate = f", {report.companies_per_minute:,.0f} companies/minute" if report.companies_per_minute else ""
        summaries = ", ".join(f"{n} {path}" for path, n in sorted(report.summary_paths.items()))
        print(
            f"{report.companies} companies: {report.profiled} profiled, {report.skipped} already done, "
            f"{report.failed} failed in {report.seconds:.1f}s{rate}"
            + (f"; summaries: {summaries}" if summaries else "")
            + f"\noutputs: {args.out / 'profiles.jsonl'}, {args.out / 'summary.csv'}, {args.out / 'reports'}/"
        )
    sys.stdout.flush()
    return 0 if report.ok else 1


__all__ = ["add_parser", "cmd_batch", "read_company_list", "resolve_list"]
