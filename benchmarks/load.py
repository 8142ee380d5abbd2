#!/usr/bin/env python
"""Load test of the REST API: concurrent clients against a real uvicorn server on 127.0.0.1.

    .venv/bin/python benchmarks/load.py                              # fake LLM, 20 clients, 60 s
    .venv/bin/python benchmarks/load.py --llm llamacpp --duration 60 # the embedded model (and real embeddings)
    .venv/bin/python benchmarks/load.py --quick                      # smoke run (~10 s): fake LLM, 5 clients, 3 s;
                                                                     # prints the report, writes nothing
    .venv/bin/python benchmarks/load.py --workers 2                  # `assistant serve --workers 2` over a Chroma
                                                                     # server (`chroma run`); --quick works too

The server runs in a child process (``load.py _serve``) over a fresh store of the sample ``corpus/`` (fake
embeddings with the fake LLM; the default ``use-multilingual`` encoder with ``--llm llamacpp``), with a
users file (an rm with two companies, an analyst, an admin, an API token; bcrypt cost 12). One warm-up
question loads the model first (timed apart). Then, for ``--duration`` seconds, closed-loop clients
(each sends its next request when the last one is answered):

- ask clients (``--ask-clients``, default 5): questions of ``corpus/_questions.jsonl``, alternating
  ``POST /api/ask`` and ``POST /api/ask/stream`` (one conversation per client);
- one writer: upload a small note (``POST /api/documents``), list the company's documents, delete it;
- read clients (the rest): ``POST /api/search`` (half), ``GET /api/companies``, ``/api/documents``,
  ``/api/queue``, ``/api/me``.

With ``--workers N`` (N > 1) the store is on a Chroma server instead: ``chroma run --path TMP --port P`` in a
child process of its own (a free port, its own temporary data directory), the corpus ingested against it (the
ledger and the keyword index stay in the local store directory, as the app keeps them), and the server is
``assistant serve --workers N`` (the CLI's own code: uvicorn's worker processes, the fake LLM; only the fake
LLM, the embedded model is one copy per worker). The audit check then covers every worker: one hash-chained
log, one entry per request whichever process served it (the entries each worker wrote are reported). uvicorn's
workers take turns accepting connections, and a kept-alive connection stays with its worker (one worker could
get all 20): with workers each client asks for a new connection every 25 requests (``--reconnect-every``).
The CPU and memory figures of the server include its worker processes; the Chroma server's are counted as
ours for the CPU and reported apart for memory.

Half the clients sign in with HTTP Basic, half with a Bearer token. Requests still running at the end are
waited for (the drain, reported). Recorded: errors (any non-2xx, exception, or stream without an answer),
latency p50/p95/p99/max per kind, throughput, the stream's time to its first event and first token, the
queue positions seen, the server's RSS every second (slope over the second half: flat or not), load
averages and the CPU other processes used, and whether the audit log holds one entry per request with
an intact hash chain. Writes ``benchmarks/results/load_<date>[_llamacpp][_workersN][_tag].json`` and
``.md``. With ``--quick`` also fails when the audit log does not hold one entry per request or its chain is
broken, or when a kind of client sent nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from common import (
    BENCH_DIR,
    OUT_HELP,
    QUICK_HELP,
    Json,
    contention_warning,
    fmt_n,
    print_unwritten,
    quick_failures,
    results_dir,
    rnd,
)

ROOT = BENCH_DIR.parent
PASSWORD = "load-test-password"
READ_MIX = [("search", 0.5), ("companies", 0.15), ("documents", 0.15), ("queue", 0.1), ("me", 0.1)]


# ---- the server (child process) -------------------------------------------------------------------
def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="load.py _serve")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--users", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--llm", default="fake")
    parser.add_argument("--embeddings", default="fake")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    import uvicorn

    import assistant  # noqa: F401 - offline environment first
    from assistant.core.services import Services
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import ingest_paths
    from assistant.serve.api import build_api
    from assistant.serve.auth import load_auth_config

    # the store backend and the Chroma server (--workers > 1): from the environment the parent set
    settings = Settings(store=args.store, llm_backend=args.llm, embedding_backend=args.embeddings)
    services = Services(settings)
    t0 = time.perf_counter()
    report = ingest_paths([ROOT / "corpus"], services.store, settings)
    print(
        json.dumps({"ingest_s": round(time.perf_counter() - t0, 2), "files": len(report.files)}), flush=True
    )
    if args.workers > 1:  # `assistant serve --workers N`, the CLI's own code, over the store just built
        from assistant.cli.main import main as cli

        del services, report
        return cli(
            ["--store", str(args.store), "--llm", args.llm, "--embeddings", args.embeddings, "serve",
             "--port", str(args.port), "--auth-config", str(args.users), "--workers", str(args.workers)]
        )  # fmt: skip
    app = build_api(services, load_auth_config(args.users), ui=False)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


def start_server(
    work: Path, port: int, llm: str, embeddings: str, workers: int = 1, chroma_port: int | None = None
) -> tuple[subprocess.Popen[bytes], Any]:
    """``load.py _serve`` in a child process: the sample corpus in ``work/store``, the users of
    ``work/users.toml``; its output in ``work/server.log`` (the open log is returned with it). With
    ``chroma_port`` the store is on the Chroma server there; ``workers`` > 1 serves with that many processes."""
    log = (work / "server.log").open("w")
    env = dict(os.environ)
    if chroma_port is not None:
        env.update(
            ASSISTANT_STORE_BACKEND="chroma-http",
            ASSISTANT_CHROMA_HOST="127.0.0.1",
            ASSISTANT_CHROMA_PORT=str(chroma_port),
        )
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "_serve", "--store", str(work / "store"),
         "--users", str(work / "users.toml"), "--port", str(port), "--llm", llm, "--embeddings", embeddings,
         "--workers", str(workers)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
    )  # fmt: skip
    return server, log


def start_chroma(work: Path, limit_s: float = 60) -> tuple[subprocess.Popen[bytes], int]:
    """``chroma run`` on a free port over ``work/chroma-data`` (its output in ``work/chroma.log``), ready when
    its heartbeat answers; SystemExit when it cannot start."""
    beside = Path(sys.executable).parent / "chroma"
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        raise SystemExit("the `chroma` command is not installed (it comes with the chromadb package)")
    port = _free_port()
    with (work / "chroma.log").open("wb") as log:
        process = subprocess.Popen(
            [exe, "run", "--path", str(work / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    deadline = time.time() + limit_s
    while time.time() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_process(process)
    tail = (work / "chroma.log").read_text(errors="replace")[-600:]
    raise SystemExit(f"`chroma run` did not start (see {work / 'chroma.log'}): {tail}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(base: str, server: subprocess.Popen[bytes], work: Path, limit_s: float = 600) -> None:
    """Until the server answers /api/health; RuntimeError when it exits or does not answer in time."""
    deadline = time.time() + limit_s
    while True:
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"the server did not start; see {work / 'server.log'}")
        time.sleep(0.3)


def stop_server(server: subprocess.Popen[bytes], log: Any) -> None:
    stop_process(server)
    log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _users_file(path: Path, companies: list[str]) -> tuple[str, list[str]]:
    from assistant.serve.auth import hash_password, new_token

    hashed = hash_password(PASSWORD)
    token, digest = new_token()
    rm_portfolio = companies[:2]
    listed = ", ".join(json.dumps(c, ensure_ascii=False) for c in rm_portfolio)
    path.write_text(
        f'[users.rm1]\nrole = "rm"\nportfolio = [{listed}]\npassword_hash = "{hashed}"\n\n'
        f'[users.analyst1]\nrole = "analyst"\nportfolio = "*"\npassword_hash = "{hashed}"\n\n'
        f'[users.admin1]\nrole = "admin"\npassword_hash = "{hashed}"\n\n'
        f'[tokens.loadbot]\nrole = "analyst"\nportfolio = "*"\nsha256 = "{digest}"\n',
        encoding="utf-8",
    )
    return token, rm_portfolio


def _basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}


# ---- measuring -------------------------------------------------------------------------------------
class Cpu:
    """CPU seconds used by other processes than the server and this one (cores, over the interval)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = self._sample()

    def _own(self) -> float:
        """CPU seconds of ``pids`` and their live descendants (the server's worker processes)."""
        total = 0.0
        for pid in self.pids:
            try:
                proc = psutil.Process(pid)
                family = [proc, *proc.children(recursive=True)] if pid != os.getpid() else [proc]
            except psutil.Error:
                continue
            for p in family:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
        return total

    def _sample(self) -> tuple[float, float, float]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")
        return time.perf_counter(), busy, self._own()

    def read(self) -> dict[str, float]:
        (w0, b0, o0), (w1, b1, o1) = self.start, self._sample()
        wall = max(w1 - w0, 1e-9)
        return {
            "ours_cores": round((o1 - o0) / wall, 2),
            "other_cores": round(max(0.0, (b1 - b0) - (o1 - o0)) / wall, 2),
        }


def _rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 1e6, 1)


def _workers(pid: int) -> int:
    """uvicorn's worker processes under ``pid`` (spawned by multiprocessing; not its resource tracker)."""
    found = 0
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            found += "spawn_main" in " ".join(child.cmdline())
    return found


def _audit_by_worker(path: Path) -> dict[str, int]:
    """Audit entries by the worker process (its pid) that wrote them: the one chain holds every worker's."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT json_extract(details, '$.worker'), COUNT(*) FROM audit GROUP BY 1 ORDER BY 1"
            ).fetchall()
    except sqlite3.Error as exc:
        return {f"unreadable: {exc}": 0}
    return {str(worker): count for worker, count in rows}


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares MB per minute."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    den = sum((t - mx) ** 2 for t, _ in points)
    return round(sum((t - mx) * (v - my) for t, v in points) / den * 60, 2) if den else None


# ---- clients ---------------------------------------------------------------------------------------
class Run:
    def __init__(
        self,
        base: str,
        duration: float,
        questions: list[dict[str, Any]],
        creds: list[dict[str, str]],
        rm_portfolio: list[str],
        timeout: float,
        reconnect_every: int = 0,
    ) -> None:
        self.base, self.duration, self.questions, self.creds = base, duration, questions, creds
        self.rm_portfolio = rm_portfolio
        self.timeout = timeout
        self.reconnect_every = reconnect_every
        self._sent: dict[int, int] = {}
        self.records: list[dict[str, Any]] = []
        self.t0 = 0.0
        self.stop_at = 0.0

    def record(self, kind: str, started: float, status: int | None, ok: bool, **extra: Any) -> None:
        self.records.append(
            {
                "kind": kind,
                "t": round(started - self.t0, 3),
                "latency_s": round(time.perf_counter() - started, 4),
                "status": status,
                "ok": ok,
                **extra,
            }
        )

    def closing(self, client: httpx.AsyncClient) -> dict[str, str]:
        """Headers of the client's next request: every ``reconnect_every``-th asks the server to close the
        connection, so the next one is accepted anew (by whichever worker process accepts it)."""
        n = self._sent[id(client)] = self._sent.get(id(client), 0) + 1
        return {"Connection": "close"} if self.reconnect_every and n % self.reconnect_every == 0 else {}

    async def call(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, **kw: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = await client.request(method, path, headers=self.closing(client), **kw)
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            self.record(kind, started, None, False, error=f"{type(exc).__name__}: {exc}")
            return None
        self.record(
            kind, started, r.status_code, r.is_success, **({} if r.is_success else {"error": r.text[:200]})
        )
        return r

    def questions_for(self, headers: dict[str, str]) -> list[dict[str, Any]]:
        if headers == self.creds[0]:  # rm1: only the portfolio's questions
            return [q for q in self.questions if q.get("company") in self.rm_portfolio] or self.questions
        return self.questions

    async def asker(self, n: int, headers: dict[str, str]) -> None:
        rng = random.Random(n)
        pool = self.questions_for(headers)
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=self.timeout) as client:
            i = 0
            while time.perf_counter() < self.stop_at:
                q = rng.choice(pool)
                body = {"question": q["question"], "session_id": f"load-{n}"}
                if i % 2 == 0:
                    r = await self.call(client, "ask", "POST", "/api/ask", json=body)
                    if r is not None and r.is_success:
                        self.records[-1]["path"] = r.json().get("path")
                else:
                    await self.stream(client, body)
                i += 1

    async def stream(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        started = time.perf_counter()
        first_event = first_token = None
        positions: list[int] = []
        answer = None
        try:
            async with client.stream("POST", "/api/ask/stream", json=body, headers=self.closing(client)) as r:
                if not r.is_success:
                    await r.aread()
                    self.record("ask_stream", started, r.status_code, False, error=r.text[:200])
                    return
                async for line in r.aiter_lines():
                    if not line:
                        continue
                    event = json.loads(line)
                    if first_event is None:
                        first_event = time.perf_counter() - started
                    if event["kind"] == "queue":
                        positions.append(event["position"])
                    elif event["kind"] == "token" and first_token is None:
                        first_token = time.perf_counter() - started
                    elif event["kind"] == "answer":
                        answer = event["answer"]
                    elif event["kind"] == "error":
                        self.record("ask_stream", started, r.status_code, False, error=event.get("detail"))
                        return
        except Exception as exc:  # noqa: BLE001
            self.record("ask_stream", started, None, False, error=f"{type(exc).__name__}: {exc}")
            return
        self.record(
            "ask_stream",
            started,
            200,
            answer is not None,
            first_event_s=rnd(first_event, 4),
            first_token_s=rnd(first_token, 4),
            queue_positions=positions,
            path=answer.get("path") if answer else None,
            **({} if answer else {"error": "no answer event"}),
        )

    async def reader(self, n: int, headers: dict[str, str]) -> None:
        rng = random.Random(1000 + n)
        pool = self.questions_for(headers)
        kinds, weights = zip(*READ_MIX, strict=True)
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=self.timeout) as client:
            while time.perf_counter() < self.stop_at:
                kind = rng.choices(kinds, weights)[0]
                if kind == "search":
                    await self.call(
                        client,
                        "search",
                        "POST",
                        "/api/search",
                        json={"query": rng.choice(pool)["question"], "k": 5},
                    )
                elif kind == "companies":
                    await self.call(client, "companies", "GET", "/api/companies")
                elif kind == "documents":
                    await self.call(client, "documents", "GET", "/api/documents")
                else:
                    await self.call(client, kind, "GET", f"/api/{kind}")

    async def writer(self, headers: dict[str, str], company: str) -> None:
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=self.timeout) as client:
            i = 0
            while time.perf_counter() < self.stop_at:
                name = f"load_note_{i:05d}.txt"
                text = (
                    f"{company} visit note {i}: the client reported steady orders and {i % 97} new customers "
                    "in 2024.\n"
                )
                r = await self.call(
                    client,
                    "upload",
                    "POST",
                    "/api/documents",
                    data={"company": company},
                    files={"file": (name, text.encode(), "text/plain")},
                )
                if r is not None and r.is_success:
                    await self.call(client, "documents", "GET", "/api/documents", params={"company": company})
                    await self.call(client, "delete", "DELETE", f"/api/documents/{company}/{name}")
                i += 1


async def run_clients(
    run: Run, clients: int, ask_clients: int, writer_company: str, analyst: dict[str, str]
) -> float:
    run.t0 = time.perf_counter()
    run.stop_at = run.t0 + run.duration
    tasks = []
    for n in range(clients):
        headers = run.creds[n % len(run.creds)]
        if n < ask_clients:
            tasks.append(run.asker(n, headers))
        elif n == ask_clients:
            tasks.append(run.writer(analyst, writer_company))
        else:
            tasks.append(run.reader(n, headers))
    await asyncio.gather(*tasks)
    return time.perf_counter() - run.stop_at  # the drain: requests that were in flight at the end


# ---- report --------------------------------------------------------------------------------------
def summarise(records: list[dict[str, Any]], window: float) -> Json:
    kinds = sorted({r["kind"] for r in records})
    out: Json = {}
    for kind in ["all", *kinds]:
        rows = [r for r in records if kind == "all" or r["kind"] == kind]
        lat = [r["latency_s"] for r in rows if r["ok"]]
        out[kind] = {
            "requests": len(rows),
            "errors": sum(1 for r in rows if not r["ok"]),
            "per_s": round(len(rows) / window, 2),
            "p50_s": rnd(_pct(lat, 0.5), 4),
            "p95_s": rnd(_pct(lat, 0.95), 4),
            "p99_s": rnd(_pct(lat, 0.99), 4),
            "max_s": rnd(max(lat), 4) if lat else None,
        }
    streams = [r for r in records if r["kind"] == "ask_stream" and r["ok"]]
    if streams:
        out["ask_stream"]["first_event_p50_s"] = rnd(_pct([r["first_event_s"] for r in streams], 0.5), 4)
        out["ask_stream"]["first_event_p95_s"] = rnd(_pct([r["first_event_s"] for r in streams], 0.95), 4)
        tokens = [r["first_token_s"] for r in streams if r.get("first_token_s") is not None]
        out["ask_stream"]["first_token_p50_s"] = rnd(_pct(tokens, 0.5), 4)
        out["ask_stream"]["max_queue_position"] = max(
            (max(r["queue_positions"] or [0]) for r in streams), default=0
        )
    paths: dict[str, int] = {}
    for r in records:
        if r["kind"] in ("ask", "ask_stream") and r.get("path"):
            paths[r["path"]] = paths.get(r["path"], 0) + 1
    out["answer_paths"] = paths
    return out


def timeline(records: list[dict[str, Any]], duration: float, step: float = 10.0) -> list[Json]:
    """Requests started in each ``step`` seconds: count, errors, req/s, p50/p95 latency (steady or not)."""
    out = []
    t = 0.0
    while t < duration:
        rows = [r for r in records if t <= r["t"] < t + step]
        lat = [r["latency_s"] for r in rows if r["ok"]]
        out.append(
            {
                "from_s": t,
                "requests": len(rows),
                "errors": sum(1 for r in rows if not r["ok"]),
                "per_s": round(len(rows) / step, 1),
                "p50_s": rnd(_pct(lat, 0.5), 4),
                "p95_s": rnd(_pct(lat, 0.95), 4),
            }
        )
        t += step
    return out


def render(res: Json) -> str:
    s, m, mem, cpu = res["summary"], res["machine"], res["rss"], res["sections"]["load"]
    workers = res.get("workers", 1)
    if workers > 1:
        cr = res["chroma_rss"]
        server_line = (
            f"`assistant serve --workers {workers}` ({res['worker_processes_seen']} worker processes seen at the "
            "start) over a store on a Chroma server "
            f"(`chroma run` on 127.0.0.1, started in {res['chroma_start_s']} s; the ledger and keyword index in "
            f"the local store directory). Chroma server RSS {cr['start_mb']} → {cr['end_mb']} MB "
            f"(max {cr['max_mb']}). Reads the Chroma server failed with HTTP 500 (a read racing a write, its "
            f"own worker's or the other's: \"Error finding id\") and the store sent again: {res['chroma_500s']}."
        )
    else:
        server_line = "One uvicorn process over an embedded store."
    whose = " (all processes of the server)" if workers > 1 else ""
    lines = [
        f"# API load test — {res['date']} ({res['llm']} LLM, {res['embeddings']} embeddings"
        + (f", {workers} workers, Chroma server" if workers > 1 else "")
        + ")"
        + (" (quick smoke run)" if res.get("quick") else ""),
        "",
        f"{res['clients']} concurrent clients for {res['duration_s']} s against uvicorn on 127.0.0.1 "
        f"({res['ask_clients']} ask clients, 1 writer, {res['clients'] - res['ask_clients'] - 1} readers; "
        "half HTTP Basic, half Bearer token"
        + (
            f"; each client asks for a new connection every {res['reconnect_every']} requests"
            if res.get("reconnect_every")
            else ""
        )
        + "). Command: `"
        + res["command"]
        + "`.",
        "",
        server_line,
        "",
        *contention_warning(res),
        f"**{s['all']['requests']} requests, {s['all']['errors']} errors**, {s['all']['per_s']} requests/s overall; "
        f"drain after the deadline {res['drain_s']} s. Server RSS {mem['start_mb']} → {mem['end_mb']} MB "
        f"(max {mem['max_mb']}; slope over the second half {mem['slope_mb_per_min_second_half']} MB/min: "
        f"{'flat' if mem['flat'] else 'NOT flat'}){whose}. Audit: {res['audit']['entries_added']} entries for "
        f"{res['audit']['requests_sent']} requests, chain {'intact' if res['audit']['chain_ok'] else 'BROKEN'}"
        + (
            " (entries of the whole log by the worker that wrote them: "
            + ", ".join(f"{w}: {n}" for w, n in res["audit"]["entries_by_worker"].items())
            + ")"
            if "entries_by_worker" in res["audit"]
            else ""
        )
        + ".",
        "",
        "| kind | requests | errors | req/s | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, v in s.items():
        if kind == "answer_paths":
            continue
        lines.append(
            f"| {kind} | {v['requests']} | {v['errors']} | {v['per_s']} | {fmt_n(v['p50_s'], 3)} s | "
            f"{fmt_n(v['p95_s'], 3)} s | {fmt_n(v['p99_s'], 3)} s | {fmt_n(v['max_s'], 3)} s |"
        )
    st = s.get("ask_stream", {})
    lines += [
        "",
        f"Streams: first event (the queue position) p50 {fmt_n(st.get('first_event_p50_s'), 3)} s, p95 "
        f"{fmt_n(st.get('first_event_p95_s'), 3)} s; first token p50 {fmt_n(st.get('first_token_p50_s'), 3)} s; "
        f"largest queue position seen {st.get('max_queue_position')}. Answer paths: {s['answer_paths']}.",
        f"Warm-up question (loads the model): {res['warmup_s']} s, then one search per credential (bcrypt checks and "
        f"caches) before the clock starts. Server start with corpus ingest: {res['server_start_s']} s.",
        "",
        "## Over time (requests started in each 10 s)",
        "",
        "| from (s) | requests | errors | req/s | p50 | p95 |",
        "|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {w['from_s']:g} | {w['requests']} | {w['errors']} | {w['per_s']} | {fmt_n(w['p50_s'], 3)} s | "
            f"{fmt_n(w['p95_s'], 3)} s |"
            for w in res["timeline"]
        ],
        "",
        "## Server memory (RSS, MB)",
        "",
        "| t (s) | " + " | ".join(str(t) for t, _ in mem["every_5s"]) + " |",
        "|---|" + "---:|" * len(mem["every_5s"]),
        "| RSS | " + " | ".join(str(v) for _, v in mem["every_5s"]) + " |",
        "",
        "## Machine",
        "",
        f"{m['nproc']} cores, {m['memory_gib']} GiB, Python {m['python']}. Load average at start {m['loadavg_start']}, "
        f"at end {m['loadavg_end']}. During the run the server and the clients used {cpu['ours_cores']} cores, "
        f"other processes {cpu['other_cores_during']}.",
    ]
    if res["errors_sample"]:
        lines += ["", "## Errors (first 10)", "", *[f"- {e}" for e in res["errors_sample"]]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:
        return serve_main(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help=QUICK_HELP + " (defaults: 5 clients, 2 of them asking, for 3 s)"
    )
    parser.add_argument("--llm", choices=["fake", "llamacpp"], default="fake")
    parser.add_argument(
        "--clients", type=int, default=None, help="concurrent clients (default 20, --quick 5)"
    )
    parser.add_argument("--ask-clients", type=int, default=None, help="of them asking (default 5, --quick 2)")
    parser.add_argument("--duration", type=float, default=None, help="seconds (default 60, --quick 3)")
    parser.add_argument("--out", type=Path, default=None, help=OUT_HELP)
    parser.add_argument("--tag", default="", help="added to the file names (e.g. soak)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes (default 1: one process over an embedded store). More than 1: `assistant serve "
        "--workers N` over a Chroma server (`chroma run`, started here); fake LLM only",
    )
    parser.add_argument(
        "--reconnect-every",
        type=int,
        default=None,
        metavar="N",
        help="each client asks the server to close its connection every N requests (default: never with one "
        "worker; 25 with --workers > 1, so that connections are spread over the workers: uvicorn's workers take "
        "turns accepting connections, not requests, and a kept-alive connection stays with its worker)",
    )
    args = parser.parse_args(argv)
    if args.reconnect_every is None:
        args.reconnect_every = 25 if args.workers > 1 else 0
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.workers > 1 and args.llm != "fake":
        parser.error(
            "--workers > 1 runs the fake LLM only (the embedded model would be loaded once per worker)"
        )
    for name, full, quick in (("clients", 20, 5), ("ask_clients", 5, 2), ("duration", 60.0, 3.0)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    out_dir = results_dir(args.out, args.quick)
    embeddings = "fake" if args.llm == "fake" else "use-multilingual"
    questions = [
        json.loads(x)
        for x in (ROOT / "corpus" / "_questions.jsonl").read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    questions = [q for q in questions if q.get("company")]
    companies = sorted({q["company"] for q in questions})
    work = Path(tempfile.mkdtemp(prefix="assistant-load-"))
    token, rm_portfolio = _users_file(work / "users.toml", companies)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    machine = {
        "nproc": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    chroma: subprocess.Popen[bytes] | None = None
    chroma_port: int | None = None
    chroma_start: float | None = None
    chroma_500s = 0
    by_worker: dict[str, int] = {}
    if args.workers > 1:
        t_start = time.perf_counter()
        chroma, chroma_port = start_chroma(work)
        chroma_start = round(time.perf_counter() - t_start, 1)
    t_start = time.perf_counter()
    server, log = start_server(work, port, args.llm, embeddings, args.workers, chroma_port)
    admin = _basic("admin1")
    finished = False
    try:
        try:
            wait_ready(base, server, work)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        server_start = round(time.perf_counter() - t_start, 1)
        t = time.perf_counter()
        warm = httpx.post(
            base + "/api/ask", headers=admin, json={"question": questions[0]["question"]}, timeout=600
        )
        warmup = round(time.perf_counter() - t, 2)
        if not warm.is_success:
            raise SystemExit(f"warm-up question failed: {warm.status_code} {warm.text[:300]}")
        creds = [
            _basic("rm1"),
            {"Authorization": f"Bearer {token}"},
            _basic("analyst1"),
            {"Authorization": f"Bearer {token}"},
        ]
        # each password's bcrypt check once, and the search caches, before the clock starts; with workers,
        # a few times over new connections so that each process is likely to have seen each credential
        for headers in creds * (2 * args.workers if args.workers > 1 else 1):
            httpx.post(
                base + "/api/search", headers=headers, json={"query": questions[0]["question"]}, timeout=120
            )
        audit_before = httpx.get(base + "/api/audit/verify", headers=admin, timeout=60).json()["entries"]
        run = Run(base, args.duration, questions, creds, rm_portfolio, 1800, args.reconnect_every)
        rss: list[tuple[float, float]] = []
        chroma_rss: list[tuple[float, float]] = []
        cpu = Cpu([server.pid, os.getpid(), *([chroma.pid] if chroma else [])])
        workers_seen = _workers(server.pid)

        async def sample() -> None:
            while True:
                rss.append((round(time.perf_counter() - run.t0, 1), _rss_mb(server.pid)))
                if chroma is not None:
                    chroma_rss.append((rss[-1][0], _rss_mb(chroma.pid)))
                await asyncio.sleep(1.0)

        async def both() -> float:
            sampler = asyncio.create_task(sample())
            try:
                return await run_clients(
                    run, args.clients, args.ask_clients, companies[0], _basic("analyst1")
                )
            finally:
                sampler.cancel()

        print(
            f"{args.clients} clients for {args.duration:g} s against {base} ({args.llm} LLM"
            + (f", {args.workers} workers, Chroma server on port {chroma_port}" if chroma else "")
            + ") …",
            flush=True,
        )
        drain = asyncio.run(both())
        usage = cpu.read()
        verify = httpx.get(base + "/api/audit/verify", headers=admin, timeout=120).json()
        finished = True
    finally:
        stop_server(server, log)
        if chroma is not None:
            stop_process(chroma)
            # reads the server failed (HTTP 500, "Error finding id": raced a write) and the store sent again
            # (assistant.store.remote.guard_session): the clients never see them
            chroma_500s = (work / "chroma.log").read_text(errors="replace").count("Status code: 500")
            by_worker = _audit_by_worker(work / "store" / "audit.sqlite3")
        if args.quick:  # nothing is kept: show the server's last words when the run failed
            if not finished:
                for name in ("server.log", "chroma.log"):
                    if (work / name).exists():
                        tail = (work / name).read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
                        print(f"{name} (last lines):\n" + "\n".join(tail), file=sys.stderr)
            shutil.rmtree(work, ignore_errors=True)
    window = args.duration + max(0.0, drain)
    records = run.records
    second_half = [(t, v) for t, v in rss if t >= args.duration / 2]
    slope = _slope(second_half)
    first_half_max = max((v for t, v in rss if t < args.duration / 2), default=0.0)
    machine["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    date = dt.date.today().isoformat()
    res: Json = {
        "date": date,
        **({"quick": True} if args.quick else {}),
        "command": "python benchmarks/load.py " + " ".join(argv),
        "llm": args.llm,
        "embeddings": embeddings,
        "workers": args.workers,
        "reconnect_every": args.reconnect_every,
        "store_backend": "chroma-http" if chroma is not None else "chroma",
        **(
            {
                "worker_processes_seen": workers_seen,
                "chroma_start_s": chroma_start,
                "chroma_500s": chroma_500s,
                "chroma_rss": {
                    "start_mb": chroma_rss[0][1] if chroma_rss else None,
                    "end_mb": chroma_rss[-1][1] if chroma_rss else None,
                    "max_mb": max(v for _, v in chroma_rss) if chroma_rss else None,
                },
            }
            if chroma is not None
            else {}
        ),
        "clients": args.clients,
        "ask_clients": args.ask_clients,
        "duration_s": args.duration,
        "drain_s": round(drain, 2),
        "server_start_s": server_start,
        "warmup_s": warmup,
        "summary": summarise(records, window),
        "rss": {
            "start_mb": rss[0][1] if rss else None,
            "end_mb": rss[-1][1] if rss else None,
            "max_mb": max(v for _, v in rss) if rss else None,
            "slope_mb_per_min_second_half": slope,
            "flat": slope is not None
            and abs(slope) < 5.0
            and (rss[-1][1] <= first_half_max * 1.05 if rss else False),
            "every_5s": [
                min(rss, key=lambda p, k=k: abs(p[0] - k)) for k in range(0, int(args.duration) + 1, 5)
            ]
            if rss
            else [],
            "samples": rss,
        },
        "audit": {
            "requests_sent": len(records),
            "entries_added": verify["entries"] - audit_before - 1,
            "chain_ok": verify["ok"],
            **({"entries_by_worker": by_worker} if args.workers > 1 else {}),
        },
        "machine": machine,
        "sections": {"load": {"other_cores_during": usage["other_cores"], "ours_cores": usage["ours_cores"]}},
        "timeline": timeline(records, args.duration),
        "errors_sample": [f"{r['kind']} {r['status']}: {r.get('error')}" for r in records if not r["ok"]][
            :10
        ],
        "failed_requests": [r for r in records if not r["ok"]][:100],
        "asks": [r for r in records if r["kind"] in ("ask", "ask_stream")][:50],
    }
    if out_dir is None:
        print(render(res))
        print_unwritten(res, "--out")
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = (
            f"load_{date}"
            + ("" if args.llm == "fake" else f"_{args.llm}")
            + (f"_workers{args.workers}" if args.workers > 1 else "")
            + (f"_{args.tag}" if args.tag else "")
        )
        (out_dir / f"{stem}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        (out_dir / f"{stem}.md").write_text(render(res), encoding="utf-8")
        print(render(res))
        print(f"wrote {out_dir / (stem + '.json')} and .md", flush=True)
    if args.quick and quick_failures(quick_checks(res)):
        return 1
    return 0 if res["summary"]["all"]["errors"] == 0 else 1


def quick_checks(res: Json) -> dict[str, bool]:
    """What a smoke run must show: no error, every kind of client served, one audit entry per request in an
    intact chain."""
    s, audit = res["summary"], res["audit"]
    checks = {"no request failed": s["all"]["errors"] == 0}
    for kind in ("ask", "ask_stream", "upload", "delete"):
        checks[f"{kind}: requests served"] = s.get(kind, {}).get("requests", 0) > 0
    checks["readers: requests served"] = any(s.get(k, {}).get("requests", 0) > 0 for k, _ in READ_MIX)
    checks["audit: one entry per request"] = audit["entries_added"] == audit["requests_sent"]
    checks["audit: hash chain intact"] = bool(audit["chain_ok"])
    return checks


if __name__ == "__main__":
    sys.exit(main())
