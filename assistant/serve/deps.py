"""What the REST API's middleware and endpoints share: the app's context, the caller, the audit note of the
call and the HTTP status of an error (a module of its own, so endpoints need not import the app)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer.answerer import Answerer
from assistant.core.errors import http_status
from assistant.core.services import Services
from assistant.ingest.uploads import Uploads
from assistant.models.llm_queue import Cancelled, LLMQueue
from assistant.serve.actions import Note, Portal, need
from assistant.serve.asking import AskRunner
from assistant.serve.audit import AuditLog
from assistant.serve.auth import AuthConfig, Permission, Principal
from assistant.serve.throttle import SignIns


@dataclass
class ApiContext:
    """What endpoints need, built once per app (``request.app.state.ctx``)."""

    services: Services
    auth: AuthConfig | None
    audit: AuditLog
    queue: LLMQueue
    answerer: Answerer
    uploads: Uploads
    asks: AskRunner
    portal: Portal
    sign_ins: SignIns = field(default_factory=SignIns)
    started: float = field(default_factory=time.time)

    def company(self, principal: Principal, name: str, create: bool = False) -> str:
        """The canonical name of a company the caller may see (403 outside the portfolio, 404 unknown)."""
        return self.portal.company(principal, name, create)


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


def principal(request: Request) -> Principal:
    who: Principal = request.state.principal
    return who


def require(permission: Permission) -> Any:
    """A dependency: the caller, if their role has ``permission`` (403 otherwise)."""

    def dependency(request: Request) -> Principal:
        who = principal(request)
        need(who, permission, noter(request))
        return who

    return dependency


def noter(request: Request) -> Note:
    """``note`` bound to this call's audit entry (for :mod:`assistant.serve.actions`)."""
    return partial(note, request)


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


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error: 4xx for the caller's mistakes, 5xx for the server's."""
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, Cancelled):
        return 499
    return http_status(exc)
