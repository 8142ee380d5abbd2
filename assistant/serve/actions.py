"""What a signed-in user may do — one code path for the REST API (:mod:`assistant.serve.routes`) and the web app
(:mod:`assistant.serve.web`): role, portfolio, company and document names, and what goes into the audit entry.

Every function takes the caller (:class:`~assistant.serve.auth.Principal`) and a ``note`` callable that adds
to the action's audit entry (``note(company=…, **details)``); the channel writes that entry once, with the
outcome (HTTP status), whether the action was allowed or refused. Refusals are errors with a ``status``:
:class:`~assistant.core.errors.Forbidden` (403), :class:`~assistant.core.errors.CompanyNotFound` and
:class:`~assistant.core.errors.DocumentNotFound` (404), :class:`~assistant.core.errors.InputError` (400). A company
outside the caller's portfolio looks exactly like one that does not exist; nothing a client sends is used
as a server path: documents are looked up by name among the company's stored documents.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel, Field

from assistant.answer.answerer import Answerer
from assistant.core.errors import CompanyNotFound, DocumentNotFound, Forbidden, InputError
from assistant.core.records import CompanyInfo, Fact, FileReport, SearchHit
from assistant.core.services import Services
from assistant.ingest.quality import LOW
from assistant.ingest.uploads import Uploads, check_content_type, safe_company, safe_file_name
from assistant.serve.auth import Permission, Principal
from assistant.serve.jobs import BatchJob, JobFile, JobNotFound, JobService

Note = Callable[..., None]
VERBS: dict[Permission, str] = {
    "read": "read documents",
    "upload": "upload documents",
    "delete": "delete documents",
    "audit": "read the audit log",
}


def no_note(**_: Any) -> None:
    """A ``note`` for callers that keep no audit entry (the CLI, tests)."""


class MetricResult(BaseModel):
    """``assistant metric --json``: a credit metric of one fiscal year, or the inputs no fact gives."""

    company: str
    metric: str
    period: str | None
    formula: str = Field(description="Over line items; prev_<item> is the prior year's value.")
    kind: str = Field(description="money | ratio | percent")
    value: str | None = Field(None, description="Decimal string (None when an input is missing).")
    currency: str | None = None
    inputs: dict[str, Fact] = Field(default_factory=dict, description="Each input's fact, with its row.")
    missing: list[str] = Field(default_factory=list, description="Inputs no fact gives.")


class DocumentInfo(BaseModel):
    """A stored document (the ledger's record of it)."""

    company: str
    doc: str
    reader: str
    pages: int
    chunks: int
    quality: float | None
    low_quality: bool
    warnings: list[str]
    boilerplate: list[str] = Field(
        default_factory=list,
        description="Running headers and footers removed from its pages, each once as first printed.",
    )
    sha256: str
    updated_at: str
    uploaded: bool = Field(
        description="Uploaded through the API or the web app (kept under the store's uploads/)."
    )


def need(who: Principal, permission: Permission, note: Note = no_note) -> None:
    """Refuse (403) a caller whose role lacks ``permission``."""
    if not who.can(permission):
        note(reason=f"role {who.role} lacks permission {permission}")
        raise Forbidden(f"role '{who.role}' may not {VERBS[permission]}")


@dataclass
class Portal:
    """The actions, over one set of backends (shared by the API and the web app of one server)."""

    services: Services
    answerer: Answerer
    uploads: Uploads
    job_service: JobService | None = None  # made on first use, over <store>/jobs

    @property
    def store(self) -> Any:
        return self.services.store

    @property
    def jobs(self) -> JobService:
        """The batch jobs of this store (kept under ``<store>/jobs``)."""
        if self.job_service is None:
            self.job_service = JobService(Path(self.services.settings.store) / "jobs", self.services)
        return self.job_service

    # ---- companies -------------------------------------------------------------------------------
    def company(self, who: Principal, name: str | None, create: bool = False) -> str:
        """The canonical name of a company the caller may see. A restricted caller naming any company outside
        their portfolio is refused (403) whether or not it exists, so answers never tell which companies exist.
        ``create``: a name that matches no stored company is accepted as a new one (uploads)."""
        name = (name or "").strip()
        if not name:
            raise InputError("the company is empty")
        try:
            return self.answerer.company_candidates("", name, who.allowed)[0]
        except CompanyNotFound as exc:
            if who.portfolio is not None:
                if create and name in who.portfolio:
                    return safe_company(name)  # in the portfolio, not ingested yet
                mine = ", ".join(sorted(who.portfolio)) or "none"
                raise Forbidden(
                    f"company '{name}' is not in your portfolio (your companies: {mine})"
                ) from None
            if create:
                return safe_company(name)
            raise CompanyNotFound(str(exc)) from None

    def companies(self, who: Principal, note: Note = no_note) -> list[CompanyInfo]:
        """The companies of the caller's portfolio that have documents."""
        need(who, "read", note)
        found = [c for c in self.store.companies() if who.sees(c.company)]
        note(count=len(found))
        return found

    # ---- search and questions ----------------------------------------------------------------------
    def search(
        self, who: Principal, query: str, company: str | None, k: int, note: Note = no_note
    ) -> list[SearchHit]:
        """Ranked passages (hybrid retrieval), only of companies the caller may see."""
        from assistant.answer.search import search as run_search

        need(who, "read", note)
        note(query=query, company_requested=company, k=k)
        if not query.strip():
            raise InputError("the query is empty")
        name = self.company(who, company) if company else None
        note(company=name)
        hits = run_search(self.store, self.answerer, query, name, k, who.allowed)
        note(
            hits=[{"company": h.company, "doc": h.doc, "page": h.page, "chunk_id": h.chunk_id} for h in hits]
        )
        return hits

    def question(
        self, who: Principal, question: str | None, company: str | None, note: Note = no_note
    ) -> tuple[str, str | None]:
        """A question and the company it is asked about, checked before anything runs."""
        need(who, "read", note)
        question = (question or "").strip()
        note(question=question, company_requested=company)
        if not question or not re.search(r"\w", question):
            raise InputError("the question is empty")
        limit = self.services.settings.max_question_chars
        if len(question) > limit:
            raise InputError(f"the question is {len(question)} characters long; the limit is {limit}")
        name = self.company(who, company) if company else None
        note(company=name)
        return question, name

    # ---- profiles --------------------------------------------------------------------------------
    def profile(
        self, who: Principal, company: str | None, note: Note = no_note, as_of: dt.date | None = None
    ) -> Any:
        """The company's profile (:class:`assistant.profile.schema.Profile`); ``as_of``: the reference date of
        qualification expiry and signals (default today)."""
        from assistant.profile.build import build_profile

        need(who, "read", note)
        note(company_requested=company, as_of=as_of.isoformat() if as_of else None)
        name = self.company(who, company)
        note(company=name)
        return build_profile(self.store, name, today=as_of)

    def facts(
        self, who: Principal, company: str | None, item: str | None, year: str | None, note: Note = no_note
    ) -> list[Fact]:
        """The typed figures of the company's tables (``assistant facts``), each with its row and passage."""
        need(who, "read", note)
        note(company_requested=company, item=item, year=year)
        name = self.company(who, company)
        note(company=name)
        return list(self.store.facts(name, item, year))

    def metric(
        self, who: Principal, company: str | None, metric: str, year: str | None, note: Note = no_note
    ) -> MetricResult:
        """A credit metric computed from the company's facts (``assistant metric``): its value and formula with
        each input's fact, or the inputs no fact gives."""
        from assistant.facts.metrics import BY_NAME, Computed, compute

        need(who, "read", note)
        note(company_requested=company, metric=metric, year=year)
        if metric not in BY_NAME:
            raise InputError(f"unknown metric '{metric}' (known: {', '.join(BY_NAME)})")
        name = self.company(who, company)
        note(company=name)
        found = compute(BY_NAME[metric], self.store.facts(name), year)
        if not isinstance(found, Computed):
            return MetricResult(company=name, metric=metric, period=found.period, formula=found.metric.formula,
                                kind=found.metric.kind, missing=found.missing)  # fmt: skip
        return MetricResult(
            company=name, metric=metric, period=found.period, formula=found.metric.formula, kind=found.metric.kind,
            value=str(found.value), currency=found.currency, inputs=found.used,
        )  # fmt: skip

    # ---- documents -------------------------------------------------------------------------------
    def documents(
        self, who: Principal, company: str | None = None, note: Note = no_note
    ) -> list[DocumentInfo]:
        """The stored documents of one company, or of every company the caller may see."""
        need(who, "read", note)
        note(company_requested=company)
        name = self.company(who, company) if company else None
        note(company=name)
        out = []
        for row in self.store.ledger.documents(name):
            r: dict[str, Any] = dict(row)
            if not who.sees(str(r["company"])):
                continue
            quality = r["quality"]
            out.append(
                DocumentInfo(
                    company=r["company"],
                    doc=r["doc"],
                    reader=r["reader"],
                    pages=r["pages"] or 0,
                    chunks=r["chunks"] or 0,
                    quality=quality,
                    low_quality=quality is not None and quality < LOW,
                    warnings=json.loads(r["warnings"] or "[]"),
                    boilerplate=json.loads(r.get("boilerplate") or "[]"),
                    sha256=r["sha256"],
                    updated_at=dt.datetime.fromtimestamp(r["updated_at"], tz=dt.UTC).isoformat(
                        timespec="seconds"
                    ),
                    uploaded=str(r["path"]) == str(self.uploads.path_of(r["company"], r["doc"])),
                )
            )
        note(count=len(out))
        return out

    def upload(
        self,
        who: Principal,
        company: str | None,
        filename: str | None,
        content: BinaryIO,
        *,
        content_type: str | None = None,
        create: bool = False,
        note: Note = no_note,
    ) -> FileReport:
        """Check and ingest one uploaded document of a company the caller may see; the ingest report.
        ``content`` is the upload's bytes as the client sent them (never a path the client names)."""
        need(who, "upload", note)
        note(company_requested=company, filename=filename, content_type=content_type)
        doc = safe_file_name(filename)
        check_content_type(doc, content_type)
        name = self.company(who, company, create=create)
        note(company=name, doc=doc)
        temp = self.uploads.receive(content, doc)
        report = self.uploads.ingest(temp, name, doc)
        note(status_detail=report.status, error=report.error, chunks=report.chunks, quality=report.quality)
        return report

    def delete(self, who: Principal, company: str | None, doc: str | None, note: Note = no_note) -> list[str]:
        """Remove one stored document (its chunks, keyword entries and uploaded file). The name must be one of
        the company's stored documents, exactly: nothing else is ever touched."""
        need(who, "delete", note)
        note(company_requested=company, doc=doc)
        name = self.company(who, company)
        note(company=name)
        wanted = (doc or "").strip()
        if not wanted or (name, wanted) not in self.store.documents(name):
            raise DocumentNotFound(f"no stored document '{wanted}' of {name}")
        removed = self.store.delete_document(name, wanted)
        self.uploads.remove(name, wanted)
        note(chunks=removed)
        return [f"{name}/{wanted}"]

    # ---- batch jobs ------------------------------------------------------------------------------------
    def batch_start(
        self, who: Principal, companies: list[str] | None, as_of: dt.date | None = None, note: Note = no_note
    ) -> BatchJob:
        """Start a batch job of profiles of ``companies`` (None: every company the caller may see), each named
        by any alias and checked like any other company name (403 outside the portfolio)."""
        need(who, "read", note)
        note(
            companies_requested=companies if companies is not None else "all",
            as_of=as_of and as_of.isoformat(),
        )
        if companies is None:
            names = [c.company for c in self.companies(who)]
        else:
            names = list(dict.fromkeys(self.company(who, c) for c in companies))
        if not names:
            raise InputError("no companies to profile")
        note(companies=names, company=names[0] if len(names) == 1 else None)
        job = self.jobs.start(who, names, as_of)
        note(job=job.id)
        return job

    def batch_job(self, who: Principal, job_id: str, note: Note = no_note) -> BatchJob:
        """A batch job the caller may see (theirs; an admin: any). Another user's job is 404, as a missing one."""
        need(who, "read", note)
        note(job=job_id)
        job = self.jobs.get(job_id)
        if job is None or not self.jobs.may_see(who, job):
            raise JobNotFound(f"no batch job '{job_id}'")
        note(owner=job.state.owner)
        return job

    def batch_jobs(self, who: Principal, note: Note = no_note) -> list[BatchJob]:
        """The caller's batch jobs (an admin: everyone's), newest first."""
        need(who, "read", note)
        found = [j for j in self.jobs.listing() if self.jobs.may_see(who, j)]
        note(count=len(found))
        return found

    def batch_file(self, who: Principal, job_id: str, name: str, note: Note = no_note) -> JobFile:
        """One output file of a job the caller may see, by its name among the job's outputs (never a path).
        A company's files, and the job's combined files, only while the caller still sees the companies."""
        job = self.batch_job(who, job_id, note)
        note(file=name)
        found = self.jobs.files(job).get(name)
        visible = found is not None and (
            who.sees(found.company) if found.company else all(who.sees(c) for c in job.state.companies)
        )
        if found is None or not visible:
            raise JobNotFound(f"batch job {job.id} has no file '{name}'")
        note(company=found.company)
        return found

    def batch_cancel(self, who: Principal, job_id: str, note: Note = no_note) -> BatchJob:
        """Cancel a job the caller may see: it stops after its current company (409 once finished)."""
        job = self.batch_job(who, job_id, note)
        note(status_before=job.state.status)
        return self.jobs.cancel(job)


def portal_of(services: Services) -> Portal:
    """The portal over ``services`` (its answerer and uploads)."""
    return Portal(services, services.answerer, Uploads(services.store, services.settings))
