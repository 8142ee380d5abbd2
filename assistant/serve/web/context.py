"""What every handler of the web app shares: who is signed in (``Access``), the actions they may take
(``Portal``), their own folders for generated files, the batch jobs, and the audit entry of each action."""

from __future__ import annotations

import html
import logging
import secrets
import tempfile
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import gradio as gr

from assistant.core.errors import AssistantError, http_status
from assistant.core.services import Services
from assistant.serve.actions import Portal
from assistant.serve.auth import LOCAL, Principal
from assistant.serve.web.jobs import BatchJob

log = logging.getLogger("assistant.serve.web")

AUTO = "(detect from question / 自动识别)"
F = TypeVar("F", bound=Callable[..., Any])


class Access(Protocol):
    """Who is signed in, the audit log and the files that belong to each user (``assistant.serve.api.WebAccess``)."""

    def principal(self, request: Any) -> Principal: ...

    def record(
        self, request: Any, action: str, company: str | None = None, status: int = 200, **details: Any
    ) -> None: ...

    def add_file(self, request: Any, path: Path, name: str) -> str: ...


class LocalAccess:
    """Without users (a local, loopback-only server): the local user, no audit log, files by unguessable id."""

    def __init__(self) -> None:
        from assistant.serve.webgate import Owners

        self.owners = Owners()

    def principal(self, request: Any) -> Principal:
        return LOCAL

    def record(
        self, request: Any, action: str, company: str | None = None, status: int = 200, **details: Any
    ) -> None:
        return None

    def add_file(self, request: Any, path: Path, name: str) -> str:
        return self.owners.add_file(LOCAL.name, path, name)


@dataclass
class WebContext:
    """One web app's state, handed to every handler."""

    services: Services
    access: Access
    portal: Portal
    out_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="assistant-web-")))
    jobs: dict[str, BatchJob] = field(default_factory=dict)  # user → their latest batch job
    _user_dirs: dict[str, Path] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def user_dir(self, principal: Principal) -> Path:
        """A fresh folder of the user's own (files are served only to their owner, by unguessable id)."""
        with self._guard:
            root = self._user_dirs.setdefault(principal.name, self.out_dir / secrets.token_hex(8))
        folder = root / secrets.token_hex(8)
        folder.mkdir(parents=True)
        return folder

    @contextmanager
    def acting(
        self, request: gr.Request | None, action: str
    ) -> Iterator[tuple[Principal, Callable[..., None]]]:
        """The signed-in user and a ``note`` for the action's audit entry, written once with the outcome."""
        entry: dict[str, Any] = {"company": None, "details": {}}

        def note(company: str | None = None, **details: Any) -> None:
            if company is not None:
                entry["company"] = company
            entry["details"].update(details)

        status = 200
        try:
            yield self.access.principal(request), note
        except AssistantError as exc:
            status = http_status(exc)
            entry["details"]["error"] = str(exc)
            raise
        except Exception as exc:
            status = 500
            entry["details"]["error"] = f"{type(exc).__name__}: {exc}"
            log.exception("web app: %s failed", action)
            raise
        finally:
            self.access.record(request, action, entry["company"], status, **entry["details"])

    def names(self, principal: Principal) -> list[str]:
        """The companies the user may see."""
        return [c.company for c in self.portal.companies(principal)]


def bound(ctx: WebContext, handler: F) -> F:
    """``handler`` with its context bound, as Gradio takes it: a bound method, whose signature (after the
    context) gives the event's inputs and whose ``gr.Request`` annotation asks for the request."""
    return types.MethodType(handler, ctx)  # type: ignore[return-value]


def links(items: list[tuple[str, str]]) -> str:
    """Download links (URL, file name) as HTML."""
    return " · ".join(
        f"<a href='{html.escape(url, quote=True)}' download='{html.escape(name, quote=True)}'>"
        f"{html.escape(name)}</a>"
        for url, name in items
    )


def message(exc: BaseException) -> str:
    """The product's one-line message for an error (details of unexpected ones only in the server log)."""
    if isinstance(exc, AssistantError):
        return str(exc)
    return "internal error: recorded in the server log / 内部错误，已记录"
