"""The REST API (FastAPI) with the web app mounted at ``/ui`` and OpenAPI docs at ``/docs``.

    app = build_api(services, load_auth_config("users.toml"))    # or auth_config=None: local use only
    serve(services, host="0.0.0.0", port=7860, auth_config=...)   # refuses a public bind without users

Every ``/api`` call passes :class:`Gate` (an ASGI middleware) first: it authenticates (HTTP Basic for
users, ``Authorization: Bearer <token>`` for programs; 401 otherwise), refuses bodies over the size
limit (413), and afterwards appends one audit entry (user, action = the route's name, company, HTTP
status, details the endpoint noted; ``/api/health`` alone is public and not recorded). Endpoints live in
:mod:`assistant.serve.routes` (what they share — the context, the caller, the audit note — is
:mod:`assistant.serve.deps`); a new feature adds its routes there, or an ``APIRouter`` in its own module
listed in :func:`_routers` (or passed as ``build_api(..., routers=[...])``).
"""

from __future__ import annotations

import ipaddress
import logging
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
from assistant.core.services import Services
from assistant.ingest.uploads import Uploads
from assistant.models.llm import model_label
from assistant.models.llm_queue import LLMQueue, QueuedChat
from assistant.serve import routes
from assistant.serve.actions import Portal
from assistant.serve.asking import AskRunner
from assistant.serve.audit import AuditLog
from assistant.serve.auth import LOCAL, AuthConfig, Principal, load_auth_config
from assistant.serve.deps import ApiContext, note, status_of
from assistant.serve.gate import API, MULTIPART_OVERHEAD, Gate

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
def _routers() -> list[APIRouter]:
    return [routes.router, routes.admin]


def build_api(
    services: Services,
    auth_config: AuthConfig | None = None,
    *,
    audit: AuditLog | None = None,
    ui: bool = True,
    max_pending_asks: int = 64,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The API (and, with ``ui``, the web app at /ui) over ``services``. Without ``auth_config`` every
    caller is the local admin: only for a server bound to the loopback address (see :func:`serve`)."""
    queue: LLMQueue | None = getattr(services, "llm_queue", None)
    if queue is not None:  # Services already puts its model behind a queue
        answerer = services.answerer
    else:
        queue = LLMQueue()
        queued = QueuedChat(inner=lambda: services.llm, queue=queue)
        answerer = Answerer(services.store, lambda: queued, services.settings, model_label(services.settings))
        services.answerer = answerer  # the web app takes its turn in the same queue
    uploads = Uploads(services.store, services.settings)
    ctx = ApiContext(
        services=services,
        auth=auth_config,
        audit=audit or AuditLog(Path(services.settings.store) / "audit.sqlite3"),
        queue=queue,
        answerer=answerer,
        uploads=uploads,
        asks=AskRunner(answerer, queue, max_pending_asks),
        portal=Portal(services, answerer, uploads),
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


def serve(
    services: Services,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth_config: AuthConfig | Path | str | None = None,
    ui: bool = True,
) -> None:
    """Serve the API and the web app with uvicorn (one process: the embedded model is loaded once)."""
    auth = load_auth_config(auth_config) if isinstance(auth_config, str | Path) else auth_config
    check_bind(host, auth)
    import uvicorn

    app = build_api(services, auth, ui=ui)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
