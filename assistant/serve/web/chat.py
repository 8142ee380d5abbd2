"""The chat tab: questions answered from the documents as they stream, their sources, and the export of a
conversation."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.answer.followup import Session
from assistant.serve.web.context import AUTO, WebContext, bound, links, message
from assistant.serve.web.render import conversation_markdown, render_sources


def respond(
    ctx: WebContext,
    question: str,
    company: str,
    history: list[dict[str, Any]],
    state: dict[str, Any] | None,
    shown: list[str] | None,
    request: gr.Request,
) -> Iterator[tuple[Any, ...]]:
    """Answer a question (streamed token by token), then show its sources; a conversation is its user's."""
    history, shown = list(history or []), list(shown or [])
    history.append({"role": "user", "content": question})
    history.append({"role": "assistant", "content": "…"})
    yield history, "", "", state, shown
    try:
        with ctx.acting(request, "ask") as (principal, note):
            if not state or state.get("user") != principal.name:  # a conversation is its user's alone
                state = {"user": principal.name, "session": Session()}
            chosen = None if company in (None, "", AUTO) else company
            asked, name = ctx.portal.question(principal, question, chosen, note)
            partial = ""
            for event in ctx.services.answerer.stream(asked, name, state["session"], principal.allowed):
                if event.kind == "token":
                    partial += event.token
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, "", "", state, shown
                elif event.kind == "retry":  # the first answer failed verification: asked again
                    partial = ""
                    history[-1] = {"role": "assistant", "content": "… (checking / 核对中)"}
                    yield history, "", "", state, shown
                elif event.answer is not None:
                    answer = event.answer
                    history[-1] = {"role": "assistant", "content": answer.answer}
                    sources = render_sources(answer)
                    shown.append(sources)
                    note(answer.company, answer=answer.answer, answer_path=answer.path,
                         citations=[c.model_dump(exclude={"quote"}) for c in answer.citations])  # fmt: skip
                    yield history, "", sources, state, shown
    except Exception as exc:
        history[-1] = {"role": "assistant", "content": f"⚠ {message(exc)}"}
        yield history, "", "", state, shown


def export_chat(
    ctx: WebContext, history: list[dict[str, Any]], shown: list[str] | None, request: gr.Request
) -> str:
    """The conversation as a Markdown file of the user's own: its download link."""
    try:
        with ctx.acting(request, "chat_export") as (principal, note):
            path = ctx.user_dir(principal) / "conversation.md"
            path.write_text(conversation_markdown(list(history or []), list(shown or [])), encoding="utf-8")
            note(turns=len(history or []))
            return links([(ctx.access.add_file(request, path, path.name), path.name)])
    except Exception as exc:
        return f"<p class='not-found'>⚠ {html.escape(message(exc))}</p>"


def new_chat() -> tuple[Any, ...]:
    return [], "", None, [], ""


def chat_tab(ctx: WebContext) -> gr.Dropdown:
    """The tab's components and events; returns its company choice (filled when the page loads)."""
    with gr.Row():
        company = gr.Dropdown(
            choices=[AUTO],
            value=AUTO,
            label="Company / 企业",
            scale=1,
            elem_id="company",
            allow_custom_value=True,
        )
    chat = gr.Chatbot(label="Conversation / 对话", height=380, elem_id="chat", buttons=["copy"])
    question = gr.Textbox(
        label="Question / 问题",
        placeholder="e.g. What was the revenue in 2023? / 2023年营业收入是多少？",
        elem_id="question",
    )
    with gr.Row():
        ask = gr.Button("Ask / 提问", variant="primary", elem_id="ask")
        clear = gr.Button("New conversation / 新对话", elem_id="new-chat")
        export = gr.Button("Export / 导出", elem_id="export")
    sources = gr.HTML(elem_id="sources")
    exported = gr.HTML(elem_id="exported")
    session = gr.State(None)
    shown = gr.State([])
    inputs = [question, company, chat, session, shown]
    outputs = [chat, question, sources, session, shown]
    ask.click(bound(ctx, respond), inputs, outputs, api_name="ask")
    question.submit(bound(ctx, respond), inputs, outputs, api_name="ask_submit")
    clear.click(new_chat, None, [chat, sources, session, shown, exported])
    export.click(bound(ctx, export_chat), [chat, shown], exported, api_name="export_chat")
    return company
