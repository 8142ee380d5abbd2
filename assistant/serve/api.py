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

import base64
import binascii
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answer.answerer import Answerer
from assistant.core.errors import AssistantError, ConfigError, InputError
from assistant.core.services import Services
from assistant.ingest.uploads import Uploads
from assistant.models.llm import model_label
from assistant.models.queue import LLMQueue, QueuedChat
from assistant.serve import routes
from assistant.serve.actions import Portal
from assistant.serve.audit import AuditLog, safe_text
from assistant.serve.auth import LOCAL, AuthConfig, Principal, load_auth_config
from assistant.serve.deps import ApiContext, note, status_of
from assistant.serve.webgate import metered

log = logging.getLogger("assistant.serve.api")
API = "/api"
PUBLIC = {f"{API}/health"}  # no credentials, no audit entry
JSON_BODY_LIMIT = 1_000_000
MULTIPART_OVERHEAD = 1_000_000


@dataclass(frozen=True)
class Refusal:
    """Why a request was not signed in: the attempted name, the reason, seconds to wait when throttled, and
    whether to audit it."""

    attempted: str = ""
    reason: str = ""
    wait: float = 0.0
    audit: bool = True


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
        client = scope.get("client")
        address = client[0] if client else None
        who, failure = await self._authenticate(headers.get("authorization", ""), address)
        action = None
        try:
            if who is None:
                action, code = (
                    ("login_throttled", 429)
                    if failure.wait
                    else ("login_failed" if failure.attempted else "unauthenticated", 401)
                )
                status["code"] = code
                await self._reply(
                    send, code, failure.reason, authenticate=code == 401, retry_after=failure.wait
                )
                return
            state["principal"] = who
            limit = self._body_limit(scope)
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                status["code"] = 413
                state["audit"]["details"]["content_length"] = int(length)
                await self._reply(
                    send,
                    413,
                    f"the request body is {int(length) / 1e6:.3g} MB; the limit is {limit / 1e6:g} MB",
                )
                return
            counted, over = metered(receive, limit)  # a chunked body (no Content-Length) has the same limit

            async def watch(message: Message) -> None:
                if over["yes"]:
                    return  # the app's reply to a cut-off body is replaced by the 413 below
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    status["started"] = 1
                await send(message)

            try:
                await self.app(scope, counted, watch)
            except (
                Exception
            ) as exc:  # a body cut off (answered 413 below), or a bug or backend failure: a JSON 500
                if not over["yes"]:
                    if status.get("started"):
                        raise
                    log.exception("%s %s failed", scope.get("method"), path)
                    status["code"] = 500
                    state["audit"]["details"]["error"] = f"{type(exc).__name__}: {exc}"
                    await self._reply(
                        send, 500, "internal server error (recorded in the server log and the audit trail)"
                    )
            if over["yes"] and not status.get("started"):
                status["code"] = 413
                state["audit"]["details"]["body_bytes_over"] = limit
                await self._reply(send, 413, f"the request body is over the limit of {limit / 1e6:g} MB")
        finally:
            route = scope.get("route")
            entry = state.get("audit") or {}
            details = dict(entry.get("details") or {})
            details.update(
                method=scope.get("method"), path=path, ms=round((time.perf_counter() - started) * 1000, 1)
            )
            if address:
                details["ip"] = address
            if who is None:
                details["reason"] = failure.reason
                if failure.attempted:
                    details["attempted"] = failure.attempted
            with anyio.CancelScope(shield=True):
                if failure.audit:  # not: a refusal within a wait whose first refusal was recorded
                    await anyio.to_thread.run_sync(
                        lambda: self.ctx.audit.record(
                            who.name if who else "-",
                            action or getattr(route, "name", None) or f"{scope.get('method')} {path}",
                            role=who.role if who else None,
                            company=entry.get("company"),
                            status=status["code"],
                            details=details,
                        )
                    )

    def _body_limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path") == f"{API}/documents":
            return self.ctx.uploads.max_bytes + MULTIPART_OVERHEAD
        return JSON_BODY_LIMIT

    async def _authenticate(self, header: str, address: str | None) -> tuple[Principal | None, Refusal]:
        """(caller, no refusal) or (None, why not)."""
        auth = self.ctx.auth
        if auth is None:
            return LOCAL, Refusal()
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if not scheme:
            return None, Refusal(
                "", "authentication required: HTTP Basic (user:password) or 'Authorization: Bearer <token>'"
            )
        if scheme.lower() == "basic":
            try:
                name, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                return None, Refusal("", "malformed Basic credentials (expected base64 of user:password)")
            if not sep or not name:
                return None, Refusal("", "malformed Basic credentials (expected base64 of user:password)")
        elif scheme.lower() == "bearer" and value:
            name, password = "", value
        else:
            return None, Refusal("", f"unsupported authorization scheme '{scheme}' (use Basic or Bearer)")
        shown = safe_text(name) if name else "token"
        sign_ins = self.ctx.sign_ins
        async with sign_ins.turn(name, address):  # one check of a name at a time: bursts get no extra guesses
            # credentials verified minutes ago (a client sending them with every request) are no new sign-in
            found = auth.recently_verified(name, password) if name else None
            checking = found is None  # a real check: counted as a failure from now until it succeeds
            wait = sign_ins.begin(name, address) if checking else sign_ins.wait(name, address)
            if wait > 0:
                return None, Refusal(
                    shown,
                    f"too many failed sign-ins: try again in {math.ceil(wait)} s",
                    math.ceil(wait),
                    audit=sign_ins.report(name, address),
                )
            if checking:
                found = (
                    await anyio.to_thread.run_sync(auth.verify_password, name, password)
                    if name
                    else auth.verify_token(value)
                )
                if found is None:
                    return None, Refusal(
                        shown, "wrong user name or password" if name else "unknown or revoked API token"
                    )
                sign_ins.succeeded(name, address)
        return found, Refusal()

    @staticmethod
    async def _reply(
        send: Send, status: int, detail: str, authenticate: bool = False, retry_after: float = 0
    ) -> None:
        response = JSONResponse({"detail": detail}, status_code=status)
        if retry_after:
            response.headers["Retry-After"] = str(int(retry_after))
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
        asks=routes.AskRunner(answerer, queue, max_pending_asks),
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
