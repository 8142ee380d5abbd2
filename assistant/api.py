"""The REST API (FastAPI) with the web app mounted at ``/ui`` and OpenAPI docs at ``/docs``.

    app = build_api(services, load_auth_config("users.toml"))    # or auth_config=None: local use only
    serve(services, host="0.0.0.0", port=7860, auth_config=...)   # refuses a public bind without users

Every ``/api`` call passes :class:`Gate` (an ASGI middleware) first: it authenticates (HTTP Basic for
users, ``Authorization: Bearer <token>`` for programs; 401 otherwise), refuses bodies over the size
limit (413), and afterwards appends one audit entry (user, action = the route's name, company, HTTP
status, details the endpoint noted; ``/api/health`` alone is public and not recorded). Endpoints live in
:mod:`assistant.routes`; a new feature adds its routes there, or an ``APIRouter`` in its own module listed
in :func:`_routers` (or passed as ``build_api(..., routers=[...])``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.audit import AuditLog
from assistant.auth import LOCAL, AuthConfig, Permission, Principal, load_auth_config
from assistant.errors import AssistantError, CompanyNotFound, ConfigError, InputError, LLMError, ModelError
from assistant.llm_queue import Cancelled, LLMQueue, QueuedChat
from assistant.models.llm import model_label
from assistant.qa import Answerer
from assistant.services import Services
from assistant.uploads import Uploads

log = logging.getLogger("assistant.api")
API = "/api"
PUBLIC = {f"{API}/health"}  # no credentials, no audit entry
JSON_BODY_LIMIT = 1_000_000
MULTIPART_OVERHEAD = 1_000_000


@dataclass
class ApiContext:
    """What endpoints need, built once per app (``request.app.state.ctx``)."""

    services: Services
    auth: AuthConfig | None
    audit: AuditLog
    queue: LLMQueue
    answerer: Answerer
    uploads: Uploads
    asks: Any  # routes.AskRunner
    started: float = field(default_factory=time.time)

    def company(self, principal: Principal, name: str, create: bool = False) -> str:
        """The canonical name of a company the caller may see. A restricted caller naming any company outside
        their portfolio gets 403 whether or not it exists, so answers never tell which companies exist.
        ``create``: a name that matches no stored company is accepted as a new one (uploads)."""
        name = (name or "").strip()
        if not name:
            raise HTTPException(400, "the company is empty")
        try:
            return self.answerer.company_candidates("", name, principal.allowed)[0]
        except CompanyNotFound as exc:
            if principal.portfolio is not None:
                if create and name in principal.portfolio:
                    return name  # in the portfolio, not ingested yet
                mine = ", ".join(sorted(principal.portfolio)) or "none"
                raise HTTPException(403, f"company '{name}' is not in your portfolio (your companies: {mine})") from None
            if create:
                return name
            raise HTTPException(404, str(exc)) from None


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def principal(request: Request) -> Principal:
    who: Principal = request.state.principal
    return who


_VERBS: dict[Permission, str] = {
    "read": "read documents",
    "upload": "upload documents",
    "delete": "delete documents",
    "audit": "read the audit log",
}


def require(permission: Permission) -> Any:
    """A dependency: the caller, if their role has ``permission`` (403 otherwise)."""

    def dependency(request: Request) -> Principal:
        who = principal(request)
        if not who.can(permission):
            note(request, reason=f"role {who.role} lacks permission {permission}")
            raise HTTPException(403, f"role '{who.role}' may not {_VERBS[permission]}")
        return who

    return dependency


def note(request: Request, company: str | None = None, **details: Any) -> None:
    """Add to this call's audit entry: the company concerned and details (merged)."""
    entry = request.state.audit if hasattr(request.state, "audit") else None
    if entry is None:
        entry = {"company": None, "details": {}}
        request.state.audit = entry
    if company is not None:
        entry["company"] = company
    entry["details"].update(details)


# ---- the gate: authentication, body limit, audit ---------------------------------------------
class Gate:
    """ASGI middleware for ``/api``: who is calling (401), how big the body is (413), and the audit entry."""

    def __init__(self, app: ASGIApp, ctx: ApiContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == API or path.startswith(API + "/")) or path in PUBLIC:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["audit"] = {"company": None, "details": {}}
        started = time.perf_counter()
        status = {"code": 500}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        who, failure = await self._authenticate(headers.get("authorization", ""))
        action = None
        try:
            if who is None:
                action = "login_failed" if failure[0] else "unauthenticated"
                status["code"] = 401
                await self._reply(send, 401, failure[1], authenticate=True)
                return
            state["principal"] = who
            limit = self._body_limit(scope)
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                status["code"] = 413
                state["audit"]["details"]["content_length"] = int(length)
                await self._reply(send, 413, f"the request body is {int(length) / 1e6:.3g} MB; the limit is {limit / 1e6:g} MB")
                return

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    status["started"] = 1
                await send(message)

            try:
                await self.app(scope, receive, watch)
            except Exception as exc:  # a bug or a backend failure: a JSON 500, and the connection stays usable
                if status.get("started"):
                    raise
                log.exception("%s %s failed", scope.get("method"), path)
                status["code"] = 500
                state["audit"]["details"]["error"] = f"{type(exc).__name__}: {exc}"
                await self._reply(send, 500, "internal server error (recorded in the server log and the audit trail)")
        finally:
            route = scope.get("route")
            entry = state.get("audit") or {}
            details = dict(entry.get("details") or {})
            details.update(method=scope.get("method"), path=path, ms=round((time.perf_counter() - started) * 1000, 1))
            client = scope.get("client")
            if client:
                details["ip"] = client[0]
            if who is None:
                details["reason"] = failure[1]
                if failure[0]:
                    details["attempted"] = failure[0]
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(lambda: self.ctx.audit.record(
                    who.name if who else "-",
                    action or getattr(route, "name", None) or f"{scope.get('method')} {path}",
                    role=who.role if who else None,
                    company=entry.get("company"),
                    status=status["code"],
                    details=details,
                ))

    def _body_limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path") == f"{API}/documents":
            return self.ctx.uploads.max_bytes + MULTIPART_OVERHEAD
        return JSON_BODY_LIMIT

    async def _authenticate(self, header: str) -> tuple[Principal | None, tuple[str, str]]:
        """(caller, ("", "")) or (None, (attempted name, reason))."""
        auth = self.ctx.auth
        if auth is None:
            return LOCAL, ("", "")
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if not scheme:
            return None, ("", "authentication required: HTTP Basic (user:password) or 'Authorization: Bearer <token>'")
        if scheme.lower() == "basic":
            try:
                name, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                return None, ("", "malformed Basic credentials (expected base64 of user:password)")
            if not sep or not name:
                return None, ("", "malformed Basic credentials (expected base64 of user:password)")
            found = await anyio.to_thread.run_sync(auth.verify_password, name, password)
            return (found, ("", "")) if found else (None, (name, "wrong user name or password"))
        if scheme.lower() == "bearer" and value:
            found = auth.verify_token(value)
            return (found, ("", "")) if found else (None, ("token", "unknown or revoked API token"))
        return None, ("", f"unsupported authorization scheme '{scheme}' (use Basic or Bearer)")

    @staticmethod
    async def _reply(send: Send, status: int, detail: str, authenticate: bool = False) -> None:
        response = JSONResponse({"detail": detail}, status_code=status)
        if authenticate:
            response.headers.append("WWW-Authenticate", 'Basic realm="assistant", charset="UTF-8"')
            response.headers.append("WWW-Authenticate", 'Bearer realm="assistant"')

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response({"type": "http"}, nothing, send)


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
            where = ".".join(str(x) for x in (loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc))
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


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error: 4xx for the caller's mistakes, 5xx for the server's."""
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    explicit = getattr(exc, "status", None)
    if isinstance(explicit, int):
        return explicit
    for kind, status in ((CompanyNotFound, 404), (InputError, 400), (Cancelled, 499), (LLMError, 502), (ModelError, 503)):
        if isinstance(exc, kind):
            return status
    return 500


def _plain(errors: list[Any]) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": e.get("type")} for e in errors]


# ---- the app -----------------------------------------------------------------------------------
def _routers() -> list[APIRouter]:
    from assistant import routes

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
    from assistant.routes import AskRunner

    queue: LLMQueue | None = getattr(services, "llm_queue", None)
    if queue is not None:  # Services already puts its model behind a queue
        answerer = services.answerer
    else:
        queue = LLMQueue()
        queued = QueuedChat(inner=lambda: services.llm, queue=queue)
        answerer = Answerer(services.store, lambda: queued, services.settings, model_label(services.settings))
        services.answerer = answerer  # type: ignore[misc]  # the web app takes its turn in the same queue
    ctx = ApiContext(
        services=services,
        auth=auth_config,
        audit=audit or AuditLog(Path(services.settings.store) / "audit.sqlite3"),
        queue=queue,
        answerer=answerer,
        uploads=Uploads(services.store, services.settings),
        asks=AskRunner(answerer, queue, max_pending_asks),
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
    import inspect

    import gradio as gr

    from assistant import web

    access = WebAccess(ctx.auth, ctx.audit)
    enforced = "access" in inspect.signature(web.build_app).parameters
    blocks = web.build_app(ctx.services, access=access) if enforced else web.build_app(ctx.services)  # type: ignore[call-arg]
    if ctx.auth is not None and not enforced:
        log.warning("the web app does not enforce portfolios yet: only users who see every company may sign in to /ui")
    blocks.queue(default_concurrency_limit=1)

    def login(username: str, password: str) -> bool:
        assert ctx.auth is not None
        who = ctx.auth.verify_password(username, password)
        ok = who is not None and (enforced or who.portfolio is None)
        if not ok:
            ctx.audit.record(username or "-", "login_failed", status=401, details={"path": "/ui", "reason":
                             "wrong user name or password" if who is None else "web app not allowed for a portfolio user"})
        return ok

    gr.mount_gradio_app(app, blocks, path="/ui", auth=login if ctx.auth else None, css=getattr(web, "CSS", None),
                        show_error=True, footer_links=["api"])

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/ui/")


class WebAccess:
    """For the web app: the signed-in user's principal (from Gradio's ``request.username``) and the audit log."""

    def __init__(self, auth: AuthConfig | None, audit: AuditLog) -> None:
        self.auth = auth
        self.audit = audit

    def principal(self, request: Any) -> Principal:
        if self.auth is None:
            return LOCAL
        name = getattr(request, "username", None)
        who = self.auth.user(name) if name else None
        if who is None:
            raise InputError("not signed in: reload the page and sign in")
        return who

    def record(self, request: Any, action: str, company: str | None = None, **details: Any) -> None:
        who = self.principal(request)
        self.audit.record(who.name, action, role=who.role, company=company, status=200, details={"via": "ui", **details})


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
            "see python -m assistant.auth --help) or serve on 127.0.0.1"
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
