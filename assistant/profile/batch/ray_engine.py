"""Ray tasks (``engine="ray"``): the same :func:`profile_task`, one task per company, on an existing Ray cluster
(``address``: ``ray.init(address=...)``, the cluster left running) or on a private local cluster the run starts
and stops (``workers`` CPUs, no dashboard, usage statistics off, bound to 127.0.0.1).

**Shipping.** A task carries one company: its chunks and facts read by the driver (``read="driver"``: the
workers need no store), or the store's settings (``read="workers"``: each worker opens the store once and reads
its company itself). Results come back to the driver, which alone writes the output folder.

**Slots.** At most ``workers`` tasks run at once (with an address, ``workers=0`` means as many as the cluster
has CPUs when the run starts), so a batch can share a cluster. The driver reads up to ``workers`` companies
ahead while the cluster works, so a slot that frees up is filled at once.

**Failures.** A worker process that dies (killed, out of memory, its node lost) has its task run again by Ray on
another worker (``max_retries``; ``profile_task`` itself never raises, so only system failures are retried);
when the retries are spent, the company is a failed result with the reason, and the next run does it again.
Every company's result arrives once: the driver records it under the company's name (the state file is the
commit point), so the outputs hold every company exactly once however often a task ran.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from assistant.core.errors import ConfigError, InputError
from assistant.profile.batch.engines import Job, crashed
from assistant.profile.batch.task import CompanyResult, Task, one_line, profile_task

RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",  # never report usage statistics
    "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
    "RAY_DISABLE_IMPORT_WARNING": "1",
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",  # no `uv run` environment detection
}
MAX_RETRIES = 3  # Ray's own default for tasks: a task whose worker died runs again up to 3 times


@dataclass
class RayCluster:
    """Where a batch's Ray tasks run, and what the run found there (filled in when it connects)."""

    address: str | None = None  # None: a private local cluster of ``workers`` CPUs
    workers: int = 1  # tasks at once; 0 (with an address): the cluster's CPUs
    max_retries: int = MAX_RETRIES
    slots: int = 0  # tasks at once, as resolved
    cpus: float = 0.0  # the cluster's CPUs when the run started
    nodes: int = 0  # its live nodes


def _import_ray() -> Any:
    for key, value in RAY_ENV.items():
        os.environ[key] = value if key == "RAY_USAGE_STATS_ENABLED" else os.environ.get(key, value)
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - install hint
        raise InputError("--engine ray needs the ray package (pip install ray==2.60.0)") from exc
    return ray


def _cause(exc: BaseException) -> str:
    """The error and what caused it, on one line (Ray wraps the reason a connection failed)."""
    parts = [one_line(exc)]
    if exc.__cause__ is not None:
        parts.append(one_line(exc.__cause__))
    return " ← ".join(parts)[:700]


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """A ``HOST:PORT`` address must accept a TCP connection (Ray itself would keep retrying for minutes)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", a ray:// client address …: left to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot join the Ray cluster at {address}: {exc} — is `ray start --head --port {port}` running there?"
        ) from exc


def _connect(ray: Any, cluster: RayCluster) -> tuple[bool, str | None]:
    """Join the cluster (or start the private one). Returns whether this run connected (and so disconnects)
    and the private cluster's session folder."""
    if ray.is_initialized():  # the caller's connection: used and left open
        return False, None
    common: dict[str, Any] = {
        "namespace": "assistant-batch",
        "log_to_driver": False,
        "logging_level": logging.ERROR,
    }
    if cluster.address:
        _reachable(cluster.address)
        try:
            ray.init(address=cluster.address, **common)
        except Exception as exc:  # ConnectionError, an authentication error, a bad address …
            raise ConfigError(
                f"cannot join the Ray cluster at {cluster.address}: {_cause(exc)} — is `ray start --head` "
                "running there, and does this process have the cluster's token if it uses one "
                "(RAY_AUTH_MODE=token with RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH)?"
            ) from exc
        return True, None
    # a short folder: Ray's socket paths must fit in 107 bytes
    session_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
    ray.init(
        num_cpus=cluster.workers,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        object_store_memory=256 * 1024 * 1024,
        _temp_dir=session_dir,
        **common,
    )
    return True, session_dir


def _disconnect(ray: Any, connected: bool, session_dir: str | None) -> None:
    if connected:
        ray.shutdown()  # a joined cluster keeps running; a private one stops
    if session_dir:
        import shutil

        shutil.rmtree(session_dir, ignore_errors=True)  # the private cluster's logs and sockets


def run_ray(jobs: Iterable[Job], cluster: RayCluster) -> Iterator[CompanyResult]:
    """:func:`profile_task` as Ray tasks, ``cluster.slots`` at a time; one result per job."""
    ray = _import_ray()
    connected, session_dir = _connect(ray, cluster)
    try:
        resources = ray.cluster_resources()
        cluster.cpus = float(resources.get("CPU", 0.0))
        cluster.nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        if cluster.cpus < 1:
            raise ConfigError(
                f"the Ray cluster at {cluster.address} has no CPU to run tasks on: add a worker node"
            )
        cluster.slots = cluster.workers or int(cluster.cpus)
        remote = ray.remote(num_cpus=1, max_retries=cluster.max_retries, retry_exceptions=False)(profile_task)
        yield from _stream(ray, remote, jobs, cluster.slots)
    finally:
        _disconnect(ray, connected, session_dir)


def _stream(ray: Any, remote: Any, jobs: Iterable[Job], slots: int) -> Iterator[CompanyResult]:
    """Keep ``slots`` tasks running and up to ``slots`` more read ahead; yield each result as it arrives."""
    source = iter(jobs)
    pending: dict[Any, Task] = {}
    ready: deque[Task] = deque()
    more = True
    try:
        while more or ready or pending:
            while ready and len(pending) < slots:  # a free slot is filled first
                task = ready.popleft()
                pending[remote.remote(task)] = task
            reading = more and len(ready) < slots
            if reading:  # read the next company while the cluster works
                job = next(source, None)
                if job is None:
                    more = False
                elif isinstance(job, CompanyResult):
                    yield job
                else:
                    ready.append(job)
            if not pending:
                continue
            if reading:  # collect what is done without waiting, then read on
                done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0)
            else:
                done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield _result(ray, ref, pending.pop(ref))
    finally:
        for ref in pending:  # the run stopped early (an error, Ctrl-C): leave nothing running for it
            with contextlib.suppress(Exception):  # best effort: the driver's exit ends its tasks anyway
                ray.cancel(ref)


def _result(ray: Any, ref: Any, task: Task) -> CompanyResult:
    try:
        result: CompanyResult = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # it could not run there (e.g. no `assistant` on the node)
        return crashed(task, exc, "the task failed on the cluster")
    except Exception as exc:  # its worker died every time it ran (WorkerCrashedError), OOM, node lost …
        return crashed(task, exc)
    return result
