"""Where a batch's tasks run: inline, a process or thread pool (``engine="local"``), or Ray tasks on a local
Ray cluster the run starts and stops (``engine="ray"``). Each engine yields one :class:`CompanyResult` per job;
a worker that dies fails its own company only."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from typing import Any, Literal

from assistant.core.errors import InputError
from assistant.profile.batch.task import CompanyResult, Task, failed_row, one_line, profile_task

Pool = Literal["process", "thread"]
Job = Task | CompanyResult  # a task to run, or a result known without running (e.g. nothing stored)


def run_inline(jobs: Iterable[Job]) -> Iterator[CompanyResult]:
    for job in jobs:
        yield job if isinstance(job, CompanyResult) else profile_task(job)


def _crashed(task: Task, exc: BaseException) -> CompanyResult:
    error = f"worker crashed: {one_line(exc)}"
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
            yield _crashed(task, exc)


RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",  # never report usage statistics
    "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
    "RAY_DISABLE_IMPORT_WARNING": "1",
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",  # no `uv run` environment detection
}


def run_ray(jobs: Iterable[Job], workers: int) -> Iterator[CompanyResult]:
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
