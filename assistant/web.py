"""The web app (Gradio Blocks): a first chat page — question in, answer with citations out."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.services import Services
from assistant.types import Answer

AUTO = "(detect from question / 自动识别)"
CSS = "#sources blockquote { white-space: pre-wrap; } .not-found { color: #9a3412; }"


def render_sources(answer: Answer) -> str:
    """Citations as HTML: document, page and the quoted passage of each."""
    if answer.insufficient_evidence:
        return "<p class='not-found'><b>Not in the documents / 文档中未找到</b></p>"
    items = []
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        items.append(
            f"<details class='citation' open><summary>[{c.n}] {html.escape(c.company)} — "
            f"<b>{html.escape(c.doc)}</b>{page}</summary><blockquote>{html.escape(c.quote)}</blockquote></details>"
        )
    return "\n".join(items)


def build_app(services: Services) -> gr.Blocks:
    """Build the UI without launching it (tests call this directly)."""

    def companies() -> list[str]:
        return [AUTO] + [c.company for c in services.store.companies()]

    def respond(question: str, company: str, history: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": "…"})
        yield history, "", ""
        try:
            stream = services.answerer.stream(question, None if company in (None, "", AUTO) else company)
            partial = ""
            for event in stream:
                if event.kind == "token":
                    partial += event.token
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, "", ""
                elif event.answer is not None:
                    history[-1] = {"role": "assistant", "content": event.answer.answer}
                    yield history, "", render_sources(event.answer)
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, "", ""

    with gr.Blocks(title="SME Credit Assistant / 科技企业画像助手") as app:
        gr.Markdown(
            "## SME Credit Assistant · 科技型中小企业画像助手\n"
            "Answers come only from the ingested documents, each with its source file and page. "
            "回答仅来自已导入的文档，并注明出处文件和页码。"
        )
        with gr.Row():
            company = gr.Dropdown(choices=companies(), value=AUTO, label="Company / 企业", scale=1)
        chat = gr.Chatbot(label="Conversation / 对话", height=380, elem_id="chat")
        question = gr.Textbox(
            label="Question / 问题",
            placeholder="e.g. What was the revenue in 2023? / 2023年营业收入是多少？",
            elem_id="question",
        )
        ask = gr.Button("Ask / 提问", variant="primary", elem_id="ask")
        sources = gr.HTML(elem_id="sources")
        ask.click(respond, [question, company, chat], [chat, question, sources], api_name="ask")
        question.submit(respond, [question, company, chat], [chat, question, sources], api_name="ask_submit")
        app.load(lambda: gr.Dropdown(choices=companies()), None, company)
    return app


def serve(services: Services, host: str = "127.0.0.1", port: int = 7860) -> None:
    app = build_app(services)
    app.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port, show_error=True, css=CSS)
