"""The per-company function of a batch: :func:`profile_task` turns a :class:`Task` (the company, its aliases and
its chunks, the reference date, whether to summarise) into a :class:`CompanyResult` (the profile JSON, both
reports and the summary.csv row, or the error). It writes no file, so it runs inline, in a process or thread
pool, or as a Ray task; it reads the store only when the task asks it to (``read="workers"``: the task carries the
store's settings instead of the chunks). It times its stages (open, read, build, summary, json, markdown, html, row)."""

from __future__ import annotations

import json
import os
import re
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from assistant.core.errors import InputError
from assistant.core.records import Chunk, Fact
from assistant.profile.build import profile_from_chunks
from assistant.profile.schema import Profile, Summary

if TYPE_CHECKING:
    from assistant.profile.summary import ProfileSummarizer, SummaryOutcome

# summary.csv: identity, key figures (latest period), the checks, red flags, and where the files are
KEY_FIELDS = (
    "legal_name",
    "unified_social_credit_code",
    "revenue",
    "net_profit",
    "gross_margin",
    "rd_ratio",
    "debt_ratio",
    "employees",
    "rd_staff_ratio",
    "invention_patents",
    "patents_total",
    "top1_customer_share",
    "top5_customer_share",
    "latest_financing_round",
)
CHECK_COLUMNS = (
    "check_hnte",
    "check_tech_based_sme",
    "check_specialised_sme",
    "check_little_giant",
    "check_star_market",
)
CSV_COLUMNS = (
    "company",
    "status",
    "error",
    "as_of",
    *KEY_FIELDS,
    "revenue_unit",
    "revenue_period",
    *CHECK_COLUMNS,
    "checks_passed",
    "red_flags",
    "red_flag_names",
    "conflicts",
    "unknown_fields",
    "summary_path",
    "json",
    "md",
    "html",
)


class Task(BaseModel):
    """Everything one company's profile needs (picklable; no store, no file)."""

    company: str
    aliases: list[str] = Field(default_factory=list)
    chunks: list[Chunk] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list, description="The facts of its documents' tables.")
    today: str = Field(description="Reference date (ISO).")
    summary: bool = False
    settings: dict[str, Any] | None = Field(
        None, description="Settings for the summary's LLM (JSON-able dump)."
    )
    name: str = Field(description="Safe file name of the company.")
    store: dict[str, Any] | None = Field(
        None,
        description="The store's settings (JSON-able dump) when the worker reads the chunks and facts itself "
        "(``read='workers'``; then ``chunks`` and ``facts`` are empty).",
    )
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds of the stages done before the task ran (the driver's read).",
    )


class CompanyResult(BaseModel):
    """What :func:`profile_task` returns for one company."""

    company: str
    name: str
    status: Literal["ok", "failed"]
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0
    summary_path: str | None = None
    summary_problems: list[str] = Field(default_factory=list)
    profile_json: str | None = None
    markdown: str | None = None
    html: str | None = None
    row: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds per stage: open (the store, in a worker), read, build, summary, json, markdown, "
        "html, row.",
    )
    worker: str = Field("", description="host:pid of the process that profiled it.")


# Tests only: seconds each task sleeps before it starts (a Ray test kills a worker while tasks are running).
TEST_DELAY_ENV = "ASSISTANT_BATCH_TEST_DELAY_S"

_SUMMARIZERS: dict[str, ProfileSummarizer] = {}


def _summarizer(settings: dict[str, Any]) -> ProfileSummarizer:
    """One summarizer (and one loaded LLM) per worker process and settings."""
    key = json.dumps(settings, sort_keys=True, default=str)
    if key not in _SUMMARIZERS:
        from assistant.core.settings import Settings
        from assistant.models.llm import build_llm
        from assistant.profile.summary import ProfileSummarizer

        parsed = Settings.model_validate(settings)
        holder: dict[str, Any] = {}

        def llm() -> Any:
            if "llm" not in holder:
                holder["llm"] = build_llm(parsed)
            return holder["llm"]

        _SUMMARIZERS[key] = ProfileSummarizer(llm, parsed.prompts_dir)
    return _SUMMARIZERS[key]


@contextmanager
def _stage(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - started, 5)


def profile_task(task: Task) -> CompanyResult:
    """Profile one company: (read its chunks,) build, (summarise,) render JSON / Markdown / HTML and the CSV
    row. Never raises: an error is returned as a failed result with its message and traceback."""
    from assistant.profile.render import to_html, to_markdown

    started = time.perf_counter()
    timings = dict(task.timings)
    try:
        delay = float(os.environ.get(TEST_DELAY_ENV) or 0)
        if delay > 0:
            time.sleep(delay)
        chunks, facts = task.chunks, task.facts
        if task.store is not None:
            from assistant.profile.batch.reading import company_data, worker_store

            with _stage(timings, "open"):  # once per worker process
                store = worker_store(task.store)
            with _stage(timings, "read"):
                chunks, facts = company_data(store, task.company)
        if not chunks:
            raise InputError(f"no documents stored for company '{task.company}'")
        outcome: SummaryOutcome | None = None
        hook: Callable[[Profile], Summary] | None = None
        if task.summary:
            summarizer = _summarizer(task.settings or {})

            def hook(profile: Profile) -> Summary:  # this task's outcome (a summarizer is shared by threads)
                nonlocal outcome
                with _stage(timings, "summary"):
                    outcome = summarizer.summarize(profile)
                return outcome.summary

        with _stage(timings, "build"):
            profile = profile_from_chunks(
                chunks,
                task.company,
                task.aliases,
                date.fromisoformat(task.today),
                summarizer=hook,
                facts=facts,
            )
        if "summary" in timings:  # the summary ran inside the build: counted apart
            timings["build"] = round(max(0.0, timings["build"] - timings["summary"]), 5)
        summary_path = outcome.path if outcome else None
        with _stage(timings, "json"):
            profile_json = profile.model_dump_json()
        with _stage(timings, "markdown"):
            markdown = to_markdown(profile)
        with _stage(timings, "html"):
            html = to_html(profile)
        with _stage(timings, "row"):
            row = csv_row(profile, task.name, summary_path)
        result = CompanyResult(
            company=task.company,
            name=task.name,
            status="ok",
            summary_path=summary_path,
            summary_problems=outcome.problems if outcome else [],
            profile_json=profile_json,
            markdown=markdown,
            html=html,
            row=row,
        )
    except Exception as exc:  # one bad company never stops the run
        result = CompanyResult(
            company=task.company,
            name=task.name,
            status="failed",
            error=one_line(exc),
            traceback=traceback.format_exc(limit=8),
            row=failed_row(task.company, one_line(exc)),
        )
    result.seconds = round(time.perf_counter() - started, 4)
    result.timings = timings
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    return result


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: " + " ".join(str(exc).split())[:500]


def _check_column(name: str) -> str:
    """'专精特新"小巨人" (little giant)' → 'check_little_giant'."""
    english = name.rsplit("(", 1)[-1].rstrip(") ") if "(" in name else name
    return "check_" + re.sub(r"[^a-z0-9]+", "_", english.lower()).strip("_")


def csv_row(profile: Profile, name: str, summary_path: str | None = None) -> dict[str, Any]:
    """The company's summary.csv row."""
    row: dict[str, Any] = dict.fromkeys(CSV_COLUMNS, "")
    row.update(company=profile.company, status="ok", as_of=profile.as_of or "")
    for key in KEY_FIELDS:
        fv = profile.fields.get(key)
        row[key] = fv.value if fv is not None and fv.status != "unknown" and fv.value is not None else ""
    revenue = profile.fields.get("revenue")
    if revenue is not None and revenue.status != "unknown":
        row.update(revenue_unit=revenue.unit or "", revenue_period=revenue.period or "")
    for check in profile.checks:
        column = _check_column(check.name)
        if column in row:
            row[column] = check.result
    row["checks_passed"] = sum(c.result == "pass" for c in profile.checks)
    flags = [s.name for s in profile.signals if s.kind == "red_flag"]
    row.update(
        red_flags=len(flags),
        red_flag_names=";".join(dict.fromkeys(flags)),
        conflicts=len(profile.conflicts),
        unknown_fields=sum(v.status == "unknown" for v in profile.fields.values()),
        summary_path=summary_path or "",
        json=f"profiles/{name}.json",
        md=f"reports/{name}.md",
        html=f"reports/{name}.html",
    )
    return row


def failed_row(company: str, error: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CSV_COLUMNS, "")
    row.update(company=company, status="failed", error=error)
    return row
