#!/usr/bin/env python
"""Security benchmark: what the web app's gate (``assistant.serve.webgate.WebGate``) costs per request, and how much
the sign-in back-off (``assistant.serve.auth.SignIns``) slows down a password guesser.

    .venv/bin/python benchmarks/security.py            # ~3-4 min on 2 cores
    .venv/bin/python benchmarks/security.py --quick    # smoke run (~20 s): 2 calls, 1 s attacks, bursts of 8;
                                                       # prints the report, writes nothing

The server runs in a child process (``security.py _serve``, like ``load.py``: client and server do not share
a GIL), over a small store (one Acme note, one 星河科技 news item; fake LLM, fake embeddings) and a users
file with bcrypt cost 12 (the default of ``python -m assistant.serve.auth hash-password``). It serves two apps,
each on its own port (uvicorn in a thread each; only one is exercised at a time):

- **gate on**: ``build_api(services, auth)`` as ``assistant serve`` runs it (``/api`` behind ``Gate``, the web
  app at ``/ui`` behind ``WebGate``);
- **gate off** (the baseline): a bare FastAPI app with the same Blocks (``web.build_app`` with the same
  ``WebAccess`` and ``Portal``, so the handlers audit their actions as in the real app), the same
  ``queue(default_concurrency_limit=1, api_open=False)`` and ``gr.mount_gradio_app`` arguments and the same
  login function, but no ``WebGate``.

1. **Gate overhead**: one signed-in user (an rm with Acme) per app speaks Gradio's queue protocol over httpx
   as a browser does: ``POST /ui/gradio_api/queue/join`` then ``GET /ui/gradio_api/queue/data`` until
   ``process_completed``. Timed: the whole round trip of ``list_documents("Acme")`` and ``profile("Acme")``,
   N sequential calls each, and ``GET /ui/config`` (a static request), N each, both apps interleaved in
   blocks of 25 (alternating which goes first) after a warm-up. Also counted: audit rows per round trip (the
   gate writes two: ``ui_event`` and ``ui_subscribe``) and the cost of one ``AuditLog.record`` (SQLite insert
   with the hash chain) in a scratch log.
2. **Sign-in back-off**: an attacker guesses passwords of one user name (``victim``) from one address with a
   real HTTP client loop (``GET /api/me``, HTTP Basic, a new wrong password per checked guess): a 401 is a
   guess that was checked (bcrypt), a 429 a refused one. Runs, each with fresh back-off state: back-off on —
   1 client that sleeps Retry-After seconds after a 429 and then retries at once; 1 client that ignores
   Retry-After and retries at once; ``--concurrent`` clients that honour it; ``--burst`` guesses sent at once
   against the one name; ``--burst`` guesses sent at once for as many different (unknown) names from the one
   address (password spraying) — and back-off off (the same server with ``ctx.sign_ins.users``/``addresses``
   replaced by ``Throttle(free=10**9)`` through the child's stdin): 1 client, ``--concurrent`` clients. Audit
   rows written by each run are counted. A model (the real ``Throttle`` with a simulated clock and the
   measured check and refusal times) gives the long-run rate and the time of a 10,000-word dictionary, and is
   checked against the measured first window. Last, what a user meets once ~1,035 failures of their name are
   recorded (where ``Throttle.wait`` used to overflow a float).

Writes ``benchmarks/results/security_<date>.md`` and prints it. With ``--quick`` also fails when the back-off
does not hold: a burst at one name must meet refusals, runs with the back-off off must not, and a name with
~1,035 recorded failures must get 429 (another user 200).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from common import (
    BENCH_DIR,
    OUT_HELP,
    QUICK_HELP,
    CpuMonitor,
    IdleGate,
    Json,
    fmt_n,
    idle_budget,
    machine_info,
    now,
    print_unwritten,
    quick_failures,
    report_head,
    results_dir,
    rnd,
)

import assistant  # noqa: F401 - sets the offline environment variables before any model library loads

PASSWORD = "bench-security-pw-1"
BCRYPT_COST = 12
DICTIONARY = 10_000
BLOCK = 25
HANDLERS = (("list_documents", ["Acme"]), ("profile", ["Acme"]))
DOCS = {
    "Acme/notes.txt": "Acme Robotics Inc. was founded in 2015 in Austin.\nRevenue for fiscal 2023 was $12.4 million.\n",
    "星河科技/news.md": "# 星河科技\n2023年，公司实现营业收入8,652.30万元，同比增长31.2%。研发投入1,021.5万元。\n",
}


# ---- the server (child process) -------------------------------------------------------------------
def serve_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="security.py _serve")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--gate-port", type=int, required=True)
    parser.add_argument("--base-port", type=int, required=True)
    args = parser.parse_args(argv)
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI

    from assistant.core.services import Services
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import ingest_paths
    from assistant.serve import web
    from assistant.serve.api import WebAccess, build_api
    from assistant.serve.auth import load_auth_config
    from assistant.serve.throttle import SignIns, Throttle
    from assistant.serve.webgate import PREFIX, Owners

    docs = args.root / "docs"
    for rel, text in DOCS.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, encoding="utf-8")
    settings = Settings(
        store=args.root / "store", llm_backend="fake", embedding_backend="fake", min_relevance=0.05
    )
    services = Services(settings)
    ingest_paths([docs], services.store, settings)
    auth = load_auth_config(args.root / "users.toml")

    gated = build_api(services, auth)  # the real app: Gate on /api, WebGate on /ui
    ctx = gated.state.ctx

    baseline = FastAPI()  # the same Blocks, mounted the same way, without WebGate
    blocks = web.build_app(services, access=WebAccess(auth, ctx.audit, Owners()), portal=ctx.portal)
    blocks.queue(default_concurrency_limit=1, api_open=False)

    def login(username: str, password: str) -> bool:
        return auth.verify_password(username, password) is not None

    gr.mount_gradio_app(
        baseline,
        blocks,
        path=PREFIX,
        auth=login,
        css=getattr(web, "CSS", None),
        show_error=False,
        footer_links=[],
        max_file_size=ctx.uploads.max_bytes,
    )

    servers = [
        uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        for app, port in ((gated, args.gate_port), (baseline, args.base_port))
    ]
    threads = [threading.Thread(target=s.run, daemon=True) for s in servers]
    for t in threads:
        t.start()
    deadline = time.time() + 120
    while not all(s.started for s in servers):
        if time.time() > deadline:
            print(json.dumps({"error": "uvicorn did not start"}), flush=True)
            return 1
        time.sleep(0.05)
    print(json.dumps({"ready": True, "audit": str(ctx.audit.path)}), flush=True)
    for line in sys.stdin:  # the parent's commands
        command = line.strip()
        if command == "throttle on":  # fresh back-off state, the defaults
            fresh = SignIns()
            ctx.sign_ins.users, ctx.sign_ins.addresses = fresh.users, fresh.addresses
        elif command == "throttle off":
            ctx.sign_ins.users, ctx.sign_ins.addresses = Throttle(free=10**9), Throttle(free=10**9)
        elif command.startswith("overflow "):  # as after ~1,030 failed sign-ins of one name
            for _ in range(ctx.sign_ins.users.free + 1030):
                ctx.sign_ins.users.failed(command.split(" ", 1)[1])
        elif command == "quit":
            break
        print(json.dumps({"done": command}), flush=True)
    for s in servers:
        s.should_exit = True
    for t in threads:
        t.join(timeout=10)
    return 0


class Child:
    """The server process: start, send a command and wait for its acknowledgement, stop."""

    def __init__(self, root: Path) -> None:
        self.gate_port, self.base_port = _free_port(), _free_port()
        self.log = (root / "server.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "_serve",
                "--root",
                str(root),
                "--gate-port",
                str(self.gate_port),
                "--base-port",
                str(self.base_port),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            cwd=BENCH_DIR.parent,
        )
        self.root = root
        ready = self._line()
        if not ready.get("ready"):
            raise SystemExit(f"the server did not start ({ready}); see {root / 'server.log'}")
        self.audit_path = Path(ready["audit"])

    def _line(self) -> Json:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the server exited (code {self.proc.poll()}); see {self.root / 'server.log'}")
        out: Json = json.loads(line)
        return out

    def command(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        if self._line().get("done") != text:
            raise SystemExit(f"the server did not acknowledge {text!r}")

    def audit_rows(self) -> int:
        with sqlite3.connect(self.audit_path, timeout=30) as db:
            return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])

    def stop(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(15)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%h"],
            capture_output=True,
            text=True,
            cwd=BENCH_DIR.parent,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "assistant"],
            capture_output=True,
            text=True,
            cwd=BENCH_DIR.parent,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out + (" + uncommitted changes in assistant/" if dirty else "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _users_file(path: Path) -> None:
    from assistant.serve.auth import hash_password

    hashed = hash_password(PASSWORD, rounds=BCRYPT_COST)
    path.write_text(
        f'[users.rita]\nrole = "rm"\nportfolio = ["Acme"]\npassword_hash = "{hashed}"\n\n'
        f'[users.victim]\nrole = "rm"\nportfolio = ["Acme"]\npassword_hash = "{hashed}"\n',
        encoding="utf-8",
    )


# ---- 1. gate overhead -------------------------------------------------------------------------------
class Browser:
    """A signed-in web-app user speaking Gradio's queue protocol over HTTP (as tests/serve/test_security.py)."""

    def __init__(self, base: str, user: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        r = self.http.post("/ui/login", data={"username": user, "password": PASSWORD})
        if r.status_code != 200:
            raise SystemExit(f"{base}: sign-in failed: {r.status_code} {r.text[:200]}")
        self.session = secrets.token_hex(6)
        config = self.http.get("/ui/config").json()
        self.fns = {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}

    def call(self, api_name: str, data: list[Any]) -> tuple[float, Any]:
        """(seconds from queue/join to process_completed, the output)."""
        payload = {
            "data": data,
            "fn_index": self.fns[api_name],
            "session_hash": self.session,
            "event_data": None,
            "trigger_id": None,
        }
        t0 = now()
        joined = self.http.post("/ui/gradio_api/queue/join", json=payload)
        if joined.status_code != 200:
            raise RuntimeError(f"queue/join {api_name}: {joined.status_code} {joined.text[:200]}")
        with self.http.stream("GET", "/ui/gradio_api/queue/data", params={"session_hash": self.session}) as r:
            if r.status_code != 200:
                r.read()
                raise RuntimeError(f"queue/data {api_name}: {r.status_code} {r.text[:200]}")
            for line in r.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(f"{api_name} failed: {message}")
                    return now() - t0, message["output"]["data"]
                if message.get("msg") in ("close_stream", "unexpected_error"):
                    raise RuntimeError(f"{api_name}: {message}")
        raise RuntimeError(f"{api_name}: the stream ended without process_completed")

    def static(self) -> float:
        t0 = now()
        r = self.http.get("/ui/config")
        if r.status_code != 200:
            raise RuntimeError(f"GET /ui/config: {r.status_code}")
        return now() - t0


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _stats_ms(seconds: list[float]) -> Json:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": rnd(_pct(ms, 0.5), 2),
        "p95_ms": rnd(_pct(ms, 0.95), 2),
        "mean_ms": rnd(sum(ms) / len(ms), 2) if ms else None,
        "max_ms": rnd(max(ms), 2) if ms else None,
    }


def bench_gate(child: Child, n: int, warmup: int = 10) -> Json:
    apps = {"gate": f"http://127.0.0.1:{child.gate_port}", "baseline": f"http://127.0.0.1:{child.base_port}"}
    browsers = {name: Browser(url, "rita") for name, url in apps.items()}
    checks: Json = {}
    for name, b in browsers.items():  # the handlers do their real work, the same in both apps
        _, (listing,) = b.call("list_documents", ["Acme"])
        rows = listing["data"] if isinstance(listing, dict) else listing
        _, (frame, links) = b.call("profile", ["Acme"])
        checks[name] = {
            "documents": [r[0] for r in rows],
            "profile_frame": "<iframe" in frame,
            "profile_links": links.count("href="),
        }
        if "notes.txt" not in checks[name]["documents"] or not checks[name]["profile_frame"]:
            raise RuntimeError(f"{name}: unexpected handler output {checks[name]}")
        for _ in range(warmup):
            for api_name, data in HANDLERS:
                b.call(api_name, data)
            b.static()
    samples: dict[str, dict[str, list[float]]] = {
        a: {k: [] for k in (*[h for h, _ in HANDLERS], "config")} for a in apps
    }
    rows_added: dict[str, dict[str, int]] = {a: {h: 0 for h, _ in HANDLERS} for a in apps}
    rounds = math.ceil(n / BLOCK)
    for r in range(rounds):
        size = min(BLOCK, n - r * BLOCK)
        for name in list(apps) if r % 2 == 0 else list(apps)[::-1]:
            b = browsers[name]
            for api_name, data in HANDLERS:
                before = child.audit_rows()
                for _ in range(size):
                    samples[name][api_name].append(b.call(api_name, data)[0])
                rows_added[name][api_name] += child.audit_rows() - before
            for _ in range(size):
                samples[name]["config"].append(b.static())
    out: Json = {"n": n, "block": BLOCK, "warmup": warmup, "checks": checks, "apps": {}}
    for name in apps:
        out["apps"][name] = {kind: _stats_ms(v) for kind, v in samples[name].items()}
        for api_name, _ in HANDLERS:
            out["apps"][name][api_name]["audit_rows_per_call"] = rnd(rows_added[name][api_name] / n, 2)
    out["ratio"] = {
        kind: {
            q: rnd(out["apps"]["gate"][kind][q] / out["apps"]["baseline"][kind][q], 3)
            for q in ("p50_ms", "p95_ms", "mean_ms")
        }
        for kind in samples["gate"]
    }
    out["added_ms"] = {
        kind: {
            q: rnd(out["apps"]["gate"][kind][q] - out["apps"]["baseline"][kind][q], 2)
            for q in ("p50_ms", "p95_ms")
        }
        for kind in samples["gate"]
    }
    for b in browsers.values():
        b.http.close()
    return out


def bench_audit_insert(count: int = 300) -> Json:
    """One AuditLog.record (the gate's audit of an event) in a scratch log, as the gate writes it."""
    from assistant.serve.audit import AuditLog

    with tempfile.TemporaryDirectory(prefix="security-bench-audit-") as tmp:
        log = AuditLog(Path(tmp) / "audit.sqlite3")
        times = []
        for i in range(count):
            t0 = now()
            log.record(
                "rita",
                "ui_event",
                role="rm",
                status=200,
                details={
                    "via": "ui",
                    "path": "/ui/gradio_api/queue/join",
                    "fn": "list_documents",
                    "session": f"{i:08x}",
                    "ip": "127.0.0.1",
                },
            )
            times.append(now() - t0)
    return _stats_ms(times[20:])


# ---- 2. sign-in back-off ----------------------------------------------------------------------------
def _summary(events: list[tuple[float, int, float]], wall: float) -> Json:
    """Counts of (start since t0, status, latency) events: 401 a checked guess, 429 a refused one."""
    checked = [e for e in events if e[1] == 401]
    refused = [e for e in events if e[1] == 429]
    return {
        "seconds": rnd(wall, 2),
        "requests": len(events),
        "checked": len(checked),
        "refused": len(refused),
        "other": len(events) - len(checked) - len(refused),
        "checked_per_min": rnd(len(checked) / wall * 60, 1),
        "check_p50_ms": rnd((_pct([e[2] for e in checked], 0.5) or 0) * 1000, 1) if checked else None,
        "refusal_p50_ms": rnd((_pct([e[2] for e in refused], 0.5) or 0) * 1000, 1) if refused else None,
        "checked_at_s": sorted(round(e[0] + e[2], 2) for e in checked)[:16],
    }


def attack(url: str, user: str, seconds: float, clients: int, honour: bool) -> Json:
    """``clients`` threads guessing ``user``'s password for ``seconds``, a new password per checked guess."""
    events: list[tuple[float, int, float]] = []
    lock = threading.Lock()
    t0 = now()
    stop = t0 + seconds

    def worker(k: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            i = 0
            while now() < stop:
                started = now()
                try:
                    r: httpx.Response | None = client.get("/api/me", auth=(user, f"guess-{k}-{i}"))
                except httpx.HTTPError:
                    r = None
                status = r.status_code if r is not None else 0
                with lock:
                    events.append((started - t0, status, now() - started))
                if status == 429 and honour and r is not None:
                    time.sleep(max(0.0, min(float(r.headers.get("Retry-After", "1")), stop - now())))
                elif status == 401:
                    i += 1  # a checked guess; a refused one is tried again

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"clients": clients, "honours_retry_after": honour, **_summary(events, now() - t0)}


def burst(url: str, pairs: list[tuple[str, str]]) -> Json:
    """Every (user, password) guess sent at once, one connection each."""

    async def run() -> tuple[list[tuple[float, int, float]], float]:
        limits = httpx.Limits(max_connections=len(pairs), max_keepalive_connections=len(pairs))
        async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
            t0 = now()

            async def one(user: str, password: str) -> tuple[float, int, float]:
                started = now()
                try:
                    status = (await client.get("/api/me", auth=(user, password))).status_code
                except httpx.HTTPError:
                    status = 0
                return started - t0, status, now() - started

            out = await asyncio.gather(*(one(u, p) for u, p in pairs))
            return list(out), now() - t0

    events, wall = asyncio.run(run())
    return {"clients": len(pairs), "names": len({u for u, _ in pairs}), **_summary(events, wall)}


def backoff_model(
    check_s: float, refusal_s: float, batch: int, guesses: int, cores: int, window_s: float
) -> Json:
    """An attacker against the real ``SignIns`` (its defaults) with a simulated clock. When a window opens,
    ``batch`` guesses are checked before the first failure is counted (1 when checks of a name take turns;
    bcrypt on ``cores``); when refused, the attacker waits Retry-After (whole seconds, rounded up) and retries.
    Should ``Throttle.wait`` raise (it overflowed a float once), the model waits until the key is forgotten
    (``window_s + cap_s`` after its last failure) and counts a reset."""
    from assistant.serve.throttle import SignIns, Throttle

    clock = [0.0]
    real = SignIns()

    def like(t: Throttle) -> Throttle:
        return Throttle(
            free=t.free, base_s=t.base_s, cap_s=t.cap_s, window_s=t.window_s, clock=lambda: clock[0]
        )

    sign_ins = SignIns(like(real.users), like(real.addresses))
    times: list[float] = []
    resets = 0
    first_overflow: int | None = None
    while len(times) < guesses:
        clock[0] += refusal_s / 2  # the request reaches the server
        try:
            wait = sign_ins.wait("victim", "203.0.113.7")
        except OverflowError:
            first_overflow = first_overflow or len(times)
            resets += 1
            clock[0] = times[-1] + real.users.window_s + real.users.cap_s + 1.0
            continue
        if wait > 0:
            clock[0] += refusal_s / 2 + math.ceil(wait - 1e-9)  # the 429 comes back; sleep Retry-After
            continue
        k = min(batch, guesses - len(times))
        clock[0] += check_s * math.ceil(k / max(1, min(k, cores)))
        for _ in range(k):
            sign_ins.users.failed("victim")
            sign_ins.addresses.failed("203.0.113.7")
            times.append(clock[0])
    tail = times[max(100, 2 * batch) : first_overflow or len(times)]  # the steady state (before any overflow)
    return {
        "batch": batch,
        "free_failures": real.users.free,
        "address_free_failures": real.addresses.free,
        "cap_s": real.users.cap_s,
        "forget_after_s": real.users.window_s + real.users.cap_s,
        "first_window": sum(1 for t in times if t <= window_s),
        "first_hour": sum(1 for t in times if t <= 3600.0),
        "first_day": sum(1 for t in times if t <= 86400.0),
        "long_run_per_min": rnd((len(tail) - 1) / (tail[-1] - tail[0]) * 60, 3)
        if len(tail) > 1 and tail[-1] > tail[0]
        else None,
        "dictionary_s": rnd(times[-1], 0),
        "overflow_resets": resets,
        "first_overflow_after": first_overflow,
    }


def bench_signin(child: Child, seconds: float, concurrent: int, burst_size: int) -> Json:
    url = f"http://127.0.0.1:{child.gate_port}"
    plan: list[tuple[str, bool, Callable[[], Json]]] = [
        ("seq_honour", True, lambda: attack(url, "victim", seconds, 1, True)),
        ("seq_ignore", True, lambda: attack(url, "victim", seconds, 1, False)),
        ("conc_on", True, lambda: attack(url, "victim", seconds, concurrent, True)),
        ("burst_name", True, lambda: burst(url, [("victim", f"burst-{i}") for i in range(burst_size)])),
        ("spray", True, lambda: burst(url, [(f"spray{i:03d}", "Winter2026!") for i in range(burst_size)])),
        ("seq_off", False, lambda: attack(url, "victim", seconds, 1, True)),
        ("conc_off", False, lambda: attack(url, "victim", seconds, concurrent, True)),
    ]
    runs: Json = {}
    for key, throttle, run in plan:
        child.command("throttle on" if throttle else "throttle off")
        print(f"   {key} …", flush=True)
        before = child.audit_rows()
        runs[key] = run()
        time.sleep(0.5)  # the API gate writes its audit row after the reply
        runs[key].update(backoff=throttle, audit_rows=child.audit_rows() - before)
        print(
            f"      checked {runs[key]['checked']}, refused {runs[key]['refused']}, other {runs[key]['other']}, "
            f"{runs[key]['checked_per_min']} checked/min, {runs[key]['audit_rows']} audit rows",
            flush=True,
        )
    child.command("throttle on")
    return runs


def check_overflow(child: Child) -> Json:
    """What a user whose name has ~1,035 recorded failures meets (``Throttle.wait`` overflowed a float there)."""
    url = f"http://127.0.0.1:{child.gate_port}"
    child.command("throttle on")
    child.command("overflow victim")
    before = child.audit_rows()

    def status(method: str, path: str, **kw: Any) -> int | str:
        """The HTTP status, or the error when the server dropped the connection (a new connection each)."""
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                return client.request(method, path, **kw).status_code
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__} ({exc})"

    api = status("GET", "/api/me", auth=("victim", PASSWORD))
    web = status("POST", "/ui/login", data={"username": "victim", "password": PASSWORD})
    other = status("GET", "/api/me", auth=("rita", PASSWORD))
    time.sleep(0.5)
    rows = child.audit_rows() - before
    child.command("throttle on")
    after_reset = status("GET", "/api/me", auth=("victim", PASSWORD))
    return {
        "victim_api_status": api,
        "victim_web_status": web,
        "other_user_status": other,
        "audit_rows_for_the_3_requests": rows,
        "after_reset_status": after_reset,
    }


def derive(res: Json, cores: int) -> Json:
    """Ratios, the model and the dictionary times from the measured runs."""
    runs = res["signin"]
    window = runs["seq_honour"]["seconds"]
    check_s = (runs["seq_off"]["check_p50_ms"] or 250.0) / 1000
    refusal_s = (runs["seq_ignore"]["refusal_p50_ms"] or 5.0) / 1000
    seq = backoff_model(check_s, refusal_s, 1, DICTIONARY, cores, window)
    race = runs["burst_name"]["checked"] > seq["free_failures"] + 1  # more than the free ones and one more
    bursty = (
        backoff_model(check_s, refusal_s, runs["burst_name"]["checked"], DICTIONARY, cores, window)
        if race
        else None
    )
    off_rate, off_rate_k = runs["seq_off"]["checked_per_min"], runs["conc_off"]["checked_per_min"]
    on_rate = runs["seq_honour"]["checked_per_min"]
    return {
        "window_s": window,
        "check_s": rnd(check_s, 3),
        "refusal_s": rnd(refusal_s, 4),
        "model_sequential": seq,
        "burst_race": race,
        "model_burst": bursty,
        "spray_passes": runs["spray"]["checked"] > seq["address_free_failures"] + 1,
        "ratio_measured": rnd(off_rate / on_rate, 1) if on_rate else None,
        "ratio_long_run": rnd(off_rate / seq["long_run_per_min"], 0) if seq["long_run_per_min"] else None,
        "dictionary_no_backoff_min": rnd(DICTIONARY / off_rate, 1) if off_rate else None,
        "dictionary_no_backoff_concurrent_min": rnd(DICTIONARY / off_rate_k, 1) if off_rate_k else None,
        "dictionary_at_measured_backoff_rate_h": rnd(DICTIONARY / on_rate / 60, 1) if on_rate else None,
    }


# ---- report ------------------------------------------------------------------------------------------
def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{fmt_n(value, 1)} ms"


def _gate_lines(res: Json) -> tuple[str, list[str]]:
    """The summary bullet and the section of part 1."""
    g = res["gate"]
    ins = g["audit_insert"]
    on, off = g["apps"]["gate"], g["apps"]["baseline"]
    labels = {
        "list_documents": 'event round trip `list_documents("Acme")`',
        "profile": 'event round trip `profile("Acme")`',
        "config": "static `GET /ui/config`",
    }
    bullet = (
        f"- **Gate overhead**: a web-app event round trip (queue/join + queue/data until process_completed) takes "
        f"p50 {fmt_n(on['list_documents']['p50_ms'], 2)} ms with WebGate vs "
        f"{fmt_n(off['list_documents']['p50_ms'], 2)} ms "
        f"without (`list_documents`, ×{g['ratio']['list_documents']['p50_ms']}; p95 "
        f"×{g['ratio']['list_documents']['p95_ms']}), "
        f"{fmt_n(on['profile']['p50_ms'], 2)} vs {fmt_n(off['profile']['p50_ms'], 2)} ms (`profile`, "
        f"×{g['ratio']['profile']['p50_ms']}; p95 ×{g['ratio']['profile']['p95_ms']}): "
        f"{g['added_ms']['list_documents']['p50_ms']:+.2f} / {g['added_ms']['profile']['p50_ms']:+.2f} ms per event. "
        f"A static `GET /ui/config`: {fmt_n(on['config']['p50_ms'], 2)} vs {fmt_n(off['config']['p50_ms'], 2)} ms "
        f"(×{g['ratio']['config']['p50_ms']})."
    )
    lines = [
        "## 1. Gate overhead (WebGate in front of the Gradio app)",
        "",
        f"{g['n']} sequential calls of each kind per app, interleaved in blocks of {g['block']} (the first app of a "
        f"block alternates), after {g.get('warmup', 10)} warm-up calls each; one signed-in rm (portfolio "
        "Acme), one Gradio "
        "session per app. "
        "The round trip is timed from sending `POST /ui/gradio_api/queue/join` to reading `process_completed` from "
        "`GET /ui/gradio_api/queue/data`. Gate off = the same Blocks, handlers, access and login function mounted by "
        "`gr.mount_gradio_app` on a bare FastAPI app (see the script's docstring).",
        "",
        "| request | gate on p50 | gate on p95 | gate off p50 | gate off p95 | ratio p50 | ratio p95 | added "
        "p50 | audit rows/call on / off |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in ("list_documents", "profile", "config"):
        rows = (
            f"{on[kind]['audit_rows_per_call']} / {off[kind]['audit_rows_per_call']}"
            if "audit_rows_per_call" in on[kind]
            else "0 / 0"
        )
        lines.append(
            f"| {labels[kind]} | {fmt_n(on[kind]['p50_ms'], 2)} ms | {fmt_n(on[kind]['p95_ms'], 2)} ms | "
            f"{fmt_n(off[kind]['p50_ms'], 2)} ms | {fmt_n(off[kind]['p95_ms'], 2)} ms | "
            f"×{g['ratio'][kind]['p50_ms']} | "
            f"×{g['ratio'][kind]['p95_ms']} | {g['added_ms'][kind]['p50_ms']:+.2f} ms | {rows} |"
        )
    added_rows = on["list_documents"]["audit_rows_per_call"] - off["list_documents"]["audit_rows_per_call"]
    lines += [
        "",
        "Means: "
        + "; ".join(
            f"{k} {fmt_n(on[k]['mean_ms'], 2)} vs {fmt_n(off[k]['mean_ms'], 2)} ms"
            for k in ("list_documents", "profile", "config")
        )
        + ".",
        f"The gate adds {rnd(added_rows, 2)} "
        "audit rows per event (`ui_event` at queue/join, `ui_subscribe` at queue/data) to the handler's own row, "
        f"which both apps write. One `AuditLog.record` (SQLite WAL insert with the hash chain) costs p50 "
        f"{fmt_n(ins['p50_ms'], 3)} ms, p95 {fmt_n(ins['p95_ms'], 3)} ms here (scratch log, {ins['n']} "
        "inserts), so the "
        "rest of the added time is the gate's own work (cookie and session checks, reading and replaying the join "
        "body, scanning it for file paths, wrapping send/receive).",
        "",
    ]
    return bullet, lines


def render(res: Json) -> str:
    s, d, ov = res["signin"], res["derived"], res["overflow"]
    seq, bt = d["model_sequential"], d["model_burst"]
    k = s["conc_on"]["clients"]
    gate_bullet, gate_lines = _gate_lines(res)
    speedup = rnd(s["conc_off"]["checked_per_min"] / s["seq_off"]["checked_per_min"], 2) or 0.0
    spray_window = seq["cap_s"] + s["spray"]["seconds"]  # one burst per window of the address back-off
    spray_rate = s["spray"]["checked"] / spray_window * 60
    if d["burst_race"]:
        together = (
            f"guesses in flight when a window opens are all checked; modelled with {bt['batch']} guesses per "
            f"window, the dictionary takes {_duration(bt['dictionary_s'])} instead of "
            f"{_duration(seq['dictionary_s'])}."
        )
    else:
        together = "checks of one name take turns: sending guesses in parallel buys no extra checks."
    if d["spray_passes"]:
        spray = (
            f"more than the address's {seq['address_free_failures']} free failures: the address back-off is "
            "read before the failures are counted and checks of different names do not take turns, so a burst "
            "spread over many names passes it. Repeated once per window of the address back-off "
            f"({seq['cap_s']:.0f} s), bursts of {s['spray']['checked']} give ~{spray_rate:.1f} guesses/min: "
            f"10,000 (name, password) guesses in ~{_duration(DICTIONARY / spray_rate * 60)} (estimate; a bigger "
            "burst, more)."
        )
    else:
        spray = f"the address back-off ({seq['address_free_failures']} free failures) holds for a burst too."
    overflow = (
        "the back-off still answers (429 with Retry-After), nothing overflows"
        if ov["victim_api_status"] == 429 and ov["victim_web_status"] == 429
        else "the sign-in fails (`Throttle.wait` overflows a float) instead of answering 429"
    )
    names = {
        "seq_honour": "1 client, waits Retry-After then retries at once",
        "seq_ignore": "1 client, ignores Retry-After (retries at once)",
        "conc_on": f"{k} concurrent clients, wait Retry-After",
        "burst_name": f"{s['burst_name']['clients']} guesses sent at once, one name",
        "spray": f"{s['spray']['clients']} guesses sent at once, {s['spray']['names']} different (unknown) names",
        "seq_off": "1 client",
        "conc_off": f"{s['conc_off']['clients']} concurrent clients",
    }
    lines = [
        *report_head(res, "Security benchmark: web-app gate overhead and sign-in back-off"),
        f"Command: `{res['command'].strip()}` at commit `{res['commit']}`. Server: a child process with uvicorn on "
        "127.0.0.1 (fake LLM, fake embeddings, 2 documents), started in "
        f"{res['server_start_s']} s; clients: httpx in this process. Users file with bcrypt cost {BCRYPT_COST}.",
        "",
        "## Summary",
        "",
        gate_bullet,
        "- **Back-off, one client guessing one user's password from one address**: "
        f"{s['seq_honour']['checked']} guesses "
        f"checked in {s['seq_honour']['seconds']:g} s ({fmt_n(s['seq_honour']['checked_per_min'], 1)}/min, the "
        f"{seq['free_failures']} free ones included) against {s['seq_off']['checked']} "
        f"({fmt_n(s['seq_off']['checked_per_min'], 1)}/min, bcrypt-bound) with the back-off off: "
        f"×{d['ratio_measured']}. "
        f"The wait keeps doubling to {seq['cap_s']:.0f} s: in the long run {fmt_n(seq['long_run_per_min'], 2)} "
        f"guesses/min, ×{fmt_n(d['ratio_long_run'], 0)} fewer than without the back-off.",
        f"- **A 10,000-word dictionary** against one user: {_duration(seq['dictionary_s'])} with the back-off (model, "
        f"checked against the first {d['window_s']:g} s: {seq['first_window']} modelled, {s['seq_honour']['checked']} "
        f"measured), {fmt_n(d['dictionary_no_backoff_min'], 0)} min without it.",
        f"- **Parallel guesses**: {k} concurrent clients got {s['conc_on']['checked']} checked in "
        f"{s['conc_on']['seconds']:g} s (one client: {s['seq_honour']['checked']}); "
        f"{s['burst_name']['clients']} guesses "
        f"sent at once against one name: {s['burst_name']['checked']} checked, {s['burst_name']['refused']} refused. "
        f"So {together}",
        f"- **Spraying names**: {s['spray']['clients']} guesses sent at once from one address, each for "
        "another (unknown) "
        f"user name: {s['spray']['checked']} checked, {s['spray']['refused']} refused — {spray}",
        f"- **After ~{seq['free_failures'] + 1030:,} recorded failures of a name** (where `2 ** (failures - free)` "
        f"no longer fits a float): its right password got HTTP {ov['victim_api_status']} from `/api/me` and "
        f"{ov['victim_web_status']} from `/ui/login`, another user {ov['other_user_status']}: {overflow}.",
        f"- **Audit rows**: the client ignoring Retry-After was refused {s['seq_ignore']['refused']:,} times in "
        f"{s['seq_ignore']['seconds']:g} s; the run wrote {s['seq_ignore']['audit_rows']} audit rows.",
        "",
        *gate_lines,
        "## 2. Sign-in back-off (password guessing against `GET /api/me`)",
        "",
        "One user name (`victim`), one client address (127.0.0.1), HTTP Basic with a new wrong password per checked "
        "guess (a refused one is retried); fresh back-off state for each run. A 401 is a guess that was checked "
        "(bcrypt), a 429 one that was refused. Back-off off: the same server with `ctx.sign_ins.users` and "
        "`.addresses` replaced by `Throttle(free=10**9)`.",
        "",
        "| attacker | back-off | seconds | requests | checked (401) | refused (429) | other | checked/min | "
        "check p50 | refusal p50 | audit rows |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, run in s.items():
        lines.append(
            f"| {names[key]} | {'on' if run['backoff'] else 'off'} | {run['seconds']:g} | {run['requests']} | "
            f"{run['checked']} | {run['refused']} | {run['other']} | {fmt_n(run['checked_per_min'], 1)} | "
            f"{_ms(run['check_p50_ms'])} | {_ms(run['refusal_p50_ms'])} | {run['audit_rows']} |"
        )
    lines += [
        "",
        "When the guesses were checked (seconds from the start, the first 16; back-off on):",
        "",
        *[
            f"- {names[key]}: {', '.join(f'{t:g}' for t in s[key]['checked_at_s'])}"
            for key in ("seq_honour", "seq_ignore", "conc_on", "burst_name", "spray")
        ],
        "",
        f"**Model**: the real `SignIns` defaults ({seq['free_failures']} free failures per user name, then a wait of "
        f"1 s, 2 s, 4 s … at most {seq['cap_s']:.0f} s after the last failure; {seq['address_free_failures']} free per "
        f"address) with a simulated clock; a check takes {d['check_s'] * 1000:.0f} ms and a refusal "
        f"{d['refusal_s'] * 1000:.1f} ms as measured above; the attacker waits Retry-After (whole seconds, rounded up) "
        "and retries at once.",
        "",
        f"| attacker | first {d['window_s']:g} s (measured) | first hour | first day | long run | 10,000 guesses |",
        "|---|---:|---:|---:|---:|---:|",
        f"| back-off, 1 client | {seq['first_window']} ({s['seq_honour']['checked']}) | {seq['first_hour']:,} | "
        f"{seq['first_day']:,} | {fmt_n(seq['long_run_per_min'], 3)}/min | {_duration(seq['dictionary_s'])} |",
    ]
    if bt:
        lines.append(
            f"| back-off, bursts of {bt['batch']} | {bt['first_window']} ({s['burst_name']['checked']} in one burst) | "
            f"{bt['first_hour']:,} | {bt['first_day']:,} | {fmt_n(bt['long_run_per_min'], 3)}/min | "
            f"{_duration(bt['dictionary_s'])} |"
        )
    for key, label in (
        ("seq_off", "no back-off, 1 client"),
        ("conc_off", f"no back-off, {s['conc_off']['clients']} clients"),
    ):
        rate = s[key]["checked_per_min"]
        lines.append(
            f"| {label} (measured rate) | {s[key]['checked']} | {fmt_n(rate * 60, 0)} | {fmt_n(rate * 1440, 0)} | "
            f"{fmt_n(rate, 1)}/min | {_duration(DICTIONARY / rate * 60) if rate else '–'} |"
        )
    lines += [
        "",
        f"Ratios (no back-off / back-off, one client): ×{d['ratio_measured']} over the first {d['window_s']:g} s as "
        "measured (the free failures weigh heavily in so short a window), "
        f"×{fmt_n(d['ratio_long_run'], 0)} in the long run. Extrapolating the measured "
        f"{fmt_n(s['seq_honour']['checked_per_min'], 1)}/min naively would give "
        f"{fmt_n(d['dictionary_at_measured_backoff_rate_h'], 1)} h for the dictionary; the model's "
        f"{_duration(seq['dictionary_s'])} is the figure to use: the wait doubles up to {seq['cap_s']:.0f} s and each "
        f"failure keeps the count alive (a name is forgotten {seq['forget_after_s']:.0f} s after its last failure). "
        f"Overflow resets in the modelled 10,000 guesses: {seq['overflow_resets']}.",
        f"Without the back-off, {s['conc_off']['clients']} clients got {fmt_n(s['conc_off']['checked_per_min'], 1)} "
        f"checks/min against one name, ×{speedup} of one client's rate"
        + (" (checks of one name take turns even then)." if speedup < 1.3 else " (bcrypt on both cores)."),
        "",
        "## Notes",
        "",
        "- Not measured: many addresses (a botnet: each address and each name has its own back-off), and the web "
        "sign-in (`POST /ui/login`) in a loop — it shares the same `SignIns` (its 429 is checked above).",
        "- Latencies are of a client and a server on the same 2-core machine over loopback; the ratios matter more "
        "than the absolute figures. The back-off counts are schedule-bound and do not depend on the machine's load.",
        "",
        "## Machine contention",
        "",
        "| section | seconds | waited for idle | other cores before | other cores during |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {key} | {v['seconds']} | {v['waited_for_idle_s']} | {v['other_cores_before']} | "
            f"{v['other_cores_during']} |"
            for key, v in res["sections"].items()
        ],
    ]
    return "\n".join(lines) + "\n"


def section(res: Json, key: str, label: str, fn: Callable[[], Json], gate: IdleGate) -> None:
    print(f"\n== {label}", flush=True)
    spent = gate.spent_s
    before = gate.wait(label)
    mon = CpuMonitor()
    t0 = now()
    res[key] = fn()
    res["sections"][key] = {
        "seconds": rnd(now() - t0, 1),
        "waited_for_idle_s": rnd(gate.spent_s - spent, 1),
        "other_cores_before": before,
        "other_cores_during": mon.other_cores(),
    }
    print(
        f"   done in {now() - t0:.1f} s (other processes used {res['sections'][key]['other_cores_during']} cores)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_serve"]:
        return serve_main(argv[1:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=QUICK_HELP + " (2 calls per kind, 1 s per attack, 2 concurrent clients, bursts of 8)",
    )
    parser.add_argument(
        "--calls", type=int, default=None, help="sequential calls per kind and app (default 200)"
    )
    parser.add_argument("--attack-s", type=float, default=None, help="seconds per guessing run (default 20)")
    parser.add_argument(
        "--concurrent",
        type=int,
        default=None,
        help="clients of the concurrent guessing runs (default 8, --quick 2)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=None,
        help="guesses sent at once in the burst run (default 64, --quick 8)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=None,
        metavar="S",
        help="before each section wait for other processes to leave the CPU, at most S s in all "
        "(default 60, --quick 0)",
    )
    parser.add_argument("--out", type=Path, default=None, help=OUT_HELP)
    args = parser.parse_args(argv)
    calls = args.calls or (2 if args.quick else 200)
    attack_s = args.attack_s or (1.0 if args.quick else 20.0)
    concurrent = args.concurrent or (2 if args.quick else 8)
    burst_size = args.burst or (8 if args.quick else 64)  # a quick burst still exceeds the 5 free failures
    warmup, inserts = (2, 60) if args.quick else (10, 300)
    out_dir = results_dir(args.out, args.quick)
    started = now()
    gate = IdleGate(idle_budget(args.wait_idle, args.quick, 60.0))
    res: Json = {
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "command": "python benchmarks/security.py " + " ".join(argv),
        "machine": machine_info(),
        "sections": {},
        "commit": _commit(),
    }
    print(f"machine: {res['machine']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="security-bench-"))
    finished = False
    try:
        _users_file(work / "users.toml")
        t0 = now()
        child = Child(work)
        res["server_start_s"] = rnd(now() - t0, 1)
        try:
            section(
                res,
                "gate",
                f"1. gate overhead: {calls} calls per kind, gate on and off",
                lambda: {**bench_gate(child, calls, warmup), "audit_insert": bench_audit_insert(inserts)},
                gate,
            )
            section(
                res,
                "signin",
                f"2. password guessing, {attack_s:g} s per run",
                lambda: bench_signin(child, attack_s, concurrent, burst_size),
                gate,
            )
            res["overflow"] = check_overflow(child)
            print(f"   overflow check: {res['overflow']}", flush=True)
            finished = True
        finally:
            child.stop()
    finally:
        if args.quick:  # nothing is kept: show the server's last words when the run failed
            log = work / "server.log"
            if not finished and log.is_file():
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
                print("server log (last lines):\n" + "\n".join(tail), file=sys.stderr)
            shutil.rmtree(work, ignore_errors=True)
    res["derived"] = derive(res, res["machine"]["nproc"] or 2)
    res["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["total_s"] = rnd(now() - started, 1)
    res["idle_wait"] = {"budget_s": gate.budget_s, "spent_s": rnd(gate.spent_s, 1)}
    markdown = render(res)
    if out_dir is None:
        print("\n" + markdown)
        print_unwritten(res, "--out")
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"security_{res['date']}{'_quick' if args.quick else ''}.md"
        path.write_text(markdown, encoding="utf-8")
        print("\n" + markdown)
        print(f"wrote {path}", flush=True)
    if args.quick and quick_failures(quick_checks(res)):
        return 1
    return 0


def quick_checks(res: Json) -> dict[str, bool]:
    """What a smoke run must show: the gate audits more than the bare app, the back-off refuses a burst at
    one name and nothing when it is off, and a name with ~1,035 recorded failures still gets its 429."""
    g, s, ov = res["gate"]["apps"], res["signin"], res["overflow"]
    return {
        "gate: audit rows added by WebGate": (
            g["gate"]["list_documents"]["audit_rows_per_call"]
            > g["baseline"]["list_documents"]["audit_rows_per_call"]
        ),
        "back-off on: a burst at one name meets refusals": s["burst_name"]["refused"] > 0,
        "back-off off: nothing refused": s["seq_off"]["refused"] == s["conc_off"]["refused"] == 0,
        "back-off off: guesses checked": s["seq_off"]["checked"] > 0,
        "overflowed name: 429 from the API and the web sign-in": ov["victim_api_status"]
        == ov["victim_web_status"]
        == 429,
        "overflowed name: another user signs in": ov["other_user_status"] == 200,
        "overflowed name: signs in once the back-off is reset": ov["after_reset_status"] == 200,
    }


if __name__ == "__main__":
    sys.exit(main())
