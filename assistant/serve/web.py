"""The web app (Gradio Blocks) for RMs and analysts: chat, profiles, documents and batch jobs.

Every handler asks ``access`` who is signed in (``assistant.serve.api.WebAccess`` when served with users;
the local user, who sees everything, otherwise) and acts through :mod:`assistant.serve.actions` — the same
role, portfolio, company and document-name rules as the REST API — recording every action, allowed or
refused, in the audit log. Generated files live in per-user folders and are served only to their owner
(:mod:`assistant.serve.webgate`). Interface text is bilingual (English / 中文).
"""

from __future__ import annotations

import html
import logging
import os
import re
import secrets
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import gradio as gr

from assistant.answer.followup import Session
from assistant.core.errors import AssistantError, InputError, http_status
from assistant.core.records import Answer
from assistant.core.services import Services
from assistant.serve.actions import Portal, portal_of
from assistant.serve.auth import LOCAL, Principal

log = logging.getLogger("assistant.serve.web")

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


def render_sources(answer: Answer) -> str:
    """The verification verdict, then the citations as HTML: document, page and the quoted passage of each."""
    verdict = f"<p class='verdict {answer.path}'>{html.escape(VERDICTS.get(answer.path, answer.path))}</p>"
    if answer.standalone_question:
        verdict += f"<p class='asked-as'>Asked as / 按此理解: {html.escape(answer.standalone_question)}</p>"
    if answer.candidates:
        return verdict + "<p>" + html.escape(" | ".join(answer.candidates)) + "</p>"
    if answer.insufficient_evidence:
        searched = (
            f"<p class='searched'>Searched / 检索范围: {html.escape(answer.searched)}</p>"
            if answer.searched
            else ""
        )
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
    """A batch profile job started from the web app (one per user, in a folder of its own)."""

    def __init__(self, total: int, out: Path) -> None:
        self.total, self.out = total, out
        self.done = 0
        self.error: str | None = None
        self.finished = False

    def run(self, services: Services, companies: list[str]) -> None:
        from assistant.profile.batch import run_batch

        try:
            run_batch(services.store, companies, self.out, on_done=self._one)
        except Exception:  # shown in the progress line; the details go to the server log
            log.exception("batch job in %s failed", self.out)
            self.error = "the batch job failed (recorded in the server log)"
        finally:
            self.finished = True

    def _one(self, *_: Any) -> None:
        self.done += 1


def _links(items: list[tuple[str, str]]) -> str:
    """Download links (URL, file name) as HTML."""
    return " · ".join(
        f"<a href='{html.escape(url, quote=True)}' download='{html.escape(name, quote=True)}'>"
        f"{html.escape(name)}</a>"
        for url, name in items
    )


def _message(exc: BaseException) -> str:
    """The product's one-line message for an error (details of unexpected ones only in the server log)."""
    if isinstance(exc, AssistantError):
        return str(exc)
    return "internal error: recorded in the server log / 内部错误，已记录"


def build_app(services: Services, access: Access | None = None, portal: Portal | None = None) -> gr.Blocks:
    """Build the UI without launching it (tests call this directly). Every handler acts through ``portal``
    (:mod:`assistant.serve.actions`, as the REST API does) for the signed-in user of ``access``, and records
    the action, allowed or refused, in the audit log."""
    from assistant.profile.render import render

    access = access or LocalAccess()
    portal = portal or portal_of(services)
    out_dir = Path(tempfile.mkdtemp(prefix="assistant-web-"))
    user_dirs: dict[str, Path] = {}
    guard = threading.Lock()

    def user_dir(principal: Principal) -> Path:
        """A fresh folder of the user's own (files are served only to their owner, by unguessable id)."""
        with guard:
            root = user_dirs.setdefault(principal.name, out_dir / secrets.token_hex(8))
        folder = root / secrets.token_hex(8)
        folder.mkdir(parents=True)
        return folder

    @contextmanager
    def acting(request: gr.Request | None, action: str) -> Iterator[tuple[Principal, Callable[..., None]]]:
        """The signed-in user and a ``note`` for the action's audit entry, written once with the outcome."""
        entry: dict[str, Any] = {"company": None, "details": {}}

        def note(company: str | None = None, **details: Any) -> None:
            if company is not None:
                entry["company"] = company
            entry["details"].update(details)

        status = 200
        try:
            yield access.principal(request), note
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
            access.record(request, action, entry["company"], status, **entry["details"])

    def names(principal: Principal) -> list[str]:
        return [c.company for c in portal.companies(principal)]

    def refresh(request: gr.Request) -> tuple[Any, ...]:
        try:
            with acting(request, "companies") as (principal, note):
                visible = portal.companies(principal, note)
        except Exception:
            visible = []
        listed = [c.company for c in visible]
        return (
            gr.Dropdown(choices=[AUTO, *listed]),
            gr.Dropdown(choices=listed, value=listed[0] if listed else None),
            gr.Dropdown(choices=listed, value=listed[0] if listed else None),
        )

    # ---- chat ----------------------------------------------------------------------------------------
    def respond(
        question: str,
        company: str,
        history: list[dict[str, Any]],
        state: dict[str, Any] | None,
        shown: list[str] | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        history, shown = list(history or []), list(shown or [])
        history.append({"role": "user", "content": question})
        history.append({"role": "assistant", "content": "…"})
        yield history, "", "", state, shown
        try:
            with acting(request, "ask") as (principal, note):
                if not state or state.get("user") != principal.name:  # a conversation is its user's alone
                    state = {"user": principal.name, "session": Session()}
                chosen = None if company in (None, "", AUTO) else company
                asked, name = portal.question(principal, question, chosen, note)
                partial = ""
                for event in services.answerer.stream(asked, name, state["session"], principal.allowed):
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
            history[-1] = {"role": "assistant", "content": f"⚠ {_message(exc)}"}
            yield history, "", "", state, shown

    def export_chat(history: list[dict[str, Any]], shown: list[str] | None, request: gr.Request) -> str:
        try:
            with acting(request, "chat_export") as (principal, note):
                path = user_dir(principal) / "conversation.md"
                path.write_text(
                    conversation_markdown(list(history or []), list(shown or [])), encoding="utf-8"
                )
                note(turns=len(history or []))
                return _links([(access.add_file(request, path, path.name), path.name)])
        except Exception as exc:
            return f"<p class='not-found'>⚠ {html.escape(_message(exc))}</p>"

    def new_chat() -> tuple[Any, ...]:
        return [], "", None, [], ""

    # ---- profile -------------------------------------------------------------------------------------
    def show_profile(company: str, request: gr.Request) -> tuple[str, str]:
        try:
            with acting(request, "profile_view") as (principal, note):
                profile = portal.profile(principal, company, note)
                folder = user_dir(principal)
                links = []
                for fmt in ("json", "md", "html"):
                    name = f"profile.{fmt}"
                    (folder / name).write_text(render(profile, fmt), encoding="utf-8")
                    links.append((access.add_file(request, folder / name, name), name))
        except Exception as exc:
            return f"<p class='not-found'>⚠ {html.escape(_message(exc))}</p>", ""
        report = render(profile, "html")
        frame = f"<iframe title='profile' srcdoc=\"{html.escape(report, quote=True)}\"></iframe>"
        return frame, _links(links)

    # ---- documents -----------------------------------------------------------------------------------
    def list_documents(company: str, request: gr.Request) -> list[list[Any]]:
        try:
            with acting(request, "documents") as (principal, note):
                rows = portal.documents(principal, company, note) if company and company != AUTO else []
        except Exception:
            return []
        return [
            [r.doc, r.reader, r.pages, r.chunks, r.quality, "low quality" if r.low_quality else "ok"]
            for r in rows
        ]

    def upload(files: list[str] | None, company: str, request: gr.Request) -> tuple[Any, ...]:
        rows: list[list[Any]] = []
        for path in files or []:
            doc = Path(str(path)).name
            try:
                with acting(request, "upload") as (principal, note), _uploaded(path) as handle:
                    report = portal.upload(principal, company, doc, handle, create=True, note=note)
                rows.append(
                    [
                        report.doc or doc,
                        report.status,
                        report.chunks,
                        report.error or "; ".join(report.warnings),
                    ]
                )
            except Exception as exc:
                rows.append([doc, "failed", 0, _message(exc)])
        if not files:
            rows.append(["", "failed", 0, "no file chosen / 请选择文件"])
        return rows, list_documents(company, request)

    def delete(company: str, doc: str, request: gr.Request) -> tuple[Any, ...]:
        try:
            with acting(request, "delete") as (principal, note):
                removed = portal.delete(principal, company, doc, note)
            message = f"deleted {removed[0]} / 已删除"
        except Exception as exc:
            message = f"⚠ {_message(exc)}"
        return message, list_documents(company, request)

    # ---- batch ---------------------------------------------------------------------------------------
    jobs: dict[str, _Job] = {}  # user → their latest job

    def start_batch(request: gr.Request) -> str:
        try:
            with acting(request, "batch_start") as (principal, note):
                running = jobs.get(principal.name)
                if running is not None and not running.finished:
                    raise InputError("a batch job of yours is still running / 已有进行中的批量任务")
                companies = names(principal)
                job = _Job(total=len(companies), out=user_dir(principal))
                jobs[principal.name] = job
                note(companies=len(companies))
        except Exception as exc:
            return f"⚠ {_message(exc)}"
        threading.Thread(target=job.run, args=(services, companies), daemon=True).start()
        return f"started: {len(companies)} companies / 已开始"

    def batch_status(request: gr.Request) -> tuple[str, str]:
        try:
            with acting(request, "batch_status") as (principal, note):
                job = jobs.get(principal.name)
                if not job:
                    return "no job yet / 尚无任务", ""
                links = []
                if job.finished:
                    links = [
                        (access.add_file(request, p, p.name), p.name)
                        for p in sorted(job.out.glob("*"))
                        if p.is_file() and p.suffix in (".jsonl", ".csv")
                    ]
                note(done=job.done, total=job.total, finished=job.finished)
        except Exception as exc:
            return f"⚠ {_message(exc)}", ""
        state = f"⚠ {job.error}" if job.error else f"{job.done}/{job.total} companies done / 已完成"
        return state, _links(links)

    # ---- layout --------------------------------------------------------------------------------------
    app: gr.Blocks
    with gr.Blocks(title="SME Credit Assistant / 科技企业画像助手") as app:
        gr.Markdown(
            "## SME Credit Assistant · 科技型中小企业画像助手\n"
            "Answers come only from the ingested documents, each with its source file and page. "
            "回答仅来自已导入的文档，并注明出处文件和页码。"
        )
        with gr.Tab("Chat / 对话"):
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
            ask.click(respond, [question, company, chat, session, shown], [chat, question, sources, session, shown],
                      api_name="ask")  # fmt: skip
            question.submit(respond, [question, company, chat, session, shown],
                            [chat, question, sources, session, shown], api_name="ask_submit")  # fmt: skip
            clear.click(new_chat, None, [chat, sources, session, shown, exported])
            export.click(export_chat, [chat, shown], exported, api_name="export_chat")
        with gr.Tab("Profile / 画像"):
            profile_company = gr.Dropdown(
                choices=[], label="Company / 企业", elem_id="profile-company", allow_custom_value=True
            )
            show = gr.Button("Show profile / 查看画像", variant="primary", elem_id="show-profile")
            downloads = gr.HTML(elem_id="profile-downloads")
            report = gr.HTML(elem_id="profile-report")
            show.click(show_profile, [profile_company], [report, downloads], api_name="profile")
        with gr.Tab("Documents / 文档"):
            docs_company = gr.Dropdown(
                choices=[], label="Company / 企业", allow_custom_value=True, elem_id="docs-company"
            )
            files = gr.File(
                label="Upload files / 上传文件", file_count="multiple", type="filepath", elem_id="upload"
            )
            send = gr.Button("Upload and ingest / 上传并导入", variant="primary", elem_id="send")
            report_table = gr.Dataframe(headers=["file", "status", "passages", "note"], label="Ingest report / 导入结果",
                                        elem_id="ingest-report")  # fmt: skip
            listing = gr.Dataframe(headers=["doc", "reader", "pages", "passages", "quality", "status"],
                                   label="Documents / 文档列表", elem_id="documents")  # fmt: skip
            with gr.Row():
                doc_name = gr.Textbox(label="Document to delete / 要删除的文档", elem_id="doc-name")
                remove = gr.Button("Delete / 删除", variant="stop", elem_id="delete")
            deleted = gr.Markdown()
            docs_company.change(list_documents, [docs_company], listing, api_name="list_documents")
            send.click(upload, [files, docs_company], [report_table, listing], api_name="upload")
            remove.click(delete, [docs_company, doc_name], [deleted, listing], api_name="delete")
        with gr.Tab("Batch / 批量"):
            gr.Markdown("Profiles of every company you may see / 为可见的全部企业生成画像")
            start = gr.Button("Start batch / 开始", variant="primary", elem_id="start-batch")
            status = gr.Markdown(elem_id="batch-status")
            check = gr.Button("Refresh / 刷新", elem_id="batch-refresh")
            outputs = gr.HTML(elem_id="batch-outputs")
            start.click(start_batch, None, status, api_name="start_batch")
            check.click(batch_status, None, [status, outputs], api_name="batch_status")
        app.load(refresh, None, [company, profile_company, docs_company])
    return app


@contextmanager
def _uploaded(path: object) -> Iterator[BinaryIO]:
    """Open a file Gradio received for this request: only a regular file inside Gradio's own upload folder
    (the gate lets an event name only files its user uploaded; this is the second check), never a link."""
    from gradio.utils import get_upload_folder

    root = os.path.realpath(get_upload_folder())
    real = os.path.realpath(str(path))
    if os.path.commonpath([root, real]) != root or os.path.islink(str(path)):
        raise InputError("the file was not uploaded in this app / 文件并非通过本应用上传")
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        raise InputError(
            "the uploaded file is gone: upload it again / 上传的文件已失效，请重新上传"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InputError("the upload is not a file / 上传内容不是文件")
        yield handle
