"""ASGI plumbing both gates share (the API's :class:`~assistant.serve.gate.Gate` and the web app's
:class:`~assistant.serve.webgate.WebGate`): headers and query of a scope, a body metered as it arrives
(a chunked body has the same limit as a declared one), a body read once and replayed, and a JSON refusal.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    """Raised into the app when a request body grows past its limit while it is read."""


def header(scope: Scope, name: str) -> str:
    wanted = name.encode()
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == wanted), "")


def query_params(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def metered(receive: Receive, limit: int) -> tuple[Receive, dict[str, bool]]:
    """``receive`` that stops a body growing past ``limit`` (declared or chunked alike)."""
    seen = {"bytes": 0}
    over = {"yes": False}

    async def counted() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            seen["bytes"] += len(message.get("body", b""))
            if seen["bytes"] > limit:
                over["yes"] = True
                raise BodyTooLarge
        return message

    return counted, over


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body (None when it is over ``limit``)."""
    parts, size = [], 0
    while True:
        try:
            message = await receive()
        except BodyTooLarge:
            return None
        if message["type"] != "http.request":
            break
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body"):
            break
    return b"".join(parts)


def replay(body: bytes) -> Receive:
    sent = {"done": False}

    async def receive() -> Message:
        if not sent["done"]:
            sent["done"] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def reply(
    send: Send, status: int, detail: str, authenticate: bool = False, retry_after: float = 0
) -> None:
    """Answer ``{"detail": …}`` with ``status`` before the app has read anything (``Retry-After`` when throttled,
    the two ``WWW-Authenticate`` challenges on a 401 of the API)."""
    response: Response = JSONResponse({"detail": detail}, status_code=status)
    if retry_after:
        response.headers["Retry-After"] = str(int(retry_after))
    if authenticate:
        response.headers.append("WWW-Authenticate", 'Basic realm="assistant", charset="UTF-8"')
        response.headers.append("WWW-Authenticate", 'Bearer realm="assistant"')

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response({"type": "http"}, nothing, send)
