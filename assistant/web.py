"""The web app (Gradio Blocks): a first chat page — question in, answer with citations out."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.followup import Session
from assistant.services import Services
from assistant.types import Answer

AUTO = "(detect from question / 自动识别)"
CSS = (
    "#sources blockquote { white-space: pre-wrap; } .not-found { color: #9a3412; }"
    " .verdict.verified { color: #166534; } .verdict.extractive { color: #92400e; } .asked-as { color: #475569; }"
)


VERDICTS = {
    "verified": "✓ verified against the cited passages / 已核对引用原文",
    "extractive": "❝ quoted from the document: the model's answer failed verification / 模型回答未通过核对，改为引用原文",
    "insufficient_evidence": "∅ not in the documents / 文档中未找到",
    "needs_company": "? choose a company / 请选择企业",
}


def render_sources(answer: Answer) -> str:
    """The verification verdict, then the citations as HTML: document, page and the quoted passage of each."""
    verdict = f"<p class='verdict {answer.path}'>{html.escape(VERDICTS.get(answer.path, answer.path))}</p>"
    if answer.standalone_question:
        verdict += f"<p class='asked-as'>Asked as / 按此理解: {html.escape(answer.standalone_question)}</p>"
    if answer.candidates:
        return verdict + "<p>" + html.escape(" | ".join(answer.candidates)) + "</p>"
    if answer.insufficient_evidence:
        searched = f"<p class='searched'>Searched / 检索范围: {html.escape(answer.searched)}</p>" if answer.searched else ""
        return "<p class='not-found'><b>Not in the documents / 文档中未找到</b></p>" + verdict + searched
    items = []
    for c in answer.citations:
        page = f", page {c.page}" if c.page else ""
        items.append(
            f"<details class='citation' open><summary>[{c.n}] {html.escape(c.company)} — "
            f"<b>{html.escape(c.doc)}</b>{page}</summary><blockquote>{html.escape(c.quote)}</blockquote></details>"
        )
    return verdict + "\n".join(items)


def build_app(services: Services) -> gr.Blocks:
    """Build the UI without launching it (tests call this directly)."""

    def companies() -> list[str]:
        return [AUTO] + [c.company for c in services.store.companies()]

    def respond(
        question: str, company: str, history: list[dict[str, Any]], session: Session | None
    ) -> Iterator[tuple[Any, ...]]:
        history = list(history or [])
        session = session or Session()
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": "…"})
        yield history, "", "", session
        try:
            stream = services.answerer.stream(question, None if company in (None, "", AUTO) else company, session)
            partial = ""
            for event in stream:
                if event.kind == "token":
                    partial += event.token
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, "", "", session
                elif event.kind == "retry":  # the first answer failed verification: asked again
                    partial = ""
                    history[-1] = {"role": "assistant", "content": "… (checking / 核对中)"}
                    yield history, "", "", session
                elif event.answer is not None:
                    history[-1] = {"role": "assistant", "content": event.answer.answer}
                    yield history, "", render_sources(event.answer), session
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, "", "", session

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
        session = gr.State(None)
        ask.click(respond, [question, company, chat, session], [chat, question, sources, session], api_name="ask")
        question.submit(
            respond, [question, company, chat, session], [chat, question, sources, session], api_name="ask_submit"
        )
        app.load(lambda: gr.Dropdown(choices=companies()), None, company)
    return app


def serve(services: Services, host: str = "127.0.0.1", port: int = 7860) -> None:
    app = build_app(services)
    app.queue(default_concurrency_limit=1).launch(server_name=host, server_port=port, show_error=True, css=CSS)
