"""``assistant serve [--host H] [--port P] [--auth-config FILE] [--workers N]``: the web app and the REST API
(:mod:`assistant.serve.api`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.core.settings import Settings


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the web app (/ui) and the REST API (/api, docs at /docs)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument(
        "--auth-config",
        type=Path,
        help="users file, TOML or YAML (default: $ASSISTANT_AUTH_CONFIG); "
        "required to serve on a non-loopback address",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1). More than 1 serves the REST API only and needs the Chroma server "
        "(ASSISTANT_STORE_BACKEND=chroma-http) and, to be useful, a model server (ASSISTANT_LLM_BACKEND=openai)",
    )
    p.add_argument(
        "--allow-model-copies",
        action="store_true",
        help="with --workers > 1 and the embedded llama.cpp model: load one copy of the model per worker anyway",
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.services import Services
    from assistant.serve.api import check_workers, serve
    from assistant.serve.auth import config_path, load_auth_config

    path = config_path(args.auth_config, settings)
    check_workers(settings, args.workers, args.allow_model_copies)  # refused: before anything is said
    if args.workers > 1:
        print(
            f"{args.workers} worker processes serve the REST API (/api, /docs); the web app (/ui) needs a server "
            "of one process on the same store beside it (e.g. assistant serve --port 7861)",
            file=sys.stderr,
        )
    serve(
        Services(settings),
        host=args.host,
        port=args.port,
        auth_config=load_auth_config(path) if path else None,
        workers=args.workers,
        allow_model_copies=args.allow_model_copies,
    )
    return 0


COMMANDS = {"serve": cmd_serve}
