"""`assistant batch --engine ray` on an existing Ray cluster: ``ray start --head`` in a subprocess (the way an
operator starts one: its own ports, temporary folder and authentication token), the batch run by the CLI in
another subprocess joining it (``ASSISTANT_RAY_ADDRESS``, then ``--ray-address``), a Ray worker killed while
it profiles a company, and every company done exactly once; a rerun does only what is missing (read by the
workers from the store the second time).

Tasks are slowed by the test-only ``ASSISTANT_BATCH_TEST_DELAY_S`` (given to the cluster's workers) so that
one is surely running when the worker is killed. Skipped, saying why, when Ray cannot start here.
The cluster test is marked ``integration`` (a subprocess cluster: seconds, not milliseconds; ``make unit``
leaves it out). Fast tests beside it: the CLI's cluster options, and the engine's loop on a fake ``ray`` (never
more tasks at once than its slots, a lost worker's company failed with the reason, cancelled when stopped).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from profile_support import TODAY

from assistant.core.errors import ConfigError, InputError
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.profile import Profile
from assistant.profile.batch import BatchOptions, run_batch, safe_name
from assistant.profile.batch.command import _engine_options, add_parser
from assistant.profile.batch.ray_engine import _stream
from assistant.profile.batch.task import TEST_DELAY_ENV, CompanyResult, Task

ROOT = Path(__file__).resolve().parents[2]
DELAY_S = 1.5  # each task's sleep on the cluster: 7 companies on 2 CPUs take ~6 s
START_S = 60.0


@dataclass
class Cluster:
    address: str
    process: subprocess.Popen[bytes]
    temp: Path
    env: dict[str, str]  # what a driver needs to join it (the token)

    def workers_running(self, function: str = "profile_task") -> list[psutil.Process]:
        """This cluster's worker processes running ``function`` now (Ray titles them ``ray::<function>``);
        other clusters on the machine are never touched: only the children of this cluster's raylet."""
        busy = []
        for raylet in _ours(self.temp):
            if raylet.name() != "raylet":
                continue
            with contextlib.suppress(psutil.Error):
                for child in raylet.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        if " ".join(child.cmdline()).startswith(f"ray::{function}"):
                            busy.append(child)
        return busy


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _ours(temp: Path) -> list[psutil.Process]:
    """The cluster's own processes (GCS, raylet, agents …): their command lines name its temporary folder."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(str(temp) in part for part in proc.info["cmdline"] or []):
                found.append(proc)
    return found


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """``ray start --head --block`` with 2 CPUs on free ports; stopped (SIGTERM, then SIGKILL of its own
    process group and folder's processes) at the end."""
    exe = Path(sys.executable).parent / "ray"
    if not exe.exists() or shutil.which(str(exe)) is None:
        pytest.skip("the `ray` command is not installed (it comes with the ray package)")
    temp = Path(tempfile.mkdtemp(prefix="rayc-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    port, agent, client, dashboard = _free_ports(4)
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {
        **os.environ,
        **auth,
        "RAY_USAGE_STATS_ENABLED": "0",
        TEST_DELAY_ENV: str(DELAY_S),  # the workers inherit it
    }
    log = temp / "head.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(exe),
                "start",
                "--head",
                "--block",
                "--port",
                str(port),
                "--num-cpus",
                "2",
                "--node-ip-address",
                "127.0.0.1",
                "--temp-dir",
                str(temp / "ray"),
                "--include-dashboard",
                "false",
                "--dashboard-port",
                str(dashboard),
                "--dashboard-agent-listen-port",
                str(agent),
                "--ray-client-server-port",
                str(client),
                "--object-store-memory",
                str(200 * 1024 * 1024),
                "--disable-usage-stats",
            ],  # fmt: skip
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_S
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-800:]
                pytest.skip(f"`ray start --head` did not start (exit {process.poll()}): {tail}")
            time.sleep(0.2)
        yield Cluster(address=f"127.0.0.1:{port}", process=process, temp=temp, env=auth)
    finally:
        _stop(process, temp)


def _stop(process: subprocess.Popen[bytes], temp: Path) -> None:
    """SIGTERM to ``ray start --block`` (it stops the node it started), then SIGKILL whatever is left of it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=40)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what it started
    for proc in _ours(temp):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    shutil.rmtree(temp, ignore_errors=True)


def _batch(
    services: Services, out: Path, cluster: Cluster, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``assistant batch`` over the store, as a subprocess joining the cluster."""
    full = {
        **os.environ,
        **cluster.env,
        "ASSISTANT_LLM_BACKEND": "fake",
        "ASSISTANT_EMBEDDING_BACKEND": "fake",
        **(env or {}),
    }
    full.pop(TEST_DELAY_ENV, None)  # the driver never sleeps; the cluster's workers do
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "--store",
            str(services.settings.store),
            "batch",
            "--out",
            str(out),
            "--as-of",
            TODAY.isoformat(),
            "--json",
            *args,
        ],  # fmt: skip
        cwd=ROOT,
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> dict:
    stdout, stderr = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, stderr[-3000:]
    report: dict = json.loads(stdout)
    return report


def _kill_a_busy_worker(cluster: Cluster, run: subprocess.Popen[str], wait_s: float = 60) -> int:
    """SIGKILL one of the cluster's workers while it runs a company's task; its pid."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and run.poll() is None:
        for worker in cluster.workers_running():
            with contextlib.suppress(psutil.Error):
                worker.kill()
                return worker.pid
        time.sleep(0.05)
    raise AssertionError("no worker was running a task while the batch ran")


def _once_each(out: Path, companies: list[str]) -> list[dict[str, str]]:
    """profiles.jsonl and summary.csv hold every company exactly once, each ok; the csv rows."""
    listed = [
        Profile.model_validate_json(line).company
        for line in (out / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert listed == companies  # every company once, in the run's order
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["company"] for r in rows] == companies
    assert {r["status"] for r in rows} == {"ok"}
    return rows


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("batch.json", ".lock") and p.parent.name != "state"
    }


@pytest.mark.integration
def test_a_batch_on_a_cluster_survives_a_killed_worker_and_resumes(
    cluster: Cluster, corpus_services: Services, tmp_path: Path
) -> None:
    companies = [c.company for c in corpus_services.store.companies()]
    assert len(companies) == 7
    out = tmp_path / "out"

    # 1. the cluster from the environment; a worker killed in the middle of a company
    run = _batch(
        corpus_services, out, cluster, "--engine", "ray", env={"ASSISTANT_RAY_ADDRESS": cluster.address}
    )
    killed = _kill_a_busy_worker(cluster, run)
    report = _finish(run)
    assert report["ray_address"] == cluster.address and report["engine"] == "ray"
    assert report["workers"] == 2 and report["cluster"] == {"cpus": 2.0, "nodes": 1.0}
    assert report["profiled"] == 7 and report["failed"] == 0 and report["skipped"] == 0, report
    assert report["read"] == "driver" and report["stage_seconds"]["build"] > 0
    _once_each(out, companies)
    states = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "state").glob("*.json")]
    assert sorted(s["company"] for s in states) == sorted(companies)
    pids = {s["worker"].rsplit(":", 1)[1] for s in states}
    assert str(killed) not in pids  # its company was profiled again by another worker
    assert os.getpid() not in {int(p) for p in pids}  # the tasks ran on the cluster, not in the driver

    # the same files as the local engine's
    local = tmp_path / "local"
    assert run_batch(corpus_services.store, None, BatchOptions(out=local, as_of=TODAY)).ok
    assert _files(out) == _files(local)

    # 2. resumed: nothing left to do (the cluster is not even joined)
    report = _finish(_batch(corpus_services, out, cluster, "--ray-address", cluster.address))
    assert report["skipped"] == 7 and report["profiled"] == 0
    _once_each(out, companies)

    # 3. one company's result lost: only it is done again, read by the worker from the store this time
    lost = companies[3]
    (out / "state" / f"{safe_name(lost)}.json").unlink()
    (out / "profiles" / f"{safe_name(lost)}.json").unlink()
    report = _finish(
        _batch(corpus_services, out, cluster, "--ray-address", cluster.address, "--read", "workers")
    )
    assert report["skipped"] == 6 and report["profiled"] == 1 and report["read"] == "workers"
    assert report["stage_seconds"]["read"] > 0
    _once_each(out, companies)
    assert _files(out) == _files(local)


def _options(*argv: str, address: str | None = None) -> tuple[str, str | None, int]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["batch", "--out", "x", *argv])
    return _engine_options(args, Settings(ray_address=address))


def test_the_cluster_options() -> None:
    assert _options() == ("local", None, 1)
    assert _options("--engine", "ray") == ("ray", None, 1)  # a private local cluster
    assert _options("--ray-address", "10.0.0.5:6379") == ("ray", "10.0.0.5:6379", 0)  # 0: the cluster's CPUs
    assert _options("--engine", "ray", address="auto") == ("ray", "auto", 0)  # ASSISTANT_RAY_ADDRESS
    assert _options("--engine", "ray", "--workers", "3", address="auto") == ("ray", "auto", 3)
    assert _options(address="auto") == ("local", None, 1)  # the address alone never switches the engine
    with pytest.raises(InputError, match="needs --engine ray"):
        _options("--engine", "local", "--ray-address", "10.0.0.5:6379")
    with pytest.raises(InputError, match="at least 1"):
        _options("--engine", "ray", "--workers", "0")
    with pytest.raises(InputError, match="needs --engine ray"):
        run_batch(None, [], BatchOptions(out=Path("x"), ray_address="auto"))  # type: ignore[arg-type]


def test_an_unreachable_cluster_is_a_clear_error_at_once(corpus_services: Services, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    (port,) = _free_ports(1)  # nothing listens there
    options = BatchOptions(
        out=tmp_path, as_of=TODAY, engine="ray", ray_address=f"127.0.0.1:{port}", workers=0
    )
    started = time.monotonic()
    with pytest.raises(ConfigError, match=f"cannot join the Ray cluster at 127.0.0.1:{port}"):
        run_batch(corpus_services.store, None, options, corpus_services.settings)
    assert time.monotonic() - started < 30  # not Ray's minutes of retries


class _FakeRay:
    """Just enough of ``ray`` for the engine's loop: a task finishes when ``wait`` blocks for it (oldest first);
    a poll (``timeout=0``) finds every other one still running. Tasks of ``crash`` lose their worker."""

    class exceptions:  # noqa: N801 - the attribute path the engine uses: ray.exceptions.RayTaskError
        RayTaskError = type("RayTaskError", (Exception,), {})

    def __init__(self, crash: set[str]) -> None:
        self.crash = crash
        self.running: list[int] = []
        self.tasks: dict[int, Task] = {}
        self.most = 0

    def remote(self, task: Task) -> int:
        ref = len(self.tasks)
        self.tasks[ref] = task
        self.running.append(ref)
        self.most = max(self.most, len(self.running))
        return ref

    def wait(
        self, refs: list[int], num_returns: int, timeout: float | None = None
    ) -> tuple[list[int], list[int]]:
        if timeout == 0:
            return [], refs
        done = min(refs)
        self.running.remove(done)
        return [done], [r for r in refs if r != done]

    def get(self, ref: int) -> CompanyResult:
        task = self.tasks[ref]
        if task.company in self.crash:
            raise RuntimeError("WorkerCrashedError: the worker died")
        return CompanyResult(company=task.company, name=task.name, status="ok")

    def cancel(self, ref: int) -> None:
        self.running.remove(ref)


def _task(company: str) -> Task:
    return Task(company=company, today=TODAY.isoformat(), name=company)


@pytest.mark.parametrize("slots", [1, 2, 3])
def test_the_engine_keeps_its_slots_and_reports_a_lost_worker(slots: int) -> None:
    fake = _FakeRay(crash={"c4"})
    known = CompanyResult(company="nowhere", name="nowhere", status="failed", error="unknown company")
    jobs = [known, *(_task(f"c{i}") for i in range(8))]
    results = list(_stream(fake, fake, jobs, slots))
    assert [r.company for r in results] == ["nowhere", *(f"c{i}" for i in range(8))]  # each once
    assert fake.most == slots and not fake.running  # never more tasks at once than slots, none left
    lost = next(r for r in results if r.company == "c4")
    assert lost.status == "failed" and lost.error.startswith("worker crashed: RuntimeError")
    assert {r.status for r in results if r.company not in ("c4", "nowhere")} == {"ok"}


def test_a_stopped_run_cancels_its_tasks() -> None:
    fake = _FakeRay(crash=set())
    stream = _stream(fake, fake, [_task(f"c{i}") for i in range(6)], 2)
    assert next(stream).company == "c0"
    stream.close()  # the driver stops early (an error, Ctrl-C)
    assert not fake.running
