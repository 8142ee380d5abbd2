"""The web app (Gradio Blocks) for RMs and analysts: chat, profiles, documents and batch jobs.

Every handler asks ``access`` who is signed in (``assistant.api.WebAccess`` when served with users;
the local user, who sees everything, otherwise) and passes the user's portfolio to retrieval, profiles
and document lists — the UI never receives data of a company outside it — and records the action in
the audit log. Interface text is bilingual (English / 中文).
"""

from __future__ import annotations

import html
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from assistant.auth import LOCAL, Permission, Principal
from assistant.errors import AssistantError, InputError
from assistant.followup import Session
from assistant.services import Services
from assistant.types import Answer

AUTO = "(detect from question / 自动识别)"
CSS = (
    "#sources blockquote { white-space: pre-wrap; } .not-found { color: #9a3412; }"
    " .verdict.verified { color: #166534; } .verdict.extractive { color: #92400e; } .asked-as { color: #475569; }"
    " #profile-report iframe { width: 100%; height: 900px; border: 1px solid #e2e8f0; }"
)
VERDICTS = {
    "verified": "✓ verified against the cited passages / 已核对引用原文",
    "extractive": "❝ quoted from the document: the model's answer failed verification / 模型回答未通过核对，改为引用原文",
    "insufficient_evidence": "∅ not in the documents / 文档中未找到",
    "needs_company": "? choose a company / 请选择企业",
}


class Access(Protocol):
    """Who is signed in, and the audit log (``assistant.api.WebAccess``)."""

    def principal(self, request: Any) -> Principal: ...

    def record(self, request: Any, action: str, company: str | None = None, **details: Any) -> None: ...


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
            f"<details class='citation'><summary>[{c.n}] {html.escape(c.company)} — "
            f"<b>{html.escape(c.doc)}</b>{page}</summary><blockquote>{html.escape(c.quote)}</blockquote></details>"
        )
    return verdict + "\n".join(items)


def conversation_markdown(history: list[dict[str, Any]], sources: list[str]) -> str:
    """A chat as Markdown, for export (questions, answers and the sources shown with each answer)."""
    lines = ["# Conversation / 对话", ""]
    answers = iter(sources)
    for turn in history:
        if turn.get("role") == "user":
            lines += [f"**Q:** {turn.get('content')}", ""]
        else:
            lines += [f"**A:** {turn.get('content')}", ""]
            shown = next(answers, "")
            if shown:
                text = re.sub(r"<[^>]+>", " ", shown)
                lines += ["> " + " ".join(html.unescape(text).split()), ""]
    return "\n".join(lines)


class _Job:
    """A batch profile job started from the web app."""

    def __init__(self, total: int, out: Path) -> None:
        self.total, self.out = total, out
        self.done = 0
        self.error: str | None = None
        self.finished = False

    def run(self, services: Services, companies: list[str]) -> None:
        from assistant.profile.batch import run_batch

        try:
            run_batch(services.store, companies, self.out, on_done=self._one)
        except Exception as exc:  # shown in the progress line
            self.error = str(exc)
        finally:
            self.finished = True

    def _one(self, *_: Any) -> None:
        self.done += 1


def build_app(services: Services, access: Access | None = None) -> gr.Blocks:
    """Build the UI without launching it (tests call this directly)."""
    from assistant.uploads import Uploads, safe_company, safe_file_name

    store, settings = services.store, services.settings
    uploads = Uploads(store, settings)
    out_dir = Path(tempfile.mkdtemp(prefix="assistant-web-"))

    def who(request: gr.Request | None) -> Principal:
        return access.principal(request) if access is not None else LOCAL

    def note(request: gr.Request | None, action: str, company: str | None = None, **details: Any) -> None:
        if access is not None:
            access.record(request, action, company, **details)

    def need(principal: Principal, permission: Permission) -> None:
        if not principal.can(permission):
            raise InputError(f"your role ({principal.role}) may not {permission} / 当前角色无此权限")

    def visible(principal: Principal) -> list[str]:
        return [c.company for c in store.companies() if principal.sees(c.company)]

    def own(principal: Principal, company: str | None) -> str:
        """A company the user may see (an unknown and a forbidden one look the same)."""
        if not company or company == AUTO or not principal.sees(company) or company not in visible(principal):
            raise InputError(f"unknown company '{company or ''}' / 未知企业")
        return company

    def refresh(request: gr.Request) -> tuple[Any, ...]:
        names = visible(who(request))
        return (
            gr.Dropdown(choices=[AUTO, *names]),
            gr.Dropdown(choices=names, value=names[0] if names else None),
            gr.Dropdown(choices=names, value=names[0] if names else None),
        )

    # ---- chat ----------------------------------------------------------------------------------------
    def respond(
        question: str,
        company: str,
        history: list[dict[str, Any]],
        session: Session | None,
        shown: list[str] | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        history, shown = list(history or []), list(shown or [])
        session = session or Session()
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": "…"})
        yield history, "", "", session, shown
        try:
            principal = who(request)
            chosen = None if company in (None, "", AUTO) else company
            stream = services.answerer.stream(question, chosen, session, principal.allowed)
            partial = ""
            for event in stream:
                if event.kind == "token":
                    partial += event.token
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, "", "", session, shown
                elif event.kind == "retry":  # the first answer failed verification: asked again
                    partial = ""
                    history[-1] = {"role": "assistant", "content": "… (checking / 核对中)"}
                    yield history, "", "", session, shown
                elif event.answer is not None:
                    answer = event.answer
                    history[-1] = {"role": "assistant", "content": answer.answer}
                    sources = render_sources(answer)
                    shown.append(sources)
                    note(request, "ask", answer.company, question=question, answer=answer.answer, path=answer.path,
                         citations=[c.model_dump(exclude={"quote"}) for c in answer.citations])  # fmt: skip
                    yield history, "", sources, session, shown
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, "", "", session, shown

    def export_chat(history: list[dict[str, Any]], shown: list[str] | None) -> Any:
        path = out_dir / "conversation.md"
        path.write_text(conversation_markdown(list(history or []), list(shown or [])), encoding="utf-8")
        return gr.File(value=str(path), visible=True)

    def new_chat() -> tuple[Any, ...]:
        return [], "", None, []

    # ---- profile -------------------------------------------------------------------------------------
    def show_profile(company: str, request: gr.Request) -> tuple[Any, ...]:
        from assistant.profile.build import build_profile
        from assistant.profile.render import render

        try:
            name = own(who(request), company)
            profile = build_profile(store, name)
        except AssistantError as exc:
            return f"<p class='not-found'>⚠ {html.escape(str(exc))}</p>", None, None, None
        note(request, "profile_view", name)
        paths = []
        for fmt in ("json", "md", "html"):
            path = out_dir / f"{safe_file_name(name + '.' + fmt) if name.isascii() else 'profile.' + fmt}"
            path.write_text(render(profile, fmt), encoding="utf-8")
            paths.append(str(path))
        report = render(profile, "html")
        frame = f"<iframe title='profile' srcdoc=\"{html.escape(report, quote=True)}\"></iframe>"
        return frame, *paths

    # ---- documents -----------------------------------------------------------------------------------
    def list_documents(company: str, request: gr.Request) -> list[list[Any]]:
        try:
            name = own(who(request), company)
        except AssistantError:
            return []
        rows = store.ledger.documents(name)
        return [
            [r["doc"], r["reader"], r["pages"], r["chunks"], r["quality"], r["status"]]
            for r in rows
        ]

    def upload(files: list[str] | None, company: str, request: gr.Request) -> tuple[Any, ...]:
        principal = who(request)
        rows: list[list[Any]] = []
        try:
            need(principal, "upload")
            name = safe_company(company or "")
            if not principal.sees(name):
                raise InputError(f"unknown company '{name}' / 未知企业")
        except AssistantError as exc:
            return [[str(exc), "failed", "", ""]], list_documents(company, request)
        for path in files or []:
            doc = Path(path).name
            try:
                doc = safe_file_name(doc)
                with open(path, "rb") as fh:
                    temp = uploads.receive(fh, doc)
                report = uploads.ingest(temp, name, doc)
                rows.append([doc, report.status, report.chunks, report.error or "; ".join(report.warnings)])
                note(request, "upload", name, doc=doc, status=report.status)
            except AssistantError as exc:
                rows.append([doc, "failed", 0, str(exc)])
        return rows, list_documents(name, request)

    def delete(company: str, doc: str, request: gr.Request) -> tuple[Any, ...]:
        principal = who(request)
        try:
            need(principal, "delete")
            name = own(principal, company)
            removed = store.delete_document(name, (doc or "").strip())
            uploads.remove(name, (doc or "").strip())
            note(request, "delete", name, doc=doc, chunks=removed)
            message = f"deleted {doc} ({removed} passages) / 已删除"
        except AssistantError as exc:
            message = f"⚠ {exc}"
        return message, list_documents(company, request)

    # ---- batch ---------------------------------------------------------------------------------------
    jobs: dict[str, _Job] = {}

    def start_batch(request: gr.Request) -> str:
        principal = who(request)
        companies = visible(principal)
        job = _Job(total=len(companies), out=out_dir / f"batch-{len(jobs) + 1}")
        jobs[principal.name] = job
        note(request, "batch_start", None, companies=len(companies))
        threading.Thread(target=job.run, args=(services, companies), daemon=True).start()
        return f"started: {len(companies)} companies / 已开始"

    def batch_status(request: gr.Request) -> tuple[Any, ...]:
        job = jobs.get(who(request).name)
        if not job:
            return "no job yet / 尚无任务", None
        files = None
        if job.finished:
            files = [str(p) for p in sorted(job.out.glob("*")) if p.is_file() and p.suffix in (".jsonl", ".csv")] or None
        state = f"⚠ {job.error}" if job.error else f"{job.done}/{job.total} companies done / 已完成"
        return state, files

    # ---- layout --------------------------------------------------------------------------------------
    with gr.Blocks(title="SME Credit Assistant / 科技企业画像助手") as app:
        gr.Markdown(
            "## SME Credit Assistant · 科技型中小企业画像助手\n"
            "Answers come only from the ingested documents, each with its source file and page. "
            "回答仅来自已导入的文档，并注明出处文件和页码。"
        )
        with gr.Tab("Chat / 对话"):
            with gr.Row():
                company = gr.Dropdown(choices=[AUTO], value=AUTO, label="Company / 企业", scale=1, elem_id="company",
                                      allow_custom_value=True)
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
            exported = gr.File(label="Conversation (Markdown) / 对话记录", elem_id="exported", visible=False)
            session = gr.State(None)
            shown = gr.State([])
            ask.click(respond, [question, company, chat, session, shown], [chat, question, sources, session, shown],
                      api_name="ask")  # fmt: skip
            question.submit(respond, [question, company, chat, session, shown],
                            [chat, question, sources, session, shown], api_name="ask_submit")  # fmt: skip
            clear.click(new_chat, None, [chat, sources, session, shown])
            export.click(export_chat, [chat, shown], exported)
        with gr.Tab("Profile / 画像"):
            profile_company = gr.Dropdown(choices=[], label="Company / 企业", elem_id="profile-company", allow_custom_value=True)
            show = gr.Button("Show profile / 查看画像", variant="primary", elem_id="show-profile")
            with gr.Row():
                as_json = gr.File(label="JSON")
                as_md = gr.File(label="Markdown")
                as_html = gr.File(label="HTML")
            report = gr.HTML(elem_id="profile-report")
            show.click(show_profile, [profile_company], [report, as_json, as_md, as_html], api_name="profile")
        with gr.Tab("Documents / 文档"):
            docs_company = gr.Dropdown(choices=[], label="Company / 企业", allow_custom_value=True, elem_id="docs-company")
            files = gr.File(label="Upload files / 上传文件", file_count="multiple", type="filepath", elem_id="upload")
            send = gr.Button("Upload and ingest / 上传并导入", variant="primary", elem_id="send")
            report_table = gr.Dataframe(headers=["file", "status", "passages", "note"], label="Ingest report / 导入结果",
                                        elem_id="ingest-report")  # fmt: skip
            listing = gr.Dataframe(headers=["doc", "reader", "pages", "passages", "quality", "status"],
                                   label="Documents / 文档列表", elem_id="documents")  # fmt: skip
            with gr.Row():
                doc_name = gr.Textbox(label="Document to delete / 要删除的文档", elem_id="doc-name")
                remove = gr.Button("Delete / 删除", variant="stop", elem_id="delete")
            deleted = gr.Markdown()
            docs_company.change(list_documents, [docs_company], listing)
            send.click(upload, [files, docs_company], [report_table, listing], api_name="upload")
            remove.click(delete, [docs_company, doc_name], [deleted, listing])
        with gr.Tab("Batch / 批量"):
            gr.Markdown("Profiles of every company you may see / 为可见的全部企业生成画像")
            start = gr.Button("Start batch / 开始", variant="primary", elem_id="start-batch")
            status = gr.Markdown(elem_id="batch-status")
            check = gr.Button("Refresh / 刷新", elem_id="batch-refresh")
            outputs = gr.File(label="Outputs / 输出", file_count="multiple")
            start.click(start_batch, None, status)
            check.click(batch_status, None, [status, outputs])
        app.load(refresh, None, [company, profile_company, docs_company])
    return app
