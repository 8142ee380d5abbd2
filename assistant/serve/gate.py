"""The gate in front of ``/api`` (an ASGI middleware): who is calling (HTTP Basic for users, ``Authorization:
Bearer <token>`` for programs; 401 otherwise, 429 while a sign-in is throttled), how big the body may be
(413), and one audit entry per call afterwards (``/api/health`` alone is public and not recorded).
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import time
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.serve.asgi import metered, reply
from assistant.serve.audit import safe_text
from assistant.serve.auth import LOCAL, Principal
from assistant.serve.deps import ApiContext

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
                await reply(send, code, failure.reason, authenticate=code == 401, retry_after=failure.wait)
                return
            state["principal"] = who
            limit = self._body_limit(scope)
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                status["code"] = 413
                state["audit"]["details"]["content_length"] = int(length)
                await reply(
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
                    await reply(
                        send, 500, "internal server error (recorded in the server log and the audit trail)"
                    )
            if over["yes"] and not status.get("started"):
                status["code"] = 413
                state["audit"]["details"]["body_bytes_over"] = limit
                await reply(send, 413, f"the request body is over the limit of {limit / 1e6:g} MB")
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
