"""The driver of a batch: :func:`run_batch` reads each company's chunks from its one store as it submits the
task, runs the tasks on an engine, and records each result in the output folder as it arrives."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, Field

from assistant.core.errors import InputError
from assistant.core.names import safe_name
from assistant.profile.batch.engines import Job, Pool, run_inline, run_pool, run_ray
from assistant.profile.batch.files import BatchRun, FolderLock, write_atomic
from assistant.profile.batch.task import CompanyResult, Task, failed_row, one_line

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.store.index import Store

Engine = Literal["local", "ray"]


class BatchReport(BaseModel):
    """What a batch run did (also written to DIR/batch.json)."""

    out: str
    engine: str
    workers: int
    summary: bool
    reference_date: str
    companies: int = Field(0, description="Companies in this run's list.")
    profiled: int = Field(0, description="Profiled by this run (status ok).")
    skipped: int = Field(0, description="Already done by an earlier run (same documents and options).")
    failed: int = Field(0, description="Failed in this run (recorded with their error; retried next run).")
    failures: dict[str, str] = Field(default_factory=dict, description="Company → error.")
    summary_paths: dict[str, int] = Field(
        default_factory=dict, description="verified / retried / template counts."
    )
    seconds: float = 0.0
    companies_per_minute: float | None = Field(
        None, description="Companies this run worked on (ok or failed; not skipped) per minute of wall time."
    )
    started_at: str = ""
    finished_at: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0


# ---- store access (driver side) -----------------------------------------------------------------------------
class LazyEmbeddings(Embeddings):
    """Builds the configured embedding model only if something embeds: a batch never does, so the store
    opens without loading a model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._model: Embeddings | None = None

    def _get(self) -> Embeddings:
        if self._model is None:
            from assistant.models.embeddings import build_embeddings

            self._model = build_embeddings(self._settings)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)


def open_store(settings: Settings) -> Store:
    """The store of ``settings`` without loading the embedding model."""
    from assistant.models.embeddings import embedding_key
    from assistant.store.index import Store

    return Store(settings.store, LazyEmbeddings(settings), embedding_key(settings))


def fingerprints(store: Store) -> dict[str, str]:
    """Company → a hash of its stored documents and their sha256 (changes when a document does)."""
    return {
        company: hashlib.sha1(json.dumps(sorted(docs.items())).encode()).hexdigest()[:16]
        for company, docs in store.document_hashes().items()
    }


# ---- the driver ---------------------------------------------------------------------------------------------
@dataclass
class BatchOptions:
    """How to run a batch."""

    out: Path
    workers: int = 1
    engine: Engine = "local"
    summary: bool = False
    as_of: date | None = None
    force: bool = False
    pool: Pool = "process"
    progress: bool | None = None  # None: a progress bar when stderr is a terminal


def _check(options: BatchOptions, settings: Settings | None) -> None:
    if options.workers < 1:
        raise InputError("--workers must be at least 1")
    if options.engine not in ("local", "ray"):
        raise InputError(f"unknown engine '{options.engine}' (local or ray)")
    if options.summary and settings is None:
        raise InputError("a summary needs the settings of the LLM")


def _llm_settings(options: BatchOptions, settings: Settings | None) -> dict[str, Any] | None:
    """The settings a worker builds its summary LLM from (its share of the threads), or None."""
    if not options.summary or settings is None:
        return None
    threads = max(1, settings.threads // options.workers) if options.workers > 1 else settings.threads
    return settings.model_copy(update={"threads": threads}).model_dump(mode="json")


def _signature(options: BatchOptions, settings: Settings | None) -> dict[str, Any]:
    """The options a company's state must match to count as done: reference date and summary model."""
    summary = None
    if options.summary and settings is not None:
        from assistant.models.llm import model_label

        summary = model_label(settings)
    return {"as_of": options.as_of.isoformat() if options.as_of else None, "summary": summary}


def _failed(company: str, error: str) -> CompanyResult:
    """A result known without running: the company could not be resolved or read."""
    return CompanyResult(
        company=company,
        name=safe_name(company, "company"),
        status="failed",
        error=error,
        row=failed_row(company, error),
    )


def _jobs(
    store: Store,
    todo: Sequence[str],
    unresolved: dict[str, str],
    today: date,
    options: BatchOptions,
    llm_settings: dict[str, Any] | None,
) -> Iterator[Job]:
    """The unresolved names as failed results, then one task per company (its chunks read as it is
    submitted, so memory holds only the tasks in flight)."""
    aliases = store.aliases()
    for company, error in unresolved.items():
        yield _failed(company, error)
    for company in todo:
        try:
            chunks = store.company_texts(company)
            facts = store.facts(company)
        except Exception as exc:  # the store could not be read for this company
            yield _failed(company, f"cannot read its chunks: {one_line(exc)}")
            continue
        yield Task(
            company=company,
            aliases=aliases.get(company, []),
            chunks=chunks,
            facts=facts,
            today=today.isoformat(),
            summary=options.summary,
            settings=llm_settings,
            name=safe_name(company, "company"),
        )


def _engine(jobs: Iterator[Job], options: BatchOptions, todo: Sequence[str]) -> Iterator[CompanyResult]:
    if options.engine == "ray":
        return run_ray(jobs, options.workers)
    if options.workers > 1 and len(todo) > 1:
        return run_pool(jobs, options.workers, options.pool)
    return run_inline(jobs)


def _progress_bar(options: BatchOptions, total: int, skipped: int) -> Any:
    """A tqdm bar on stderr (by default only when stderr is a terminal and this is the main thread), or None."""
    main_thread = threading.current_thread() is threading.main_thread()
    show = options.progress if options.progress is not None else sys.stderr.isatty() and main_thread
    if not show or not total:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="company",
        file=sys.stderr,
        dynamic_ncols=True,
        desc=f"profiles ({skipped} already done)" if skipped else "profiles",
    )


def _count(report: BatchReport, result: CompanyResult) -> None:
    if result.status == "ok":
        report.profiled += 1
        if result.summary_path:
            report.summary_paths[result.summary_path] = report.summary_paths.get(result.summary_path, 0) + 1
    else:
        report.failed += 1
        report.failures[result.company] = result.error or ""


def run_batch(
    store: Store,
    companies: Sequence[str] | None,
    options: BatchOptions | Path | str,
    settings: Settings | None = None,
    unresolved: dict[str, str] | None = None,
    on_result: Callable[[CompanyResult], None] | None = None,
    on_done: Callable[[CompanyResult], None] | None = None,
) -> BatchReport:
    """Profile ``companies`` (None: every company in the store) into ``options.out`` (a bare path: the
    output folder with the default options).

    ``unresolved`` (name → error) are names that matched no stored company: recorded as failed rows.
    ``on_result`` (or its alias ``on_done``) is called after each company is recorded — a progress hook for
    the web app, and tests use it to kill a run part-way.
    """
    if not isinstance(options, BatchOptions):
        options = BatchOptions(out=Path(options))
    on_result = on_result or on_done
    _check(options, settings)
    started, wall = datetime.now(), time.perf_counter()
    today = options.as_of or date.today()
    unresolved = dict(unresolved or {})
    names = list(
        dict.fromkeys(companies if companies is not None else [c.company for c in store.companies()])
    )
    order = list(dict.fromkeys([*names, *unresolved]))
    run = BatchRun(options.out)
    report = BatchReport(
        out=str(options.out),
        engine=options.engine,
        workers=options.workers,
        summary=options.summary,
        reference_date=today.isoformat(),
        companies=len(order),
        started_at=started.isoformat(timespec="seconds"),
    )
    signature = _signature(options, settings)
    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {options.out}: {exc}") from exc
    with FolderLock(options.out / ".lock"):
        run.prepare()
        prints = fingerprints(store)
        todo = [c for c in names if options.force or not run.done(c, prints.get(c), signature)]
        report.skipped = len(names) - len(todo)
        jobs = _jobs(store, todo, unresolved, today, options, _llm_settings(options, settings))
        results = _engine(jobs, options, todo)
        bar = _progress_bar(options, len(todo) + len(unresolved) if todo else 0, report.skipped)
        attempted = 0
        try:
            for result in results:
                run.record(result, prints.get(result.company), signature)
                attempted += result.company not in unresolved
                _count(report, result)
                if bar is not None:
                    bar.set_postfix_str(result.company[:30])
                    bar.update()
                if on_result is not None:
                    on_result(result)
        finally:
            if bar is not None:
                bar.close()
            run.rebuild(order)
            report.seconds = round(time.perf_counter() - wall, 3)
            if report.seconds > 0 and attempted:
                report.companies_per_minute = round(attempted / report.seconds * 60, 1)
            report.finished_at = datetime.now().isoformat(timespec="seconds")
            write_atomic(options.out / "batch.json", report.model_dump_json(indent=2))
    return report
