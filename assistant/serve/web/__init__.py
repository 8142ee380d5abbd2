"""The web app (Gradio Blocks) for RMs and analysts: chat, profiles, documents and batch jobs.

Every handler asks ``access`` who is signed in (``assistant.serve.api.WebAccess`` when served with users;
the local user, who sees everything, otherwise) and acts through :mod:`assistant.serve.actions` — the same
role, portfolio, company and document-name rules as the REST API — recording every action, allowed or
refused, in the audit log. Generated files live in per-user folders and are served only to their owner
(:mod:`assistant.serve.webgate`). Interface text is bilingual (English / 中文).

One module per part: ``app`` (the page and :func:`build_app`), one per tab (``chat``, ``profiles``,
``documents``, ``batch``: the tab's components and its handlers, named functions that take the app's
``WebContext``), ``context`` (what the handlers share: access, portal, per-user folders, jobs, the audit
entry of an action), ``render`` (sources and conversations as HTML and Markdown), ``jobs`` (a batch job).
"""

from __future__ import annotations

from assistant.serve.web.app import CSS, build_app
from assistant.serve.web.context import AUTO, Access, LocalAccess, WebContext
from assistant.serve.web.jobs import BatchJob
from assistant.serve.web.render import VERDICTS, conversation_markdown, render_sources

__all__ = [
    "AUTO",
    "CSS",
    "VERDICTS",
    "Access",
    "BatchJob",
    "LocalAccess",
    "WebContext",
    "build_app",
    "conversation_markdown",
    "render_sources",
]
