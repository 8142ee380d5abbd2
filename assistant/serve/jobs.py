"""Batch profile jobs: one code path for the web app's Batch tab and the REST API's ``/api/batch``.

A :class:`BatchJob` runs :func:`assistant.profile.batch.run_batch` (the CLI's batch) over a list of companies
into a folder of its own, counting each company as it is recorded; it stops after the current company once a
cancel is asked. The :class:`JobService` keeps the API's jobs on disk, under the store:

    <store>/jobs/<id>/job.json   the job's state (owner, companies, options, status, counts, errors per company),
                                 rewritten atomically as it progresses
    <store>/jobs/<id>/out/       the batch folder (profiles.jsonl, summary.csv, profiles/, reports/, state/)
    <store>/jobs/<id>/cancel     present once a cancel was asked (by any process)
    <store>/jobs/<id>/.runner    locked (flock) by the process running the job
    <store>/jobs/.start.lock     locked (flock) while a job starts: one unfinished job per owner in all processes

A job id is 24 random hex digits; nothing a client sends is ever used as a path (an id that is not 24 hex
digits, or names no job, is simply not found; files are looked up by name among the job's own outputs). Jobs
run one at a time in a background thread (a batch is CPU-bound and the server has few cores; ``serve --workers N``:
one in each worker process, every process reading a job's state from disk unless it runs the job). A job that was
queued or running when the server stopped is run again when the next server starts (:meth:`JobService.resume`):
the batch folder is resumable, so companies already recorded are skipped; its owner must still exist and
still see every company of the job, otherwise it fails with a message saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.errors import InputError
from assistant.core.names import safe_name
from assistant.core.services import Services
from assistant.profile.batch import BatchOptions, BatchRun, FolderLock, run_batch, write_atomic
from assistant.serve.auth import LOCAL, AuthConfig, Principal

log = logging.getLogger("assistant.serve.jobs")

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
FINAL: frozenset[str] = frozenset({"done", "failed", "cancelled"})
ID = re.compile(r"[0-9a-f]{24}")
FAILED = "the batch job failed (recorded in the server log)"
SAVE_EVERY_S = 0.5
Lookup = Callable[[str, str], Principal | None]  # (owner name, via) → the owner as configured now


class JobNotFound(InputError):
    """No batch job of that id that the caller may see (HTTP 404): another user's job looks the same."""

    status = 404


class JobConflict(InputError):
    """The action does not fit the job's state: the owner already has a job running, or it has finished (409)."""

    status = 409


class JobState(BaseModel):
    """``job.json``: what a job is and how far it got."""

    version: int = 1
    id: str
    owner: str = LOCAL.name
    owner_via: str = Field("none", description="password (a user), token (a program) or none (local use).")
    companies: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None
    status: JobStatus = "queued"
    created_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    total: int = 0
    done: int = Field(0, description="Companies recorded (ok or failed).")
    ok: int = 0
    failed: int = 0
    errors: dict[str, str] = Field(default_factory=dict, description="Company → why its profile failed.")
    error: str | None = Field(None, description="Why the job itself failed.")
    cancel_requested: bool = False
    resumed: int = Field(0, description="Times it was run again after a server restart.")


class _Cancelled(Exception):
    """Raised between two companies to stop a cancelled job."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class BatchJob:
    """One batch job: its output folder ``out``, its progress and outcome, and — when ``folder`` is given (the
    API's jobs) — its state file and cancel marker. :meth:`run` executes it in the calling thread."""

    def __init__(
        self, total: int, out: Path, state: JobState | None = None, folder: Path | None = None
    ) -> None:
        self.out = Path(out)
        self.state = state or JobState(id=secrets.token_hex(12), total=total, created_at=_now())
        self.folder = folder
        self._cancel = threading.Event()
        self._lock = threading.RLock()
        self._saved = 0.0

    # ---- the web tab's view ---------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.state.id

    @property
    def total(self) -> int:
        return self.state.total

    @property
    def done(self) -> int:
        return self.state.done

    @property
    def error(self) -> str | None:
        return self.state.error

    @property
    def finished(self) -> bool:
        return self.state.status in FINAL

    @finished.setter
    def finished(self, value: bool) -> None:
        if value and not self.finished:
            self.state.status = "done"

    # ---- state ----------------------------------------------------------------------------------------
    def snapshot(self) -> JobState:
        with self._lock:
            return self.state.model_copy(deep=True)

    def save(self, force: bool = True) -> None:
        """Write ``job.json`` (at most every ``SAVE_EVERY_S`` unless ``force``); no-op without a folder."""
        if self.folder is None:
            return
        with self._lock:
            if not force and time.monotonic() - self._saved < SAVE_EVERY_S:
                return
            write_atomic(self.folder / "job.json", self.state.model_dump_json(indent=1))
            self._saved = time.monotonic()

    def cancel(self) -> None:
        """Ask the job to stop after its current company (a queued job is cancelled at once)."""
        with self._lock:
            self._cancel.set()
            if self.folder is not None:
                (self.folder / "cancel").touch()
            self.state.cancel_requested = True
            if self.state.status == "queued":
                self.state.status, self.state.finished_at = "cancelled", _now()
            self.save()

    def cancel_asked(self) -> bool:
        return self._cancel.is_set() or (self.folder is not None and (self.folder / "cancel").exists())

    # ---- running --------------------------------------------------------------------------------------
    def run(self, services: Services, companies: Sequence[str], as_of: dt.date | None = None) -> None:
        """Profile ``companies`` into ``out`` (resumable: companies already recorded there are skipped)."""
        with self._lock:
            if self.cancel_asked():
                self.state.cancel_requested = True
                self.state.status, self.state.finished_at = "cancelled", _now()
                self.save()
                return
            already = self._already_done(companies)
            self.state.status, self.state.started_at, self.state.finished_at = "running", _now(), None
            self.state.total, self.state.done, self.state.ok = len(companies), already, already
            self.state.failed, self.state.errors, self.state.error = 0, {}, None
            self.save()
        options = BatchOptions(out=self.out, as_of=as_of, progress=False)
        try:
            report = run_batch(services.store, list(companies), options, on_result=self._one)
        except _Cancelled:
            with self._lock:
                self.state.status, self.state.cancel_requested = "cancelled", True
        except Exception:  # the details go to the server log; the job says only that it failed
            log.exception("batch job %s in %s failed", self.id, self.out)
            with self._lock:
                self.state.status, self.state.error = "failed", FAILED
        else:
            with self._lock:
                self.state.ok = report.profiled + report.skipped
                self.state.failed = report.failed
                self.state.done = self.state.ok + self.state.failed
                self.state.errors = dict(report.failures)
                self.state.status = "done"
        finally:
            with self._lock:
                self.state.finished_at = _now()
                self.save()

    def _already_done(self, companies: Sequence[str]) -> int:
        """Companies whose state in ``out`` says ok (a resumed job skips them)."""
        if not (self.out / "state").is_dir():
            return 0
        run = BatchRun(self.out)
        return sum(
            1 for c in companies if (e := run.state(safe_name(c, "company"))) is not None and e.status == "ok"
        )

    def _one(self, result: Any) -> None:
        with self._lock:
            self.state.done += 1
            if result.status == "ok":
                self.state.ok += 1
            else:
                self.state.failed += 1
                self.state.errors[result.company] = result.error or "failed"
            self.save(force=False)
            left = self.state.done < self.state.total
        if left and self.cancel_asked():
            raise _Cancelled


@dataclass(frozen=True)
class JobFile:
    """One output file of a job: the name a client asks for, where it is, and the company it is about (None:
    the whole job's)."""

    name: str
    path: Path
    company: str | None


MEDIA = {
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def owner_lookup(auth: AuthConfig | None) -> Lookup:
    """Who owns a job now: the configured user or token of that name (anyone is the local user without auth)."""

    def find(name: str, via: str) -> Principal | None:
        if auth is None:
            return LOCAL
        if via == "token":
            return next((p for p in auth.tokens if p.name == name), None)
        return auth.user(name) if via == "password" else None

    return find


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (waiting for it; the OS releases it if the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: one process
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        yield


class JobService:
    """The batch jobs of one store: started for a caller, run one at a time, kept on disk, resumed after a
    restart."""

    def __init__(self, root: Path, services: Services) -> None:
        self.root = Path(root)
        self.services = services
        self._live: dict[str, BatchJob] = {}
        self._guard = threading.Lock()
        self._queue: SimpleQueue[str] = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lookup: Lookup | None = None
        self._running: str | None = None  # the job this process is running

    # ---- reading --------------------------------------------------------------------------------------
    def get(self, job_id: str) -> BatchJob | None:
        """The job of this id (the live one while this process runs it, else its state on disk), or None."""
        if not ID.fullmatch(job_id or ""):
            return None
        with self._guard:
            live = self._live.get(job_id) if job_id == self._running else None
        if live is not None:
            return live
        folder = self.root / job_id
        try:
            state = JobState.model_validate_json((folder / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return (
            BatchJob(state.total, folder / "out", state=state, folder=folder) if state.id == job_id else None
        )

    def listing(self) -> list[BatchJob]:
        """Every job, newest first."""
        found = []
        if self.root.is_dir():
            for folder in self.root.iterdir():
                job = self.get(folder.name)
                if job is not None:
                    found.append(job)
        return sorted(found, key=lambda j: j.state.created_at, reverse=True)

    @staticmethod
    def owns(who: Principal, job: BatchJob) -> bool:
        """Whether ``who`` started the job."""
        return job.state.owner == who.name and job.state.owner_via == who.via

    @classmethod
    def may_see(cls, who: Principal, job: BatchJob) -> bool:
        """Whether ``who`` may see the job: its owner, or an admin."""
        return who.role == "admin" or cls.owns(who, job)

    def files(self, job: BatchJob) -> dict[str, JobFile]:
        """The job's output files by name: profiles.jsonl and summary.csv, then each company's profile
        (<name>.json) and reports (<name>.md, <name>.html), <name> being the company's safe file name."""
        found: dict[str, JobFile] = {}
        for name in ("profiles.jsonl", "summary.csv"):
            if (job.out / name).is_file():
                found[name] = JobFile(name, job.out / name, None)
        for company in job.state.companies:
            base = safe_name(company, "company")
            for sub, ext in (("profiles", ".json"), ("reports", ".md"), ("reports", ".html")):
                path = job.out / sub / f"{base}{ext}"
                if path.is_file():
                    found.setdefault(base + ext, JobFile(base + ext, path, company))
        return found

    # ---- acting ---------------------------------------------------------------------------------------
    def start(self, who: Principal, companies: Sequence[str], as_of: dt.date | None = None) -> BatchJob:
        """A new job of ``who`` over ``companies`` (already checked against their portfolio), queued (409 while
        another job of theirs, started by any process of the server, is queued or running)."""
        with exclusive(self.root / ".start.lock"):  # threads and processes alike
            for job in self.listing():
                if not job.finished and self.owns(who, job):
                    raise JobConflict(
                        f"your batch job {job.id} is still {job.state.status}: wait or cancel it"
                    )
            job_id = secrets.token_hex(12)
            folder = self.root / job_id
            folder.mkdir(parents=True)
            state = JobState(
                id=job_id,
                owner=who.name,
                owner_via=who.via,
                companies=list(companies),
                as_of=as_of,
                total=len(companies),
                created_at=_now(),
            )
            job = BatchJob(len(companies), folder / "out", state=state, folder=folder)
            job.save()
            with self._guard:
                self._live[job_id] = job
        self._enqueue(job_id)
        return job

    def cancel(self, job: BatchJob) -> BatchJob:
        """Stop the job after its current company (409 once it has finished)."""
        if job.finished:
            raise JobConflict(f"batch job {job.id} has already finished ({job.state.status})")
        job.cancel()
        return job

    def resume(self, lookup: Lookup) -> int:
        """Queue every job left queued or running by a server that stopped; the number queued. ``lookup``
        finds each job's owner as configured now (their portfolio is checked again before it runs)."""
        self._lookup = lookup
        count = 0
        for job in self.listing():
            if job.finished:
                continue
            with self._guard:
                if job.id in self._live:
                    continue
                self._live[job.id] = job
            self._enqueue(job.id, resumed=True)
            count += 1
        return count

    # ---- the runner -----------------------------------------------------------------------------------
    def _enqueue(self, job_id: str, resumed: bool = False) -> None:
        self._queue.put(("+" if resumed else "") + job_id)
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="batch-jobs", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            resumed, job_id = item.startswith("+"), item.lstrip("+")
            with self._guard:
                job = self._live.get(job_id)
            if job is None or job.finished or job.folder is None:
                continue
            with contextlib.ExitStack() as held:
                try:
                    held.enter_context(FolderLock(job.folder / ".runner"))
                    fresh = JobState.model_validate_json(
                        (job.folder / "job.json").read_text(encoding="utf-8")
                    )
                except (InputError, OSError, ValueError):  # another process runs it (or it is gone)
                    with self._guard:
                        self._live.pop(job_id, None)
                    continue
                if fresh.status in FINAL:  # another process ran it (or it was cancelled) meanwhile
                    with self._guard:
                        self._live.pop(job_id, None)
                    continue
                with job._lock, self._guard:
                    job.state, self._running = fresh, job_id
                try:
                    self._run(job, resumed)
                except Exception:  # never let one job stop the runner
                    log.exception("batch job %s could not run", job_id)
                finally:
                    with self._guard:
                        self._running = None

    def _run(self, job: BatchJob, resumed: bool) -> None:
        if resumed:
            owner = self._lookup(job.state.owner, job.state.owner_via) if self._lookup else None
            with job._lock:
                job.state.resumed += 1
                if owner is None or not owner.can("read"):
                    job.state.status, job.state.error = "failed", "its owner is no longer configured"
                elif not all(owner.sees(c) for c in job.state.companies):
                    job.state.status = "failed"
                    job.state.error = (
                        "its owner's portfolio changed while the server was stopped: start a new job"
                    )
                if job.state.status == "failed":
                    job.state.finished_at = _now()
                    job.save()
                    return
        job.run(self.services, job.state.companies, job.state.as_of)
