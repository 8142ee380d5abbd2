"""``assistant store copy --from DIR --to http://HOST:PORT [--to-store DIR2]``: an embedded store moved to a
Chroma server without re-embedding (:mod:`assistant.store.transfer`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.core.settings import Settings


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "store", help="the store itself: `store copy` moves an embedded store to a Chroma server"
    )
    actions = p.add_subparsers(dest="store_action", required=True)
    c = actions.add_parser(
        "copy",
        help="copy an embedded store to a Chroma server: vectors as they are (no re-embedding), the ledger "
        "and keyword index to the copy's own store directory",
    )
    c.add_argument(
        "--from", dest="source", metavar="DIR", type=Path, required=True, help="the embedded store directory"
    )
    c.add_argument(
        "--to", dest="url", required=True, help="the Chroma server: http://HOST:PORT (https:// for TLS)"
    )
    c.add_argument(
        "--to-store",
        metavar="DIR",
        type=Path,
        help="store directory of the copy, for its ledger and keyword index (default: the global --store or "
        "$ASSISTANT_STORE); must not be the --from directory",
    )
    c.add_argument("--json", action="store_true")


def cmd_store(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.store.remote import chroma_server
    from assistant.store.transfer import copy_store

    base = chroma_server(settings.model_copy(update={"store_backend": "chroma-http"}))
    assert base is not None
    server = base.at(args.url)
    target = args.to_store or settings.store
    copied = 0

    def progress(n: int) -> None:
        nonlocal copied
        copied += n
        if not args.json and sys.stderr.isatty():
            print(f"\r{copied} passages copied", end="", file=sys.stderr, flush=True)

    report = copy_store(args.source, target, server, on_batch=progress)
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return 0
    if sys.stderr.isatty():
        print(file=sys.stderr)
    passages = sum(report.collections.values())
    print(
        f"copied {passages} passages ({', '.join(report.collections) or 'no collection'}) to {report.server} "
        f"and the ledger of {report.documents} documents to {report.target} in {report.seconds:.1f}s"
    )
    print(
        f"use it: ASSISTANT_STORE={report.target} ASSISTANT_STORE_BACKEND=chroma-http "
        f"ASSISTANT_CHROMA_HOST={server.host} ASSISTANT_CHROMA_PORT={server.port}"
        + (" ASSISTANT_CHROMA_SSL=true" if server.ssl else "")
        + " assistant companies"
    )
    return 0


COMMANDS = {"store": cmd_store}
