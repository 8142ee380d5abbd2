"""The REST API (FastAPI) with the web app mounted at ``/ui`` and OpenAPI docs at ``/docs``.

    app = build_api(services, load_auth_config("users.toml"))    # or auth_config=None: local use only
    serve(services, host="0.0.0.0", port=7860, auth_config=...)   # refuses a public bind without users
    serve(services, ..., workers=4)   # uvicorn worker processes, each building its app with worker_app()

Every ``/api`` call passes :class:`Gate` (an ASGI middleware) first: it authenticates (HTTP Basic for
users, ``Authorization: Bearer <token>`` for programs; 401 otherwise), refuses bodies over the size
limit (413), and afterwards appends one audit entry (user, action = the route's name, company, HTTP
status, details the endpoint noted; ``/api/health`` alone is public and not recorded). Endpoints live in
:mod:`assistant.serve.routes` (what they share — the context, the caller, the audit note — is
:mod:`assistant.serve.deps`); a new feature adds its routes there, or an ``APIRouter`` in its own module
listed in :func:`_routers` (or passed as ``build_api(..., routers=[...])``).

What must hold across processes lives in the store directory, so several worker processes serve one store
alike: the audit chain (``audit.sqlite3``), the sign-in back-off and the follow-up conversations
(``server.sqlite3``), batch jobs (``jobs/``), documents (the ledger, under ``write.lock``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer.answerer import Answerer
from assistant.core.errors import AssistantError, ConfigError, InputError
from assistant.core.records import FileReport
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.uploads import Uploads
from assistant.models.llm import model_label
from assistant.models.llm_queue import LLMQueue, QueuedChat
from assistant.serve import jobs_routes, routes
from assistant.serve.actions import Portal
from assistant.serve.asking import AskRunner, Conversations
from assistant.serve.audit import AuditLog
from assistant.serve.auth import LOCAL, AuthConfig, Principal, load_auth_config
from assistant.serve.deps import ApiContext, note, status_of
from assistant.serve.gate import API, MULTIPART_OVERHEAD, Gate
from assistant.serve.jobs import exclusive, owner_lookup
from assistant.serve.throttle import SignIns

log = logging.getLogger("assistant.serve.api")


# ---- errors ------------------------------------------------------------------------------------
def _install_error_handlers(app: FastAPI) -> None:
    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        for e in errors:
            if e.get("type") == "json_invalid":
                why = (e.get("ctx") or {}).get("error", "")
                detail = f"malformed JSON in the request body: {why}".rstrip(": ")
                note(request, error=detail)
                return JSONResponse({"detail": detail}, status_code=400)
        if any(tuple(e.get("loc", ())) == ("body",) for e in errors):
            detail = "the request body must be a JSON object (Content-Type: application/json)"
            note(request, error=detail)
            return JSONResponse({"detail": detail}, status_code=400)
        parts = []
        for e in errors:
            loc = list(e.get("loc", ()))
            where = ".".join(
                str(x) for x in (loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
            )
            parts.append(f"{where or 'body'}: {e.get('msg')}")
        detail = "; ".join(parts)
        note(request, error=detail)
        return JSONResponse({"detail": detail, "errors": _plain(errors)}, status_code=422)

    async def assistant_error(request: Request, exc: Exception) -> JSONResponse:
        note(request, error=str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        note(request, error=exc.detail)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(AssistantError, assistant_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _plain(errors: list[Any]) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": e.get("type")} for e in errors]


# ---- the app -----------------------------------------------------------------------------------
SHARED = "server.sqlite3"  # in the store directory: the state every worker process of the server shares


class SharedUploads(Uploads):
    """Uploads that every process of the server ingests and removes one at a time, as the threads of one process
    do (a flock on ``<store>/uploads.lock``): one process never moves or removes a company's upload folder under
    another's feet."""

    def ingest(self, temp: Path, company: str, name: str) -> FileReport:
        with exclusive(self.root.parent / "uploads.lock"):
            return super().ingest(temp, company, name)

    def remove(self, company: str, doc: str) -> bool:
        with exclusive(self.root.parent / "uploads.lock"):
            return super().remove(company, doc)


def _routers() -> list[APIRouter]:
    from assistant.serve import screen_routes

    return [routes.router, routes.admin, jobs_routes.router, screen_routes.router]


def build_api(
    services: Services,
    auth_config: AuthConfig | None = None,
    *,
    audit: AuditLog | None = None,
    ui: bool = True,
    max_pending_asks: int = 64,
    routers: Sequence[APIRouter] = (),
    worker: int | None = None,
) -> FastAPI:
    """The API (and, with ``ui``, the web app at /ui) over ``services``. Without ``auth_config`` every
    caller is the local admin: only for a server bound to the loopback address (see :func:`serve`).
    ``worker``: this process's id when it is one of several worker processes (noted in each audit entry)."""
    queue: LLMQueue | None = getattr(services, "llm_queue", None)
    if queue is not None:  # Services already puts its model behind a queue
        answerer = services.answerer
    else:
        queue = LLMQueue()
        queued = QueuedChat(inner=lambda: services.llm, queue=queue)
        answerer = Answerer(services.store, lambda: queued, services.settings, model_label(services.settings))
        services.answerer = answerer  # the web app takes its turn in the same queue
    uploads = SharedUploads(services.store, services.settings)
    root = Path(services.settings.store)
    ctx = ApiContext(
        services=services,
        auth=auth_config,
        audit=audit or AuditLog(root / "audit.sqlite3", worker=worker),
        queue=queue,
        answerer=answerer,
        uploads=uploads,
        asks=AskRunner(answerer, queue, max_pending_asks, conversations=Conversations(root / SHARED)),
        portal=Portal(services, answerer, uploads),
        sign_ins=SignIns.shared(root / SHARED),
    )
    app = FastAPI(
        title="SME Credit Assistant API",
        description="Companies, search, answers with citations, documents and the audit log. "
        "Authenticate with HTTP Basic (users) or `Authorization: Bearer <token>` (programs).",
        version="1",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    ctx.portal.jobs.resume(owner_lookup(auth_config))  # batch jobs a stopped server left unfinished
    _install_error_handlers(app)
    for r in [*_routers(), *routers]:
        app.include_router(r, prefix=API)
    app.add_middleware(Gate, ctx=ctx)
    if ui:
        _mount_ui(app, ctx)
    return app


def _mount_ui(app: FastAPI, ctx: ApiContext) -> None:
    """The web app at /ui behind :class:`assistant.serve.webgate.WebGate` (routes, sessions, files, sign-in)."""
    import gradio as gr
    from starlette.routing import Mount

    from assistant.serve import web
    from assistant.serve.webgate import PREFIX, Owners, WebGate

    owners = Owners()
    access = WebAccess(ctx.auth, ctx.audit, owners)
    blocks = web.build_app(ctx.services, access=access, portal=ctx.portal)
    blocks.queue(default_concurrency_limit=1, api_open=False)

    async def login(username: str, password: str) -> bool:
        """Gradio's sign-in check (the gate audits and throttles it); bcrypt runs off the event loop."""
        assert ctx.auth is not None
        auth = ctx.auth
        return await anyio.to_thread.run_sync(auth.verify_password, username, password) is not None

    gr.mount_gradio_app(
        app,
        blocks,
        path=PREFIX,
        auth=login if ctx.auth else None,
        css=getattr(web, "CSS", None),
        show_error=False,
        footer_links=[],
        max_file_size=ctx.uploads.max_bytes,
    )

    def gradio_app() -> Any:
        return next((r.app for r in app.routes if isinstance(r, Mount) and r.path == PREFIX), None)

    app.add_middleware(
        WebGate,
        auth=ctx.auth,
        audit=ctx.audit,
        owners=owners,
        sign_ins=ctx.sign_ins,
        gradio=gradio_app,
        upload_limit=ctx.uploads.max_bytes * 20 + MULTIPART_OVERHEAD,
    )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/")


class WebAccess:
    """For the web app: the signed-in user's principal (from Gradio's ``request.username``), the audit log and
    the owners of generated files."""

    def __init__(self, auth: AuthConfig | None, audit: AuditLog, owners: Any) -> None:
        self.auth = auth
        self.audit = audit
        self.owners = owners

    def principal(self, request: Any) -> Principal:
        if self.auth is None:
            return LOCAL
        name = getattr(request, "username", None)
        who = self.auth.user(name) if name else None
        if who is None:
            raise InputError("not signed in: reload the page and sign in")
        return who

    def record(
        self, request: Any, action: str, company: str | None = None, status: int = 200, **details: Any
    ) -> None:
        try:
            who: Principal | None = self.principal(request)
        except InputError:
            who = None
        client = getattr(request, "client", None)
        if client is not None and getattr(client, "host", None):
            details["ip"] = client.host
        self.audit.record(
            who.name if who else "-",
            action,
            role=who.role if who else None,
            company=company,
            status=status,
            details={"via": "ui", **details},
        )

    def add_file(self, request: Any, path: Path, name: str) -> str:
        url: str = self.owners.add_file(self.principal(request).name, path, name)
        return url


# ---- serving -----------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to a public address


def check_bind(host: str, auth: AuthConfig | None) -> None:
    """Refuse to serve a non-loopback address without users: anyone on the network could read everything."""
    if auth is None and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without authentication: anyone who can reach it could read every "
            "company's documents. Configure users (a users file in ASSISTANT_AUTH_CONFIG; "
            "see python -m assistant.serve.auth --help) or serve on 127.0.0.1"
        )


WORKER_SPEC = "ASSISTANT_SERVE_WORKER"  # what the parent of worker processes tells each of them (JSON)


def check_workers(settings: Settings, workers: int, allow_model_copies: bool = False) -> None:
    """Refuse worker processes that cannot share this store and model: embedded Chroma (each process would
    keep its own copy of the index in memory and write the same files), and, unless allowed, the embedded
    llama.cpp model (one copy per process)."""
    if workers < 1:
        raise InputError(f"--workers must be at least 1 (got {workers})")
    if workers == 1:
        return
    if settings.store_backend != "chroma-http":
        raise ConfigError(
            f"--workers {workers} needs the Chroma server (ASSISTANT_STORE_BACKEND=chroma-http): embedded Chroma "
            "keeps each process's index in its memory, so worker processes would not see each other's uploads "
            "and deletions and would write the same files at once. Serve with --workers 1, or move the store to "
            "a server: assistant store copy --from STORE --to http://HOST:PORT (README: Chroma server)"
        )
    if settings.llm_backend == "llamacpp" and not allow_model_copies:
        raise ConfigError(
            f"--workers {workers} with the embedded model (ASSISTANT_LLM_BACKEND=llamacpp) loads {workers} copies "
            "of it, one per process, each answering one question at a time on the same cores: more memory, no "
            "faster answers. Point the app at a model server (ASSISTANT_LLM_BACKEND=openai, README: "
            "OpenAI-compatible model server), or pass --allow-model-copies to load the copies anyway"
        )


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve(workers=N)`` (uvicorn's factory): built from the settings and
    users file its parent put in ``ASSISTANT_SERVE_WORKER``. It serves the REST API; the web app needs one
    process (Gradio keeps sign-ins, sessions and its queue in memory), so ``/ui`` says where to find it."""
    raw = os.environ.get(WORKER_SPEC)
    if not raw:
        raise ConfigError(
            f"{WORKER_SPEC} is not set: start worker processes with `assistant serve --workers N`"
        )
    spec = json.loads(raw)
    settings = Settings(**spec["settings"])
    auth = load_auth_config(spec["auth_config"]) if spec.get("auth_config") else None
    app = build_api(Services(settings), auth, ui=False, worker=os.getpid())
    detail = (
        f"this server runs {spec['workers']} worker processes and serves the REST API (/api, /docs) only: the web "
        "app needs a server of one process on the same store, e.g. `assistant serve --port 7861`"
    )

    @app.get("/", include_in_schema=False)
    @app.get("/ui", include_in_schema=False)
    @app.get("/ui/{rest:path}", include_in_schema=False)
    def no_web_app() -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=404)

    log.info("worker %d serving the API over %s", os.getpid(), settings.store)
    return app


def serve(
    services: Services,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth_config: AuthConfig | Path | str | None = None,
    ui: bool = True,
    workers: int = 1,
    allow_model_copies: bool = False,
) -> None:
    """Serve the API and the web app with uvicorn: one process (the embedded model is loaded once), or
    ``workers`` processes serving the API (see :func:`check_workers` and :func:`worker_app`)."""
    auth = load_auth_config(auth_config) if isinstance(auth_config, str | Path) else auth_config
    check_bind(host, auth)
    check_workers(services.settings, workers, allow_model_copies)
    import uvicorn

    if workers == 1:
        app = build_api(services, auth, ui=ui)
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
        return
    spec = {
        "settings": services.settings.model_dump(mode="json"),
        "auth_config": str(auth.path.resolve()) if auth is not None else None,
        "workers": workers,
    }
    os.environ[WORKER_SPEC] = json.dumps(spec)  # the worker processes (spawned) inherit it
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=5,
    )
