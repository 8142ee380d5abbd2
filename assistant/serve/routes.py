"""Endpoints of the REST API (mounted under /api by :func:`assistant.serve.api.build_api`). Request and
response shapes are those of the CLI's ``--json`` output. Every endpoint reads through the caller's
portfolio (``allowed``): a company outside it looks exactly like one that does not exist.
Batch jobs (``/api/batch``) are in :mod:`assistant.serve.jobs_routes`.

Adding an endpoint (e.g. profiles) takes a few lines::

    @router.get("/profile/{company}", name="profile")
    def profile(company: str, request: Request, who: Reader) -> dict:
        name = context(request).company(who, company)   # 403/404 outside the portfolio
        note(request, company=name)                     # the audit entry's company (action = route name)
        return build_profile(context(request).services.store, name).model_dump(mode="json")
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from assistant.answer.answerer import Event
from assistant.core.records import Answer, CompanyInfo, Fact, IngestReport, SearchHit
from assistant.serve.actions import DocumentInfo, MetricResult
from assistant.serve.audit import AuditEntry, ChainReport
from assistant.serve.auth import PERMISSIONS, Principal
from assistant.serve.deps import context, note, noter, require, status_of

router = APIRouter(tags=["assistant"])
admin = APIRouter(tags=["audit"])
Reader = Annotated[Principal, Depends(require("read"))]
Uploader = Annotated[Principal, Depends(require("upload"))]
Deleter = Annotated[Principal, Depends(require("delete"))]
Auditor = Annotated[Principal, Depends(require("audit"))]


# ---- shapes ------------------------------------------------------------------------------------
class SearchRequest(BaseModel):
    """``assistant search QUERY [--company NAME] [-k N]``"""

    query: str = Field(max_length=2000)
    company: str | None = Field(
        None, description="Search one company (any alias); default: every company you may see."
    )
    k: int = Field(5, ge=1, le=50, description="Number of passages.")


class AskRequest(BaseModel):
    """``assistant ask QUESTION [--company NAME]``; ``session_id`` keeps a conversation (follow-up questions)."""

    question: str
    company: str | None = None
    session_id: str | None = Field(
        None,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Any id you choose; questions with the same id are one conversation.",
    )


class Deleted(BaseModel):
    """``assistant delete DOC --company NAME --json``"""

    deleted: list[str]


class QueueStatus(BaseModel):
    running: int = Field(description="Answers being generated (at most 1 with the embedded model).")
    waiting: int = Field(description="Generations waiting for the model.")
    asks_in_progress: int = Field(description="Questions being answered (retrieving, waiting or generating).")
    max_pending: int


class Me(BaseModel):
    name: str
    role: str
    portfolio: list[str] | Literal["*"]
    permissions: list[str]


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_before_id: int | None = Field(None, description="Pass as before_id for the next (older) page.")


def _answer_record(answer: Answer) -> dict[str, Any]:
    return {
        "company": answer.company,
        "answer_path": answer.path,  # "path" is the HTTP path of the entry
        "resolved_company": answer.company,
        "answer": answer.answer,
        "citations": [c.model_dump() for c in answer.citations],
        "standalone_question": answer.standalone_question,
        "latency_s": answer.latency_s,
        "completed": True,
    }


def _prepare(request: Request, body: AskRequest, who: Principal, stream: bool) -> tuple[str, str | None]:
    """Check the question and company before anything runs: errors are plain 4xx, never a broken stream."""
    note(request, session_id=body.session_id, stream=stream, completed=False)
    return context(request).portal.question(who, body.question, body.company, noter(request))


# ---- endpoints ---------------------------------------------------------------------------------
@router.get("/me", name="me", response_model=Me)
def me(who: Reader) -> Me:
    """Who you are, your role, the companies you may see and what you may do."""
    return Me(
        name=who.name,
        role=who.role,
        portfolio="*" if who.portfolio is None else sorted(who.portfolio),
        permissions=[p for p, roles in PERMISSIONS.items() if who.role in roles],
    )


@router.get("/companies", name="companies", response_model=list[CompanyInfo])
def companies(request: Request, who: Reader) -> list[CompanyInfo]:
    """``assistant companies --json``: the companies of your portfolio that have documents."""
    return context(request).portal.companies(who, noter(request))


@router.post("/search", name="search", response_model=list[SearchHit])
def search(body: SearchRequest, request: Request, who: Reader) -> list[SearchHit]:
    """``assistant search --json``: ranked passages (hybrid retrieval), only of companies you may see."""
    return context(request).portal.search(who, body.query, body.company, body.k, noter(request))


@router.post("/ask", name="ask", response_model=Answer)
async def ask(body: AskRequest, request: Request, who: Reader) -> Answer:
    """``assistant ask --json``: the verified answer with its citations (waits for its turn at the model)."""
    ctx = context(request)
    question, company = await run_in_threadpool(_prepare, request, body, who, False)
    events = ctx.asks.start(question, company, who.allowed, ctx.asks.conversation(who.name, body.session_id))
    async with aclosing(events):
        async for kind, item in events:
            if kind == "error":
                raise item
            if kind == "event" and item.kind == "answer":
                note(request, **_answer_record(item.answer))
                answer: Answer = item.answer
                return answer
    raise HTTPException(500, "the question ended without an answer")


@router.post("/ask/stream", name="ask")
async def ask_stream(body: AskRequest, request: Request, who: Reader) -> StreamingResponse:
    """The answer as it is written: NDJSON lines (or Server-Sent Events with ``Accept: text/event-stream``)
    ``{"kind": "queue", "position": n}`` (first, then as the line moves; 0: generating), ``{"kind": "token",
    "token": …}``, ``{"kind": "retry"}`` (drop the tokens so far: asked again, stricter), ``{"kind": "answer",
    "answer": {…}}`` (as /api/ask) or ``{"kind": "error", "status": …, "detail": …}``."""
    ctx = context(request)
    question, company = await run_in_threadpool(_prepare, request, body, who, True)
    sse = "text/event-stream" in request.headers.get("accept", "")
    events = ctx.asks.start(question, company, who.allowed, ctx.asks.conversation(who.name, body.session_id))

    def frame(payload: dict[str, Any]) -> str:
        text = json.dumps(payload, ensure_ascii=False)
        return f"event: {payload['kind']}\ndata: {text}\n\n" if sse else text + "\n"

    async def body_lines() -> AsyncIterator[str]:
        async with aclosing(events):
            async for kind, item in events:
                if kind == "queue":
                    yield frame({"kind": "queue", "position": item})
                elif kind == "error":
                    detail = str(item.detail) if isinstance(item, HTTPException) else str(item)
                    note(request, error=detail, error_status=status_of(item))
                    yield frame({"kind": "error", "status": status_of(item), "detail": detail})
                elif isinstance(item, Event) and item.kind == "token" and item.token:
                    yield frame({"kind": "token", "token": item.token})
                elif isinstance(item, Event) and item.kind == "retry":
                    yield frame({"kind": "retry"})
                elif isinstance(item, Event) and item.answer is not None:
                    note(request, **_answer_record(item.answer))
                    yield frame({"kind": "answer", "answer": item.answer.model_dump(mode="json")})

    media = "text/event-stream" if sse else "application/x-ndjson"
    return StreamingResponse(body_lines(), media_type=media, headers={"Cache-Control": "no-store"})


@router.get("/queue", name="queue", response_model=QueueStatus)
def queue(request: Request, who: Reader) -> QueueStatus:
    """The model's queue: the embedded model generates one answer at a time; a model server (backend openai)
    several, as its own scheduling allows."""
    ctx = context(request)
    return QueueStatus(
        **ctx.queue.status(), asks_in_progress=ctx.asks.in_progress, max_pending=ctx.asks.max_pending
    )


@router.get("/documents", name="documents", response_model=list[DocumentInfo])
def documents(
    request: Request,
    who: Reader,
    company: Annotated[str | None, Query(description="One company (any alias).")] = None,
) -> list[DocumentInfo]:
    """The stored documents of one company, or of every company you may see."""
    return context(request).portal.documents(who, company, noter(request))


PROFILE_MEDIA = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_REVENUE = {
    "value": 12400000,
    "unit": "USD",
    "period": "2023",
    "raw": "$12.4 million",
    "status": "found",
    "evidence": [{"doc": "notes.txt", "page": None, "quote": "Revenue for fiscal 2023 was $12.4 million"}],
}
PROFILE_EXAMPLES = {
    "application/json": {
        "example": {
            "company": "Acme",
            "as_of": "2023-12-31",
            "reference_date": "2024-06-30",
            "fields": {"revenue": _REVENUE},
        }
    },
    "text/markdown": {"example": "# Acme\n\n| field | value | source |\n|---|---|---|\n| Revenue | … |\n"},
    "text/html": {"example": "<!doctype html><html><head><title>Acme</title>…</html>"},
}


@router.get(
    "/companies/{company}/profile",
    name="profile_view",
    responses={
        200: {"content": PROFILE_EXAMPLES, "description": "The profile in the format asked."},
        403: {"description": "A company outside your portfolio, whether or not it exists."},
    },
)
@router.get("/profile/{company}", name="profile_view", deprecated=True)
def profile(
    company: str,
    request: Request,
    who: Reader,
    format: Literal["json", "md", "html"] = "json",  # noqa: A002 - the public parameter name
    as_of: Annotated[
        dt.date | None,
        Query(description="Reference date (YYYY-MM-DD) of qualification expiry and signals; default today."),
    ] = None,
) -> Response:
    """``assistant profile COMPANY --format json|md|html [--as-of DATE]``: the company's profile, each field with
    its evidence (403 for a company outside your portfolio, whether or not it exists). ``/api/profile/{company}``
    is the same endpoint under its former path (deprecated; kept working)."""
    from assistant.profile.render import render

    built = context(request).portal.profile(who, company, noter(request), as_of=as_of)
    note(request, format=format)
    return Response(render(built, format), media_type=PROFILE_MEDIA[format])


@router.get("/companies/{company}/facts", name="facts", response_model=list[Fact])
def facts(
    company: str,
    request: Request,
    who: Reader,
    item: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    year: Annotated[str | None, Query(pattern=r"^(19|20)\d{2}$")] = None,
) -> list[Fact]:
    """``assistant facts COMPANY --json``: the typed figures of the company's tables (line item, fiscal year,
    value with sign, unit, scope), each with its document, page and row."""
    return context(request).portal.facts(who, company, item, year, noter(request))


@router.get("/companies/{company}/metrics/{metric}", name="metric", response_model=MetricResult)
def metric(
    company: str,
    metric: str,
    request: Request,
    who: Reader,
    year: Annotated[str | None, Query(pattern=r"^(19|20)\d{2}$")] = None,
) -> MetricResult:
    """``assistant metric COMPANY METRIC --json``: a credit metric computed from facts — the value, the formula
    and each input's fact — or the inputs no fact gives (``missing``)."""
    return context(request).portal.metric(who, company, metric, year, noter(request))


@router.post(
    "/documents",
    name="upload",
    response_model=IngestReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "company"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "company": {
                                "type": "string",
                                "description": "The company the document belongs to.",
                            },
                            "create": {
                                "type": "boolean",
                                "description": "Add a company that has no documents yet.",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def upload(request: Request, who: Uploader) -> JSONResponse:
    """Upload one document (multipart: ``file``, ``company``, optional ``create``); it is saved under the
    store's uploads/ and ingested. Answers ``assistant ingest --json``'s report: 201 stored, 200 unchanged
    or duplicate, 422 failed (nothing kept)."""
    ctx = context(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(
            415, "send the document as multipart/form-data with the fields 'file' and 'company'"
        )
    async with request.form(max_files=1, max_fields=10) as form:  # a malformed body: 400 from Starlette
        file, company_raw, create = (
            form.get("file"),
            form.get("company"),
            str(form.get("create") or "").lower(),
        )
        if not isinstance(file, UploadFile):
            raise HTTPException(400, "no file: send it in the multipart field 'file'")
        if not isinstance(company_raw, str) or not company_raw.strip():
            raise HTTPException(400, "no company: send the company's name in the multipart field 'company'")
        report = await run_in_threadpool(
            ctx.portal.upload,
            who,
            company_raw,
            file.filename,
            file.file,
            content_type=file.content_type,
            create=create in ("1", "true", "yes", "on"),
            note=noter(request),
        )
    result = IngestReport(files=[report], seconds=report.seconds).model_dump(mode="json")
    if report.status == "failed":
        return JSONResponse({"detail": report.error, **result}, status_code=422)
    return JSONResponse(result, status_code=201 if report.status == "stored" else 200)


@router.delete("/documents/{company}/{doc}", name="delete", response_model=Deleted)
def delete(company: str, doc: str, request: Request, who: Deleter) -> Deleted:
    """``assistant delete DOC --company NAME --json``: the document, its chunks and keyword entries."""
    return Deleted(deleted=context(request).portal.delete(who, company, doc, noter(request)))


# ---- audit (admins) ----------------------------------------------------------------------------
def _filters(
    user: str | None = None,
    action: str | None = None,
    company: str | None = None,
    since: Annotated[dt.datetime | None, Query(description="ISO 8601; without a zone: UTC.")] = None,
    until: Annotated[
        dt.datetime | None, Query(description="ISO 8601, exclusive; without a zone: UTC.")
    ] = None,
) -> dict[str, Any]:
    return {"user": user, "action": action, "company": company, "since": since, "until": until}


@admin.get("/audit", name="audit", response_model=AuditPage)
def audit_search(
    request: Request,
    who: Auditor,
    filters: Annotated[dict[str, Any], Depends(_filters)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> AuditPage:
    """Audit entries, newest first, filtered by user, action, company and time range."""
    note(request, **{k: str(v) for k, v in filters.items() if v is not None})
    entries = context(request).audit.search(**filters, limit=limit, before_id=before_id)
    return AuditPage(entries=entries, next_before_id=entries[-1].id if len(entries) == limit else None)


@admin.get("/audit/export", name="audit_export")
def audit_export(
    request: Request,
    who: Auditor,
    filters: Annotated[dict[str, Any], Depends(_filters)],
    format: Literal["jsonl", "csv"] = "jsonl",  # noqa: A002 - the public parameter name
) -> StreamingResponse:
    """Every matching entry, oldest first, as a JSON Lines or CSV download."""
    note(request, format=format, **{k: str(v) for k, v in filters.items() if v is not None})
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    media = "application/x-ndjson" if format == "jsonl" else "text/csv; charset=utf-8"
    return StreamingResponse(
        context(request).audit.export(format, **filters),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.{format}"'},
    )


@admin.get("/audit/verify", name="audit_verify", response_model=ChainReport)
def audit_verify(request: Request, who: Auditor) -> ChainReport:
    """Recompute the audit log's hash chain: ok, or the first entry that was changed or removed."""
    report = context(request).audit.verify()
    note(request, ok=report.ok, entries=report.entries)
    return report


@router.get("/health", name="health", include_in_schema=False)
def health() -> dict[str, bool]:
    return {"ok": True}
