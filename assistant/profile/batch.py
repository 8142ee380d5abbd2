"""Batch profiles (issue 5, item 7): many companies → ``profiles.jsonl``, a Markdown and an HTML report per
company, and ``summary.csv``; resumable, one bad company never stops the run.

    report = run_batch(store, None, BatchOptions(out=Path("out"), workers=2, engine="ray"), settings)

**One per-company function.** :func:`profile_task` turns a :class:`Task` (the company, its aliases and its
chunks, the reference date, whether to summarise) into a :class:`CompanyResult` (the profile JSON, both
reports and the CSV row, or the error). It touches no store and no file, so the same function runs
inline, in a process or thread pool (``engine="local"``), or as a Ray task on a local Ray cluster the run
starts and stops (``engine="ray"``) — or on a real cluster, since a task carries its data.

**The driver** reads each company's chunks (texts only, no vectors) from its one store when it submits the
task — so no worker opens Chroma (several processes on one Chroma store do read safely, measured, but a
worker that never opens it starts faster and could run on another machine) — and it alone writes the
output folder, as each result arrives:

    DIR/profiles/<name>.json     the profile (one line of JSON)
    DIR/reports/<name>.md|.html  the reports
    DIR/state/<name>.json        the ledger entry, written last: status ok|failed, error, fingerprint …
    DIR/profiles.jsonl           rebuilt at the end of every run from the state (one line per ok company,
    DIR/summary.csv              in the run's company order; one CSV row per company, failures too)
    DIR/batch.json               the last run's report

Every file is written to a temporary name and renamed, so a run killed at any point (even SIGKILL) leaves
whole files; a company counts as done only when its state file says ``ok`` with the same document
fingerprint (the stored documents' sha256) and options (reference date, summary, model), so the next run
skips it and redoes the rest, and the rebuilt outputs hold every company exactly once. A failed company is
tried again by the next run. A lock file keeps two runs from writing one folder.

``<name>`` is the company name made safe for any file system (reserved characters replaced; a short
hash of the original name appended when anything was changed, so names never collide).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, Field

from assistant.core.errors import InputError
from assistant.core.records import Chunk
from assistant.profile.build import profile_from_chunks
from assistant.profile.schema import Profile, Summary

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.profile.summary import ProfileSummarizer, SummaryOutcome
    from assistant.store.index import Store

Engine = Literal["local", "ray"]
Pool = Literal["process", "thread"]
STATE_VERSION = 1

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


# ---- the per-company function -----------------------------------------------------------------------------
class Task(BaseModel):
    """Everything one company's profile needs (picklable; no store, no file)."""

    company: str
    aliases: list[str] = Field(default_factory=list)
    chunks: list[Chunk] = Field(default_factory=list)
    today: str = Field(description="Reference date (ISO).")
    summary: bool = False
    settings: dict[str, Any] | None = Field(
        None, description="Settings for the summary's LLM (JSON-able dump)."
    )
    name: str = Field(description="Safe file name of the company.")


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


def profile_task(task: Task) -> CompanyResult:
    """Profile one company: build, (summarise,) render JSON / Markdown / HTML and the CSV row. Never raises:
    an error is returned as a failed result with its message and traceback."""
    from assistant.profile.render import to_html, to_markdown

    started = time.perf_counter()
    try:
        if not task.chunks:
            raise InputError(f"no documents stored for company '{task.company}'")
        outcome: SummaryOutcome | None = None
        hook: Callable[[Profile], Summary] | None = None
        if task.summary:
            summarizer = _summarizer(task.settings or {})

            def hook(profile: Profile) -> Summary:  # this task's outcome (a summarizer is shared by threads)
                nonlocal outcome
                outcome = summarizer.summarize(profile)
                return outcome.summary

        profile = profile_from_chunks(
            task.chunks, task.company, task.aliases, date.fromisoformat(task.today), summarizer=hook
        )
        summary_path = outcome.path if outcome else None
        result = CompanyResult(
            company=task.company,
            name=task.name,
            status="ok",
            summary_path=summary_path,
            summary_problems=outcome.problems if outcome else [],
            profile_json=profile.model_dump_json(),
            markdown=to_markdown(profile),
            html=to_html(profile),
            row=csv_row(profile, task.name, summary_path),
        )
    except Exception as exc:  # one bad company never stops the run
        result = CompanyResult(
            company=task.company,
            name=task.name,
            status="failed",
            error=_one_line(exc),
            traceback=traceback.format_exc(limit=8),
            row=failed_row(task.company, _one_line(exc)),
        )
    result.seconds = round(time.perf_counter() - started, 4)
    return result


def _one_line(exc: BaseException) -> str:
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


# ---- file names, atomic files, state -----------------------------------------------------------------------
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_name(company: str) -> str:
    """A file name for a company on any file system: reserved characters replaced, at most ~90 characters;
    when anything had to change, 8 hex digits of the name's sha1 are appended (so names never collide)."""
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", company)).strip("._ ")[:80]
    if base and base == company and base.upper() not in _RESERVED:
        return base
    return f"{base or 'company'}-{hashlib.sha1(company.encode('utf-8')).hexdigest()[:8]}"


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over (a reader, or a killed run, never sees
    half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


class StateEntry(BaseModel):
    """DIR/state/<name>.json: one company's last outcome."""

    version: int = STATE_VERSION
    company: str
    name: str
    status: Literal["ok", "failed"]
    error: str | None = None
    traceback: str | None = None
    fingerprint: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    seconds: float = 0.0
    finished_at: str = ""
    summary_path: str | None = None
    summary_problems: list[str] = Field(default_factory=list)
    row: dict[str, Any] = Field(default_factory=dict)


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


class _Lock:
    """An exclusive lock on DIR/.lock for the run (POSIX flock; a no-op where fcntl is missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: io.TextIOWrapper | None = None

    def __enter__(self) -> _Lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self._fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            self._fh = None
            raise InputError(f"another batch run is writing to {self.path.parent}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()


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


def company_texts(store: Store, company: str) -> list[Chunk]:
    """A company's chunks without their vectors (``Store.company_texts`` when the store has it)."""
    fetch = getattr(store, "company_texts", None)
    if callable(fetch):
        return list(fetch(company))
    from assistant.store.index import _chunk

    got = store.collection.get(where={"company": company}, include=["documents", "metadatas"])
    return [
        _chunk(cid, text or "", dict(meta or {}))
        for cid, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False)
    ]


def fingerprints(store: Store) -> dict[str, str]:
    """Company → a hash of its stored documents and their sha256 (changes when a document does)."""
    docs: dict[str, list[tuple[str, str]]] = {}
    for row in store.ledger.documents(None):
        docs.setdefault(str(row["company"]), []).append((str(row["doc"]), str(row["sha256"])))
    return {c: hashlib.sha1(json.dumps(sorted(d)).encode()).hexdigest()[:16] for c, d in docs.items()}


# ---- engines --------------------------------------------------------------------------------------------
Job = Task | CompanyResult  # a task to run, or a result known without running (e.g. nothing stored)


def _run_inline(jobs: Iterable[Job]) -> Iterator[CompanyResult]:
    for job in jobs:
        yield job if isinstance(job, CompanyResult) else profile_task(job)


def _crashed(task: Task, exc: BaseException) -> CompanyResult:
    error = f"worker crashed: {_one_line(exc)}"
    return CompanyResult(
        company=task.company,
        name=task.name,
        status="failed",
        error=error,
        row=failed_row(task.company, error),
    )


def _process_executor(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    # forkserver: workers fork from a clean server process that never opened Chroma or a model (fork from
    # the driver would copy its Chroma client's threads and locks); the profile code is preloaded once.
    if "forkserver" in multiprocessing.get_all_start_methods():
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(["assistant.profile.batch", "assistant.profile.render"])
        return ProcessPoolExecutor(max_workers=workers, mp_context=server)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )  # pragma: no cover


def _run_pool(jobs: Iterable[Job], workers: int, pool: Pool) -> Iterator[CompanyResult]:
    """At most 2×workers tasks in flight (memory stays flat however many companies); a worker that dies
    fails its own company, and the pool is replaced for the rest."""
    from concurrent.futures.process import BrokenProcessPool

    def make() -> Executor:
        return _process_executor(workers) if pool == "process" else ThreadPoolExecutor(workers)

    executor = make()
    pending: dict[Future[CompanyResult], Task] = {}
    try:
        for job in jobs:
            if isinstance(job, CompanyResult):
                yield job
                continue
            while len(pending) >= 2 * workers:
                yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
            try:
                pending[executor.submit(profile_task, job)] = job
            except BrokenProcessPool:
                yield from _collect(pending, set(pending))
                executor.shutdown(wait=False, cancel_futures=True)
                executor = make()
                pending[executor.submit(profile_task, job)] = job
        while pending:
            yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _collect(
    pending: dict[Future[CompanyResult], Task], done: Iterable[Future[CompanyResult]]
) -> Iterator[CompanyResult]:
    for future in list(done):
        task = pending.pop(future)
        try:
            yield future.result()
        except Exception as exc:  # the worker process died (BrokenProcessPool) or could not unpickle
            yield _crashed(task, exc)


RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",  # never report usage statistics
    "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
    "RAY_DISABLE_IMPORT_WARNING": "1",
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",  # no `uv run` environment detection
}


def _run_ray(jobs: Iterable[Job], workers: int) -> Iterator[CompanyResult]:
    """The same :func:`profile_task` as Ray tasks on a local Ray cluster (started here with ``workers`` CPUs,
    no dashboard, usage statistics off, bound to 127.0.0.1; shut down at the end). If the process is already
    connected to a Ray cluster, that one is used and left running."""
    for key, value in RAY_ENV.items():
        os.environ[key] = value if key == "RAY_USAGE_STATS_ENABLED" else os.environ.get(key, value)
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - install hint
        raise InputError("--engine ray needs the ray package (pip install ray==2.60.0)") from exc

    started = not ray.is_initialized()
    session_dir = None
    if started:
        import tempfile

        session_dir = tempfile.mkdtemp(
            prefix="ray-", dir="/tmp" if os.path.isdir("/tmp") else None
        )  # short: sockets
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
            _node_ip_address="127.0.0.1",
            object_store_memory=256 * 1024 * 1024,
            namespace="assistant-batch",
            _temp_dir=session_dir,
        )
    try:
        remote = ray.remote(num_cpus=1, max_retries=1)(profile_task)
        pending: dict[Any, Task] = {}

        def drain(count: int) -> Iterator[CompanyResult]:
            done, _ = ray.wait(list(pending), num_returns=count)
            for ref in done:
                task = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as exc:  # the worker died (WorkerCrashedError, OOM …)
                    yield _crashed(task, exc)

        for job in jobs:
            if isinstance(job, CompanyResult):
                yield job
                continue
            while len(pending) >= 2 * workers:
                yield from drain(1)
            pending[remote.remote(job)] = job
        while pending:
            yield from drain(1)
    finally:
        if started:
            ray.shutdown()
            if session_dir:
                import shutil

                shutil.rmtree(session_dir, ignore_errors=True)  # the session's logs and sockets


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


class BatchRun:
    """The output folder of a batch: state, files, and the rebuilt outputs."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.profiles_dir = self.out / "profiles"
        self.reports_dir = self.out / "reports"
        self.state_dir = self.out / "state"

    def prepare(self) -> None:
        for d in (self.out, self.profiles_dir, self.reports_dir, self.state_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot create {d}: {exc}") from exc
        for d in (self.out, self.profiles_dir, self.reports_dir, self.state_dir):
            for tmp in d.glob(".*.tmp"):  # left by a killed run
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def state(self, name: str) -> StateEntry | None:
        path = self.state_dir / f"{name}.json"
        try:
            return StateEntry.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def record(self, result: CompanyResult, fingerprint: str | None, options: dict[str, Any]) -> StateEntry:
        """Write the company's files, then its state entry (the commit point)."""
        if result.status == "ok":
            assert result.profile_json is not None and result.markdown is not None and result.html is not None
            write_atomic(self.profiles_dir / f"{result.name}.json", result.profile_json + "\n")
            write_atomic(self.reports_dir / f"{result.name}.md", result.markdown)
            write_atomic(self.reports_dir / f"{result.name}.html", result.html)
        entry = StateEntry(
            company=result.company,
            name=result.name,
            status=result.status,
            error=result.error,
            traceback=result.traceback,
            fingerprint=fingerprint,
            options=options,
            seconds=result.seconds,
            finished_at=datetime.now().isoformat(timespec="seconds"),
            summary_path=result.summary_path,
            summary_problems=result.summary_problems,
            row=result.row,
        )
        write_atomic(self.state_dir / f"{result.name}.json", entry.model_dump_json(indent=1))
        return entry

    def rebuild(self, companies: Sequence[str]) -> None:
        """profiles.jsonl and summary.csv from the state, in the run's company order, each company once
        (profiles are streamed: memory stays flat however many companies)."""
        rows: list[dict[str, Any]] = []
        jsonl = self.out / "profiles.jsonl"
        tmp = jsonl.with_name(f".{jsonl.name}.{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            for company in dict.fromkeys(companies):
                name = safe_name(company)
                entry = self.state(name)
                if entry is None:
                    continue
                rows.append(entry.row or failed_row(company, entry.error or ""))
                if entry.status == "ok":
                    try:
                        text = (self.profiles_dir / f"{name}.json").read_text(encoding="utf-8").strip()
                    except OSError:
                        continue
                    if text:
                        fh.write(text + "\n")
        os.replace(tmp, jsonl)
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(CSV_COLUMNS), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        # UTF-8 with a byte-order mark: spreadsheet programs then read the Chinese names correctly
        write_atomic(self.out / "summary.csv", "\ufeff" + buffer.getvalue())


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
    if options.workers < 1:
        raise InputError("--workers must be at least 1")
    if options.engine not in ("local", "ray"):
        raise InputError(f"unknown engine '{options.engine}' (local or ray)")
    if options.summary and settings is None:
        raise InputError("a summary needs the settings of the LLM")
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
    llm_settings: dict[str, Any] | None = None
    if options.summary and settings is not None:
        from assistant.models.llm import model_label

        threads = max(1, settings.threads // options.workers) if options.workers > 1 else settings.threads
        llm_settings = settings.model_copy(update={"threads": threads}).model_dump(mode="json")
        signature = {
            "as_of": options.as_of.isoformat() if options.as_of else None,
            "summary": model_label(settings),
        }
    else:
        signature = {"as_of": options.as_of.isoformat() if options.as_of else None, "summary": None}

    try:
        options.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {options.out}: {exc}") from exc
    with _Lock(options.out / ".lock"):
        run.prepare()
        prints = fingerprints(store)
        aliases = store.ledger.aliases()
        todo: list[str] = []
        for company in names:
            entry = None if options.force else run.state(safe_name(company))
            if (
                entry
                and entry.status == "ok"
                and entry.fingerprint == prints.get(company)
                and entry.options == signature
            ):
                report.skipped += 1
            else:
                todo.append(company)

        def jobs() -> Iterator[Job]:
            for company, error in unresolved.items():
                yield CompanyResult(
                    company=company,
                    name=safe_name(company),
                    status="failed",
                    error=error,
                    row=failed_row(company, error),
                )
            for company in todo:
                try:
                    chunks = company_texts(store, company)
                except Exception as exc:  # the store could not be read for this company
                    error = f"cannot read its chunks: {_one_line(exc)}"
                    yield CompanyResult(
                        company=company,
                        name=safe_name(company),
                        status="failed",
                        error=error,
                        row=failed_row(company, error),
                    )
                    continue
                yield Task(
                    company=company,
                    aliases=aliases.get(company, []),
                    chunks=chunks,
                    today=today.isoformat(),
                    summary=options.summary,
                    settings=llm_settings,
                    name=safe_name(company),
                )

        if options.engine == "ray":
            results = _run_ray(jobs(), options.workers)
        elif options.workers > 1 and len(todo) > 1:
            results = _run_pool(jobs(), options.workers, options.pool)
        else:
            results = _run_inline(jobs())
        main_thread = threading.current_thread() is threading.main_thread()
        show = options.progress if options.progress is not None else sys.stderr.isatty() and main_thread
        bar = None
        attempted = 0
        if show and todo:
            from tqdm import tqdm

            bar = tqdm(
                total=len(todo) + len(unresolved),
                unit="company",
                file=sys.stderr,
                dynamic_ncols=True,
                desc=f"profiles ({report.skipped} already done)" if report.skipped else "profiles",
            )
        try:
            for result in results:
                run.record(result, prints.get(result.company), signature)
                attempted += result.company not in unresolved
                if result.status == "ok":
                    report.profiled += 1
                    if result.summary_path:
                        report.summary_paths[result.summary_path] = (
                            report.summary_paths.get(result.summary_path, 0) + 1
                        )
                else:
                    report.failed += 1
                    report.failures[result.company] = result.error or ""
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


__all__ = [
    "BatchOptions",
    "BatchReport",
    "BatchRun",
    "CompanyResult",
    "Task",
    "csv_row",
    "open_store",
    "profile_task",
    "run_batch",
    "safe_name",
]
