"""The web app's page: a title, the tabs, and the company choices filled when the page loads."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.core.services import Services
from assistant.serve.actions import Portal, portal_of
from assistant.serve.web.batch import batch_tab
from assistant.serve.web.chat import chat_tab
from assistant.serve.web.context import AUTO, Access, LocalAccess, WebContext, bound
from assistant.serve.web.documents import documents_tab
from assistant.serve.web.profiles import profile_tab
from assistant.serve.web.screen import screen_tab

CSS = (
    "#sources blockquote { white-space: pre-wrap; } .not-found { color: #9a3412; }"
    " .verdict.verified { color: #166534; } .verdict.extractive { color: #92400e; } .asked-as { color: #475569; }"
    " #profile-report iframe { width: 100%; height: 900px; border: 1px solid #e2e8f0; }"
)


def build_app(services: Services, access: Access | None = None, portal: Portal | None = None) -> gr.Blocks:
    """Build the UI without launching it (tests call this directly). Every handler acts through ``portal``
    (:mod:`assistant.serve.actions`, as the REST API does) for the signed-in user of ``access``, and records
    the action, allowed or refused, in the audit log."""
    ctx = WebContext(services, access or LocalAccess(), portal or portal_of(services))
    app: gr.Blocks
    with gr.Blocks(title="SME Credit Assistant / 科技企业画像助手") as app:
        gr.Markdown(
            "## SME Credit Assistant · 科技型中小企业画像助手\n"
            "Answers come only from the ingested documents, each with its source file and page. "
            "回答仅来自已导入的文档，并注明出处文件和页码。"
        )
        with gr.Tab("Chat / 对话"):
            chat_company = chat_tab(ctx)
        with gr.Tab("Profile / 画像"):
            profile_company = profile_tab(ctx)
        with gr.Tab("Documents / 文档"):
            docs_company = documents_tab(ctx)
        with gr.Tab("Batch / 批量"):
            batch_tab(ctx)
        with gr.Tab("Screen / 筛选"):
            screen_tab(ctx)
        app.load(bound(ctx, refresh), None, [chat_company, profile_company, docs_company])
    return app


def refresh(ctx: WebContext, request: gr.Request) -> tuple[Any, ...]:
    """The companies the user may see, in the three company choices (the chat's also offers AUTO)."""
    try:
        with ctx.acting(request, "companies") as (principal, note):
            visible = ctx.portal.companies(principal, note)
    except Exception:
        visible = []
    listed = [c.company for c in visible]
    return (
        gr.Dropdown(choices=[AUTO, *listed]),
        gr.Dropdown(choices=listed, value=listed[0] if listed else None),
        gr.Dropdown(choices=listed, value=listed[0] if listed else None),
    )
