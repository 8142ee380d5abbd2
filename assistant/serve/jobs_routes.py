"""Endpoints of batch profile jobs (``/api/batch``), for an analyst's tool or a nightly job: start one over
companies of your portfolio, follow its progress, download its outputs by name, cancel it.

Every endpoint acts through :class:`assistant.serve.actions.Portal` (``batch_*``) — the web app's batch tab
runs the same :class:`assistant.serve.jobs.BatchJob` — and is audited by the gate (action = the route's name,
with the job id, the file and the companies in the entry's details). A job is its owner's: another user
asking for it (status, files, cancel) gets 404, exactly as for an id that names no job; an admin sees every
job. Files are named, never given as paths: a name not among the job's outputs is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.serve.auth import Principal
from assistant.serve.deps import context, noter, require
from assistant.serve.jobs import MEDIA, BatchJob, JobService

router = APIRouter(tags=["batch jobs"])
Reader = Annotated[Principal, Depends(require("read"))]
JOB_ID = "24 hex digits, as POST /api/batch answered"

EXAMPLE_JOB: dict[str, Any] = {
    "id": "3f9c2a7e5b1d4c6a8e0f2b4d",
    "owner": "rita",
    "status": "running",
    "companies": ["Acme", "栖云智算"],
    "options": {"as_of": "2024-06-30"},
    "created_at": "2026-12-07T05:10:00+00:00",
    "started_at": "2026-12-07T05:10:01+00:00",
    "finished_at": None,
    "total": 2,
    "done": 1,
    "ok": 0,
    "failed": 1,
    "progress": 0.5,
    "errors": {"Acme": "no documents stored for company 'Acme'"},
    "error": None,
    "cancel_requested": False,
    "resumed": 0,
    "files": [
        {"name": "栖云智算.md", "bytes": 5120, "url": "/api/batch/3f9c2a7e5b1d4c6a8e0f2b4d/files/栖云智算.md"}
    ],
}


# ---- shapes ------------------------------------------------------------------------------------
class BatchSettings(BaseModel):
    """Options of a batch job (``assistant batch``'s, as far as a server runs them)."""

    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(
        None, description="Reference date (YYYY-MM-DD) of qualification expiry and signals; default today."
    )


class BatchRequest(BaseModel):
    """``assistant batch --companies …``: which companies, and the options."""

    model_config = ConfigDict(extra="forbid")

    companies: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1, max_length=5000)
        ]
        | Literal["all"]
    ) = Field(
        "all",
        description="Company names (any alias), each in your portfolio (403 otherwise); 'all': every company you "
        "may see that has documents.",
    )
    options: BatchSettings = Field(default_factory=BatchSettings)


class JobFileInfo(BaseModel):
    name: str = Field(description="The name to download it by.")
    bytes: int
    url: str


class JobView(BaseModel):
    """A batch job: its status, progress, counts, the error of each company that failed, and its files."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_JOB]})

    id: str
    owner: str
    status: Literal["queued", "running", "done", "failed", "cancelled"] = Field(
        description="done: every company was recorded (some may have failed: see failed and errors); failed: "
        "the job itself failed (error)."
    )
    companies: list[str]
    options: BatchSettings
    created_at: str
    started_at: str | None
    finished_at: str | None
    total: int = Field(description="Companies in the job.")
    done: int = Field(description="Companies recorded so far (ok or failed).")
    ok: int
    failed: int
    progress: float = Field(description="done / total, 0–1.")
    errors: dict[str, str] = Field(description="Company → why its profile failed.")
    error: str | None = Field(description="Why the job itself failed.")
    cancel_requested: bool
    resumed: int = Field(description="Times it was run again after a server restart.")
    files: list[JobFileInfo] = Field(
        description="profiles.jsonl and summary.csv (when finished), and each company's <name>.json, .md, .html."
    )


def view(job: BatchJob, jobs: JobService, who: Principal) -> JobView:
    """What a caller is shown of a job (files of companies they no longer see are left out)."""
    state = job.snapshot()
    files = []
    for name, found in jobs.files(job).items():
        if found.company is None and not all(who.sees(c) for c in state.companies):
            continue
        if found.company is not None and not who.sees(found.company):
            continue
        try:
            size = found.path.stat().st_size
        except OSError:
            continue
        files.append(JobFileInfo(name=name, bytes=size, url=f"/api/batch/{state.id}/files/{quote(name)}"))
    return JobView(
        id=state.id,
        owner=state.owner,
        status=state.status,
        companies=state.companies,
        options=BatchSettings(as_of=state.as_of),
        created_at=state.created_at,
        started_at=state.started_at,
        finished_at=state.finished_at,
        total=state.total,
        done=state.done,
        ok=state.ok,
        failed=state.failed,
        progress=round(state.done / state.total, 4) if state.total else 1.0,
        errors=state.errors,
        error=state.error,
        cancel_requested=state.cancel_requested,
        resumed=state.resumed,
        files=files,
    )


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such job, or another user's (the same answer)."}
}


# ---- endpoints ---------------------------------------------------------------------------------
@router.post("/batch", name="batch_start", response_model=JobView, status_code=202, responses={
    400: {"description": "No companies, or a malformed request."},
    403: {"description": "A company outside your portfolio (whether or not it exists)."},
    409: {"description": "A job of yours is still queued or running."},
})  # fmt: skip
def batch_start(
    request: Request,
    who: Reader,
    body: Annotated[
        BatchRequest,
        Body(
            openapi_examples={
                "some": {
                    "summary": "Named companies, judged at a date",
                    "value": {"companies": ["Acme", "栖云智算"], "options": {"as_of": "2024-06-30"}},
                },
                "all": {"summary": "Every company you may see", "value": {"companies": "all"}},
            }
        ),
    ],
) -> JSONResponse:
    """``assistant batch``: start a job of profiles (JSON, Markdown and HTML per company, profiles.jsonl and
    summary.csv) of companies in your portfolio; answers 202 with the job (its ``id``) and a ``Location``. Jobs
    run one at a time on the server; you may have one queued or running job. The job's state is kept on disk:
    a job interrupted by a server restart is run again (finished companies are skipped) when it restarts."""
    ctx = context(request)
    names = None if body.companies == "all" else list(body.companies)
    job = ctx.portal.batch_start(who, names, body.options.as_of, noter(request))
    shown = view(job, ctx.portal.jobs, who)
    return JSONResponse(
        shown.model_dump(mode="json"), status_code=202, headers={"Location": f"/api/batch/{job.id}"}
    )


@router.get("/batch", name="batch_list", response_model=list[JobView])
def batch_list(request: Request, who: Reader) -> list[JobView]:
    """Your batch jobs (an admin: everyone's), newest first."""
    ctx = context(request)
    return [view(job, ctx.portal.jobs, who) for job in ctx.portal.batch_jobs(who, noter(request))]


@router.get("/batch/{job_id}", name="batch_status", response_model=JobView, responses=NOT_FOUND)
def batch_status(job_id: str, request: Request, who: Reader) -> JobView:
    """The job's status, progress, counts, errors per company, and its files so far."""
    ctx = context(request)
    return view(ctx.portal.batch_job(who, job_id, noter(request)), ctx.portal.jobs, who)


@router.get("/batch/{job_id}/files/{name}", name="batch_file", responses={
    200: {"description": "The file, as an attachment.", "content": {
        "text/csv": {"example": "company,status,error,as_of,legal_name,…\nAcme,ok,,2024-06-30,Acme Robotics Inc.,…\n"},
        "application/x-ndjson": {"example": '{"company": "Acme", "fields": {…}}\n'},
        "text/markdown": {"example": "# Acme\n…"},
    }},
    **NOT_FOUND,
})  # fmt: skip
def batch_file(job_id: str, name: str, request: Request, who: Reader) -> FileResponse:
    """One output file of the job by its name, as listed in the job's ``files`` (``profiles.jsonl``,
    ``summary.csv``, ``<company>.json|.md|.html``); any other name is 404 — names are never paths."""
    found = context(request).portal.batch_file(who, job_id, name, noter(request))
    media = MEDIA.get(found.path.suffix, "application/octet-stream")
    return FileResponse(
        found.path, media_type=media, filename=found.name, headers={"X-Content-Type-Options": "nosniff"}
    )


@router.delete("/batch/{job_id}", name="batch_cancel", response_model=JobView, status_code=202, responses={
    **NOT_FOUND, 409: {"description": "The job has already finished."},
})  # fmt: skip
def batch_cancel(job_id: str, request: Request, who: Reader) -> JobView:
    """Cancel the job: a queued job is cancelled at once, a running one after its current company (its
    outputs so far stay downloadable). 409 once the job has finished."""
    ctx = context(request)
    return view(ctx.portal.batch_cancel(who, job_id, noter(request)), ctx.portal.jobs, who)
