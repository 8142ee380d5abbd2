"""The documents tab: a company's documents, uploading and ingesting files, deleting a document."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import gradio as gr

from assistant.core.errors import InputError
from assistant.serve.web.context import AUTO, WebContext, bound, message


def list_documents(ctx: WebContext, company: str, request: gr.Request) -> list[list[Any]]:
    """The company's documents as table rows (none when no company is chosen or it may not be seen)."""
    try:
        with ctx.acting(request, "documents") as (principal, note):
            rows = ctx.portal.documents(principal, company, note) if company and company != AUTO else []
    except Exception:
        return []
    return [
        [r.doc, r.reader, r.pages, r.chunks, r.quality, "low quality" if r.low_quality else "ok"]
        for r in rows
    ]


def upload(ctx: WebContext, files: list[str] | None, company: str, request: gr.Request) -> tuple[Any, ...]:
    """Ingest each uploaded file for the company: a report row per file, then the documents again."""
    rows: list[list[Any]] = []
    for path in files or []:
        doc = Path(str(path)).name
        try:
            with ctx.acting(request, "upload") as (principal, note), _uploaded(path) as handle:
                report = ctx.portal.upload(principal, company, doc, handle, create=True, note=note)
            rows.append(
                [report.doc or doc, report.status, report.chunks, report.error or "; ".join(report.warnings)]
            )
        except Exception as exc:
            rows.append([doc, "failed", 0, message(exc)])
    if not files:
        rows.append(["", "failed", 0, "no file chosen / 请选择文件"])
    return rows, list_documents(ctx, company, request)


def delete(ctx: WebContext, company: str, doc: str, request: gr.Request) -> tuple[Any, ...]:
    """Delete one of the company's documents: a message, then the documents again."""
    try:
        with ctx.acting(request, "delete") as (principal, note):
            removed = ctx.portal.delete(principal, company, doc, note)
        text = f"deleted {removed[0]} / 已删除"
    except Exception as exc:
        text = f"⚠ {message(exc)}"
    return text, list_documents(ctx, company, request)


def documents_tab(ctx: WebContext) -> gr.Dropdown:
    """The tab's components and events; returns its company choice (filled when the page loads)."""
    company = gr.Dropdown(choices=[], label="Company / 企业", allow_custom_value=True, elem_id="docs-company")
    files = gr.File(label="Upload files / 上传文件", file_count="multiple", type="filepath", elem_id="upload")
    send = gr.Button("Upload and ingest / 上传并导入", variant="primary", elem_id="send")
    report = gr.Dataframe(headers=["file", "status", "passages", "note"], label="Ingest report / 导入结果",
                          elem_id="ingest-report")  # fmt: skip
    listing = gr.Dataframe(headers=["doc", "reader", "pages", "passages", "quality", "status"],
                           label="Documents / 文档列表", elem_id="documents")  # fmt: skip
    with gr.Row():
        doc_name = gr.Textbox(label="Document to delete / 要删除的文档", elem_id="doc-name")
        remove = gr.Button("Delete / 删除", variant="stop", elem_id="delete")
    deleted = gr.Markdown()
    company.change(bound(ctx, list_documents), [company], listing, api_name="list_documents")
    send.click(bound(ctx, upload), [files, company], [report, listing], api_name="upload")
    remove.click(bound(ctx, delete), [company, doc_name], [deleted, listing], api_name="delete")
    return company


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
