"""The batch tab: profiles of every company the user may see, written in the background, with progress and
the download links of the outputs."""

from __future__ import annotations

import gradio as gr

from assistant.core.errors import InputError
from assistant.serve.web.context import WebContext, bound, links, message


def start_batch(ctx: WebContext, request: gr.Request) -> str:
    """Start the user's batch job through the same job service as ``POST /api/batch`` (one at a time per
    user; the job's state is on disk, so it is listed by the API and survives a restart)."""
    try:
        with ctx.acting(request, "batch_start") as (principal, note):
            running = ctx.jobs.get(principal.name)
            if running is not None and not running.finished:
                raise InputError("a batch job of yours is still running / 已有进行中的批量任务")
            job = ctx.portal.batch_start(principal, None, note=note)
            ctx.jobs[principal.name] = job
    except Exception as exc:
        return f"⚠ {message(exc)}"
    return f"started: {job.total} companies / 已开始"


def batch_status(ctx: WebContext, request: gr.Request) -> tuple[str, str]:
    """The progress of the user's latest job, and its outputs once it has finished."""
    try:
        with ctx.acting(request, "batch_status") as (principal, note):
            job = ctx.jobs.get(principal.name)
            if not job:
                return "no job yet / 尚无任务", ""
            files = []
            if job.finished:
                files = [
                    (ctx.access.add_file(request, p, p.name), p.name)
                    for p in sorted(job.out.glob("*"))
                    if p.is_file() and p.suffix in (".jsonl", ".csv")
                ]
            note(done=job.done, total=job.total, finished=job.finished)
    except Exception as exc:
        return f"⚠ {message(exc)}", ""
    state = f"⚠ {job.error}" if job.error else f"{job.done}/{job.total} companies done / 已完成"
    return state, links(files)


def batch_tab(ctx: WebContext) -> None:
    """The tab's components and events."""
    gr.Markdown("Profiles of every company you may see / 为可见的全部企业生成画像")
    start = gr.Button("Start batch / 开始", variant="primary", elem_id="start-batch")
    status = gr.Markdown(elem_id="batch-status")
    check = gr.Button("Refresh / 刷新", elem_id="batch-refresh")
    outputs = gr.HTML(elem_id="batch-outputs")
    start.click(bound(ctx, start_batch), None, status, api_name="start_batch")
    check.click(bound(ctx, batch_status), None, [status, outputs], api_name="batch_status")
