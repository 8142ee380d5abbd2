"""The gate in front of the web app (``/ui``): Gradio serves the pages and runs the handlers; this ASGI
middleware decides who may reach what, before Gradio reads anything.

- **Routes**: deny by default. Signed out: the page, the sign-in and static assets. Signed in: the queue
  (join, data, cancel), heartbeats, uploads and the user's own files. Everything else Gradio offers
  (direct ``run``/``call`` endpoints, proxies, component servers, monitoring …) answers 404.
- **Sessions belong to the signed-in user**: the first request that names a ``session_hash`` binds it to
  its user; a request of another user naming it is refused (403), so a session hash seen in a log gives
  nobody else the live answers, follow-up context or state of that session.
- **Files**: an event's payload may name only files this user uploaded through ``/gradio_api/upload``
  (never a server path or URL); ``/gradio_api/file=`` serves only those; generated files (profiles,
  exports, batch outputs) are served by ``/ui/download/<id>`` to their owner only (:class:`Owners`).
- **Sign-in**: back-off per user name and client address (429 with Retry-After) and every sign-in,
  failed or not, in the audit log, as is every refusal, file download and queue subscription.
- **Body size**: counted as it arrives (a chunked body has the same limit as a declared one).
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.serve.asgi import BodyTooLarge, header, metered, query_params, read_body, replay, reply
from assistant.serve.audit import AuditLog, safe_text
from assistant.serve.auth import LOCAL, AuthConfig, Principal
from assistant.serve.throttle import SignIns

log = logging.getLogger("assistant.serve.webgate")
PREFIX = "/ui"
DOWNLOAD = "/download/"
JSON_LIMIT = 1_000_000
_PUBLIC = {
    "/",
    "/login",
    "/login/",
    "/config",
    "/config/",
    "/theme.css",
    "/favicon.ico",
    "/manifest.json",
    "/robots.txt",
    "/gradio_api/startup-events",
    "/gradio_api/login_check",
    "/gradio_api/login_check/",
    "/gradio_api/app_id",
    "/gradio_api/app_id/",
    "/gradio_api/user",
    "/gradio_api/user/",
}
_PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon")
_SIGNED_IN = {
    "/logout",
    "/gradio_api/info",
    "/gradio_api/info/",
    "/gradio_api/queue/join",
    "/gradio_api/queue/data",
    "/gradio_api/queue/status",
    "/gradio_api/cancel",
    "/gradio_api/reset",
    "/gradio_api/reset/",
    "/gradio_api/upload",
    "/gradio_api/upload_progress",
}
_SIGNED_IN_PREFIXES = ("/gradio_api/heartbeat/", "/gradio_api/file=", DOWNLOAD)
_WITH_BODY = {"/gradio_api/queue/join", "/gradio_api/cancel", "/gradio_api/reset", "/gradio_api/reset/"}
SESSION_IDLE_S = 24 * 3600.0  # Gradio drops a closed session's state after an hour


@dataclass(frozen=True)
class OwnedFile:
    user: str
    path: Path
    name: str


class Owners:
    """What belongs to whom in the web app: Gradio sessions, uploaded files and generated files."""

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._uploads: dict[str, str] = {}  # real path → user
        self._files: dict[str, OwnedFile] = {}  # unguessable id → file
        self._lock = threading.Lock()

    def claim(self, session_hash: str, user: str) -> bool:
        """Bind a session to ``user`` on first sight; False when it is another user's."""
        now = time.monotonic()
        with self._lock:
            owner = self._sessions.get(session_hash)
            if owner is not None and owner[0] != user and now - owner[1] < SESSION_IDLE_S:
                return False
            self._sessions[session_hash] = (user, now)
            if len(self._sessions) > 50_000:
                self._sessions = {k: v for k, v in self._sessions.items() if now - v[1] < SESSION_IDLE_S}
        return True

    def add_upload(self, user: str, path: str) -> None:
        with self._lock:
            self._uploads[os.path.realpath(path)] = user

    def owns_upload(self, user: str, path: str) -> bool:
        with self._lock:
            return self._uploads.get(os.path.realpath(path)) == user

    def add_file(self, user: str, path: Path, name: str) -> str:
        """Register a generated file of ``user``; its download URL."""
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._files[key] = OwnedFile(user, Path(path), name)
        return f"{PREFIX}{DOWNLOAD}{key}"

    def file(self, user: str, key: str) -> OwnedFile | None:
        with self._lock:
            found = self._files.get(key)
        return found if found is not None and found.user == user and found.path.is_file() else None


def file_paths(value: Any) -> list[str]:
    """Every file a Gradio payload names (any object with a string ``path``, as ``FileData``), at any depth."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("path"), str):
            found.append(value["path"])
        for item in value.values():
            found += file_paths(item)
    elif isinstance(value, list):
        for item in value:
            found += file_paths(item)
    return found


def _public(rel: str) -> bool:
    return rel in _PUBLIC or rel.startswith(_PUBLIC_PREFIXES)


def _known(rel: str) -> bool:
    return _public(rel) or rel in _SIGNED_IN or rel.startswith(_SIGNED_IN_PREFIXES)


class WebGate:
    """ASGI middleware over the app that mounts Gradio at ``/ui`` (see the module's doc)."""

    def __init__(
        self,
        app: ASGIApp,
        auth: AuthConfig | None,
        audit: AuditLog,
        owners: Owners,
        sign_ins: SignIns,
        gradio: Callable[[], Any],
        upload_limit: int,
    ) -> None:
        self.app, self.auth, self.audit, self.owners, self.sign_ins = app, auth, audit, owners, sign_ins
        self.gradio = gradio  # the mounted Gradio App (its sign-in tokens and queue's functions)
        self.upload_limit = upload_limit

    # ---- who -------------------------------------------------------------------------------------
    def user(self, scope: Scope) -> Principal | None:
        if self.auth is None:
            return LOCAL
        app = self.gradio()
        raw = header(scope, "cookie")
        if app is None or not raw:
            return None
        try:
            cookies = SimpleCookie(raw)
        except CookieError:
            return None
        for name in (f"access-token-{app.cookie_id}", f"access-token-unsecure-{app.cookie_id}"):
            if name in cookies:
                username = app.tokens.get(cookies[name].value)
                if username:
                    return self.auth.user(username)
        return None

    def record(self, scope: Scope, who: Principal | None, action: str, status: int, **details: Any) -> None:
        client = scope.get("client")
        details = {"via": "ui", "path": scope.get("path"), **details}
        if client:
            details["ip"] = client[0]
        self.audit.record(
            who.name if who else "-", action, role=who.role if who else None, status=status, details=details
        )

    # ---- the gate --------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if not (path == PREFIX or path.startswith(PREFIX + "/")) or scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # the web app has no WebSocket routes: nothing else passes
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        rel = path[len(PREFIX) :] or "/"
        method = scope.get("method", "GET")
        if rel in ("/login", "/login/") and method == "POST":
            await self._login(scope, receive, send)
            return
        who = self.user(scope)
        if not _known(rel):
            if who is not None:
                self.record(scope, who, "ui_refused", 404, reason="not a route of the web app")
            log.info("web app: refused %s %s", method, rel)
            await reply(send, 404, "not found")
            return
        if who is None and not _public(rel):
            await reply(send, 401, "sign in first")
            return
        limit = self.upload_limit if rel == "/gradio_api/upload" else JSON_LIMIT
        receive, over = metered(receive, limit)
        if who is not None and not _public(rel):
            refused = await self._check(scope, rel, who)
            if refused is not None:
                status, reason, action = refused
                self.record(scope, who, action, status, reason=reason)
                await reply(send, status, reason)
                return
            if rel.startswith(DOWNLOAD):
                await self._download(scope, receive, send, who, rel[len(DOWNLOAD) :])
                return
            if rel in _WITH_BODY:
                body = await read_body(receive, JSON_LIMIT)
                if body is None:
                    self.record(scope, who, "ui_refused", 413, reason="request body over the limit")
                    await reply(send, 413, f"the request body is over the limit of {JSON_LIMIT / 1e6:g} MB")
                    return
                refused = self._check_event(scope, rel, who, body)
                if refused is not None:
                    status, reason, action = refused
                    self.record(scope, who, action, status, reason=reason)
                    await reply(send, status, reason)
                    return
                receive = replay(body)
            if rel == "/gradio_api/upload":
                send = self._capture_uploads(send, who)
        await self._forward(scope, receive, send, over, limit)

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, over: dict[str, bool], limit: int
    ) -> None:
        started = {"yes": False}

        async def watch(message: Message) -> None:
            if over["yes"]:
                return
            if message["type"] == "http.response.start":
                started["yes"] = True
            await send(message)

        with suppress(BodyTooLarge):
            await self.app(scope, receive, watch)
        if over["yes"] and not started["yes"]:
            await reply(send, 413, f"the request body is over the limit of {limit / 1e6:g} MB")

    async def _check(self, scope: Scope, rel: str, who: Principal) -> tuple[int, str, str] | None:
        """(status, reason, audit action) of a refusal, or None; records the file downloads it lets through."""
        query = query_params(scope)
        session = query.get("session_hash")
        if rel.startswith("/gradio_api/heartbeat/"):
            session = rel[len("/gradio_api/heartbeat/") :]
        if session is not None and not self.owners.claim(session, who.name):
            return 403, "this session belongs to another user", "session_refused"
        upload = query.get("upload_id")  # an upload's progress is its uploader's
        if upload is not None and not self.owners.claim("upload:" + upload, who.name):
            return 403, "this upload belongs to another user", "session_refused"
        if rel == "/logout":
            self.record(scope, who, "logout", 200)
        if rel == "/gradio_api/queue/data":
            self.record(scope, who, "ui_subscribe", 200, session=(session or "")[:8])
        if rel.startswith("/gradio_api/file="):
            target = rel[
                len("/gradio_api/file=") :
            ]  # the path as Gradio will read it (decoded once, by the server)
            if not self.owners.owns_upload(who.name, target):
                return 404, "no such file", "download_refused"
            self.record(scope, who, "download", 200, file=Path(target).name, kind="upload")
        return None

    def _check_event(
        self, scope: Scope, rel: str, who: Principal, body: bytes
    ) -> tuple[int, str, str] | None:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, "malformed JSON in the request body", "ui_refused"
        if not isinstance(payload, dict):
            return 400, "the request body must be a JSON object", "ui_refused"
        session = payload.get("session_hash")
        if session is not None and (not isinstance(session, str) or not self.owners.claim(session, who.name)):
            return 403, "this session belongs to another user", "session_refused"
        if rel != "/gradio_api/queue/join":
            return None
        for path in file_paths(payload):
            if not self.owners.owns_upload(who.name, path):
                return 403, "a file in the request was not uploaded by you in this app", "upload_refused"
        self.record(
            scope,
            who,
            "ui_event",
            200,
            fn=self._fn_name(payload.get("fn_index")),
            session=str(session or "")[:8],
        )
        return None

    def _fn_name(self, index: object) -> str:
        app = self.gradio()
        try:
            fn = app.get_blocks().fns[int(str(index))]
            return str(fn.api_name or fn.name)
        except (AttributeError, KeyError, TypeError, ValueError):
            return str(index)

    def _capture_uploads(self, send: Send, who: Principal) -> Send:
        """Remember the files Gradio stored for this user (its reply lists their paths)."""
        chunks: list[bytes] = []
        state = {"status": 0}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and state["status"] == 200:
                    try:
                        paths = json.loads(b"".join(chunks))
                    except ValueError:
                        paths = []
                    for p in paths if isinstance(paths, list) else []:
                        if isinstance(p, str):
                            self.owners.add_upload(who.name, p)
            await send(message)

        return capture

    async def _download(self, scope: Scope, receive: Receive, send: Send, who: Principal, key: str) -> None:
        found = self.owners.file(who.name, key)
        if found is None:
            self.record(scope, who, "download_refused", 404, reason="not a file of yours")
            await reply(send, 404, "no such file")
            return
        self.record(scope, who, "download", 200, file=found.name)
        response = FileResponse(found.path, filename=found.name, headers={"Cache-Control": "no-store"})
        await response(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive, 64_000)
        if body is None:
            await reply(send, 413, "the sign-in form is too large")
            return
        try:  # url-encoded or multipart, as the browser sends it
            async with Request(scope, replay(body)).form(max_files=0, max_fields=10) as form:
                name = str(form.get("username") or "").strip()
        except Exception:  # a malformed form: Gradio answers it; the attempt counts as nameless
            name = ""
        client = scope.get("client")
        address = client[0] if client else None
        async with self.sign_ins.turn(name, address):  # one check of a name at a time, as the API's
            wait = self.sign_ins.begin(name, address)  # counted as a failure until it succeeds
            if wait > 0:
                if self.sign_ins.report(name, address):
                    self.record(
                        scope,
                        None,
                        "login_throttled",
                        429,
                        attempted=safe_text(name),
                        reason="too many failed sign-ins",
                    )
                seconds = math.ceil(wait)
                response = JSONResponse(
                    {"detail": f"too many failed sign-ins: try again in {seconds} s"},
                    status_code=429,
                    headers={"Retry-After": str(seconds)},
                )
                await response(scope, receive, send)
                return
            state = {"status": 0}

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start":
                    state["status"] = message["status"]
                await send(message)

            await self.app(scope, replay(body), watch)
            if state["status"] == 200:
                self.sign_ins.succeeded(name, address)
                who = self.auth.user(name) if self.auth else LOCAL
                self.record(scope, who, "login", 200)
            else:
                self.record(
                    scope,
                    None,
                    "login_failed",
                    401,
                    attempted=safe_text(name),
                    reason="wrong user name or password",
                )


# ---- ASGI helpers ----------------------------------------------------------------------------------
