"""Where a batch's tasks run: inline, or a process or thread pool (``engine="local"``); Ray tasks
(``engine="ray"``) are in :mod:`assistant.profile.batch.ray_engine`. Each engine yields one
:class:`CompanyResult` per job; a worker that dies fails its own company only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from typing import Literal

from assistant.profile.batch.task import CompanyResult, Task, failed_row, one_line, profile_task

Pool = Literal["process", "thread"]
Job = Task | CompanyResult  # a task to run, or a result known without running (e.g. nothing stored)


def run_inline(jobs: Iterable[Job]) -> Iterator[CompanyResult]:
    for job in jobs:
        yield job if isinstance(job, CompanyResult) else profile_task(job)


def crashed(task: Task, exc: BaseException, why: str = "worker crashed") -> CompanyResult:
    """The failed result of a task whose worker died (or whose result could not be read)."""
    error = f"{why}: {one_line(exc)}"
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
        server.set_forkserver_preload(["assistant.profile.batch.task", "assistant.profile.render"])
        return ProcessPoolExecutor(max_workers=workers, mp_context=server)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    )  # pragma: no cover


def run_pool(jobs: Iterable[Job], workers: int, pool: Pool) -> Iterator[CompanyResult]:
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
            yield crashed(task, exc)
