"""`assistant serve --workers 2` as an operator runs it: a real subprocess (uvicorn's worker processes) over a
store on a real Chroma server (`chroma run`, a subprocess) with the `openai` LLM backend (a small OpenAI-compatible
HTTP server in this process), two users firing requests at once over real HTTP. The audit log stays one hash chain;
follow-up conversations and the sign-in back-off hold whichever worker gets a request (each response is traced to
the worker process that holds its connection). Then the same shared state without a server: two "processes" on one
store (batch jobs, the back-off, a conversation's turns), and the refusals of `--workers` where it cannot work."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import pytest

from assistant.cli.main import main
from assistant.core.errors import ConfigError, InputError
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.api import check_workers
from assistant.serve.asking import Conversations
from assistant.serve.audit import AuditLog
from assistant.serve.auth import LOCAL, Principal, hash_password
from assistant.serve.jobs import JobConflict, JobService
from assistant.serve.throttle import SignIns
from tests.store.conftest import free_port, start_chroma, stop_chroma

PASSWORD = "pw-workers-1"
HASH = hash_password(PASSWORD, rounds=4)
USERS = f"""
[users.rita]
role = "rm"
portfolio = ["Acme"]
password_hash = "{HASH}"

[users.sam]
role = "rm"
portfolio = ["星河科技"]
password_hash = "{HASH}"

[users.victim]
role = "rm"
portfolio = ["Acme"]
password_hash = "{HASH}"
"""
REPLY = "Acme Robotics Inc. was founded in 2015 in Austin [1]."


class _ModelServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint (non-streaming and streaming) that always gives ``REPLY``."""

    calls = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls += 1
        base = {"id": "c1", "created": 0, "model": body["model"]}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for part in (REPLY, ""):
                choice = {"index": 0, "delta": {"content": part} if part else {}, "finish_reason": None}
                choice["finish_reason"] = None if part else "stop"
                chunk = {**base, "object": "chat.completion.chunk", "choices": [choice]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        message = {"role": "assistant", "content": REPLY}
        data = json.dumps(
            {
                **base,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    worker: int | None
    headers: dict[str, str]


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]
    store: Path
    log: Path

    def workers(self) -> set[int]:
        kids = psutil.Process(self.process.pid).children()
        return {p.pid for p in kids if any("spawn_main" in part for part in p.cmdline())}

    def audit(self) -> AuditLog:
        return AuditLog(self.store / "audit.sqlite3")

    def worker_of(self, client_port: int) -> int | None:
        """The worker process holding the server's end of the connection from ``client_port``."""
        for pid in self.workers():
            for c in psutil.Process(pid).net_connections(kind="tcp"):
                if c.raddr and c.raddr.port == client_port and c.laddr.port == self.port:
                    return pid
        return None

    def call(
        self,
        method: str,
        path: str,
        user: str | None = None,
        body: dict[str, Any] | None = None,
        password: str = PASSWORD,
        trace: bool = False,
    ) -> Reply:
        """One request on a connection of its own (so the kernel hands it to either worker)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if user:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            worker = self.worker_of(conn.sock.getsockname()[1]) if trace else None  # still open: keep-alive
            return Reply(r.status, json.loads(raw) if raw else {}, worker, dict(r.getheaders()))
        finally:
            conn.close()

    def wait_for_audit(self, entries: int, timeout: float = 20.0) -> int:
        """The audit's length once it reaches ``entries`` (a call's entry is written after its response)."""
        deadline = time.monotonic() + timeout
        count = self.audit().verify().entries
        while count < entries and time.monotonic() < deadline:
            time.sleep(0.1)
            count = self.audit().verify().entries
        time.sleep(0.3)  # and nothing more arrives
        return self.audit().verify().entries


def _documents(root: Path) -> Path:
    docs = root / "docs"
    (docs / "Acme").mkdir(parents=True)
    (docs / "星河科技").mkdir(parents=True)
    (docs / "Acme" / "notes.txt").write_text(
        "Acme Robotics Inc. was founded in 2015 in Austin.\nRevenue for fiscal 2023 was $12.4 million.\n",
        encoding="utf-8",
    )
    (docs / "星河科技" / "news.md").write_text(
        "# 星河科技\n2023年，公司实现营业收入8,652.30万元，同比增长31.2%。研发投入1,021.5万元。\n",
        encoding="utf-8",
    )
    return docs


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    kids = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGTERM)  # uvicorn's parent stops its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for kid in kids:
        if kid.is_running():
            kid.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("workers")
    chroma = start_chroma(root / "chroma")
    model = ThreadingHTTPServer(("127.0.0.1", 0), _ModelServer)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "ASSISTANT_STORE_BACKEND": "chroma-http",
        "ASSISTANT_CHROMA_HOST": chroma.host,
        "ASSISTANT_CHROMA_PORT": str(chroma.port),
        "ASSISTANT_LLM_BACKEND": "openai",
        "ASSISTANT_LLM_MODEL": "served-model",
        "ASSISTANT_OPENAI_BASE_URL": f"http://127.0.0.1:{model.server_address[1]}/v1",
        "ASSISTANT_EMBEDDING_BACKEND": "fake",
        "ASSISTANT_MIN_RELEVANCE": "0.05",
        "ASSISTANT_AUTH_CONFIG": "",
    }
    store = root / "store"
    settings = Settings(
        store=store,
        store_backend="chroma-http",
        chroma_host=chroma.host,
        chroma_port=chroma.port,
        llm_backend="fake",
        embedding_backend="fake",
        min_relevance=0.05,
    )
    ingest_paths([_documents(root)], Services(settings).store, settings)
    (root / "users.toml").write_text(USERS, encoding="utf-8")
    port, log = free_port(), root / "serve.log"
    command = [sys.executable, "-m", "assistant", "--store", str(store), "serve", "--port", str(port)]
    command += ["--workers", "2", "--auth-config", str(root / "users.toml")]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    server = Served(port, process, store, log)
    try:
        deadline = time.monotonic() + 90
        while log.read_text(errors="replace").count("Application startup complete") < 2:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        assert len(server.workers()) == 2
        yield server
    finally:
        _stop(process)
        model.shutdown()
        stop_chroma(chroma.process)


# ---- against the running server ----------------------------------------------------------------------------


def test_the_audit_chain_stays_one_sequence_under_concurrent_writes_from_both_workers(served: Served) -> None:
    before = served.audit().verify()
    assert before.ok
    model_calls = _ModelServer.calls

    def session(user: str, mine: str, other: str, n: int) -> list[tuple[str, int]]:
        seen = []
        for i in range(n):
            calls = [
                ("GET", "/api/me", None, 200),
                ("GET", "/api/companies", None, 200),
                ("POST", "/api/search", {"query": "revenue 2023 营业收入", "k": 3}, 200),
                ("POST", "/api/ask", {"question": f"When was {mine} founded? ({i})", "company": mine}, 200),
                ("POST", "/api/ask", {"question": "Revenue?", "company": other}, 403),
                ("GET", f"/api/documents?company={quote(mine)}", None, 200),
            ]
            for method, path, body, expected in calls:
                r = served.call(method, path, user, body)
                seen.append((f"{user} {method} {path}", r.status))
                assert r.status == expected, (user, path, r.status, r.body)
            r = served.call("GET", "/api/companies")  # no credentials: refused, and audited
            seen.append(("- GET /api/companies", r.status))
            assert r.status == 401
        return seen

    with ThreadPoolExecutor(8) as pool:
        runs = [pool.submit(session, "rita", "Acme", "星河科技", 4) for _ in range(4)]
        runs += [pool.submit(session, "sam", "星河科技", "Acme", 4) for _ in range(4)]
        sent = sum(len(run.result()) for run in runs)
    assert sent == 8 * 4 * 7
    assert _ModelServer.calls > model_calls  # the workers' questions reached the model server

    assert served.wait_for_audit(before.entries + sent) == before.entries + sent  # no lost or extra rows
    report = served.audit().verify()
    assert report.ok, report  # every row's hash covers its predecessor's: no fork, no gap
    entries = served.audit().search(limit=None, newest_first=False)
    assert [e.id for e in entries] == list(range(1, report.entries + 1))
    new = entries[before.entries :]
    assert {e.user for e in new} == {"rita", "sam", "-"}
    assert sum(e.action == "ask" and e.status == 403 for e in new) == 8 * 4
    workers = {e.details.get("worker") for e in new}
    assert workers == served.workers() and len(workers) == 2  # both processes wrote to the one chain


def test_a_follow_up_answered_by_the_other_worker_keeps_its_context(served: Served) -> None:
    crossed = 0
    for i in range(24):
        sid = f"talk-{i}"
        first = served.call("POST", "/api/ask", "rita", {"question": "What was Acme's revenue in 2023?",
                                                         "session_id": sid}, trace=True)  # fmt: skip
        assert first.status == 200 and "12.4" in first.body["answer"]
        follow = served.call("POST", "/api/ask", "rita", {"question": "What about 2022?", "session_id": sid},
                             trace=True)  # fmt: skip
        assert follow.status == 200
        # the session's last question, whichever process answered it, turns the follow-up into a full one
        assert follow.body["standalone_question"] == "What was Acme's revenue in 2022?"
        assert follow.body["company"] == "Acme"
        assert first.worker in served.workers() and follow.worker in served.workers()
        crossed += first.worker != follow.worker
        if crossed >= 2:
            break
    assert crossed >= 2, "the follow-ups never reached the other worker"
    # a conversation is its user's: another user naming the same session id starts afresh
    other = served.call("POST", "/api/ask", "sam", {"question": "What about 2022?", "session_id": "talk-0"})
    assert other.status in (200, 403, 422) and other.body.get("standalone_question") is None


def test_the_sign_in_back_off_holds_on_every_worker(served: Served) -> None:
    checked: list[Reply] = []  # the attempts whose password was checked (and wrong)

    def attempt(password: str = "wrong") -> Reply:
        r = served.call("GET", "/api/me", "victim", password=password, trace=True)
        if r.status == 401:
            checked.append(r)
        return r

    with ThreadPoolExecutor(5) as pool:  # the five free failures, at once: each is checked
        assert [r.status for r in pool.map(lambda _: attempt(), range(5))] == [401] * 5
    while len(checked) < 7:  # then each failure doubles the wait after it: 1 s, 2 s, 4 s
        r = attempt()
        assert r.status in (401, 429), r.body
        if r.status == 429:
            assert int(r.headers["retry-after"]) <= 2 ** (len(checked) - 5)
            time.sleep(int(r.headers["retry-after"]) + 0.1)
    last_failure = time.monotonic()
    refused: list[Reply] = []
    while time.monotonic() - last_failure < 2.5 and {r.worker for r in refused} != served.workers():
        with ThreadPoolExecutor(6) as pool:  # within the 4 s wait even the right password is refused
            refused += pool.map(lambda _: attempt(PASSWORD), range(6))
    assert refused and [r.status for r in refused] == [429] * len(refused), [
        (r.status, r.body) for r in refused
    ]
    assert {r.worker for r in refused} == served.workers()  # by either worker
    time.sleep(0.5)  # a call's audit entry is written after its response
    entries = served.audit().search(action="login_failed", limit=None)
    failed = [e for e in entries if e.details.get("attempted") == "victim"]
    assert len(failed) == 7 == len(checked)  # the workers together checked no more passwords than one would
    assert {e.details["worker"] for e in failed} <= served.workers()


def test_uploads_through_both_workers_are_all_stored(served: Served) -> None:
    import httpx

    auth = ("rita", PASSWORD)

    def upload(i: int) -> int:
        name = f"visit_{i % 6}.txt"  # two uploads of each name, at once
        text = f"Visit note {i}: Acme opened plant number {100 + i} in 2024.\n"
        with httpx.Client(base_url=f"http://127.0.0.1:{served.port}", auth=auth, timeout=60) as client:
            r = client.post(
                "/api/documents", data={"company": "Acme"}, files={"file": (name, text, "text/plain")}
            )
        assert r.status_code in (200, 201), r.text
        assert [f["status"] for f in r.json()["files"]] == ["stored"], r.json()
        return i

    with ThreadPoolExecutor(6) as pool:
        assert sorted(pool.map(upload, range(12))) == list(range(12))
    listed = served.call("GET", "/api/documents?company=Acme", "rita")
    names = {d["doc"] for d in listed.body}
    assert {f"visit_{i}.txt" for i in range(6)} <= names
    folder = served.store / "uploads" / "Acme"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"visit_{i}.txt" for i in range(6))
    for i in range(6):  # each file is one of its two uploads, and the store holds what the file says
        text = (folder / f"visit_{i}.txt").read_text(encoding="utf-8")
        plant = text.split("plant number ")[1].split()[0]
        hits = served.call(
            "POST", "/api/search", "rita", {"query": f"plant number {plant}", "company": "Acme"}
        )
        assert any(h["doc"] == f"visit_{i}.txt" and plant in h["text"] for h in hits.body), hits.body


def test_the_web_app_is_not_served_by_several_workers(served: Served) -> None:
    r = served.call("GET", "/ui/")
    assert r.status == 404 and "worker processes" in r.body["detail"]
    assert "assistant serve --port" in r.body["detail"]
    assert served.call("GET", "/api/health").status == 200


# ---- the shared state, without a server ---------------------------------------------------------------------


def test_the_back_off_is_shared_by_every_process_of_a_store(tmp_path: Path) -> None:
    now = [1_000_000.0]
    one = SignIns.shared(tmp_path / "server.sqlite3", clock=lambda: now[0])
    two = SignIns.shared(tmp_path / "server.sqlite3", clock=lambda: now[0])  # another worker's
    for i in range(5):
        assert (one if i % 2 else two).begin("victim", f"10.0.0.{i}") == 0
    assert one.begin("victim", "10.0.0.9") == two.begin("victim", "10.0.0.9") == 1.0  # the sixth waits
    assert one.report("victim", None) and not two.report("victim", None)  # its first refusal is audited once
    now[0] += 1.5
    assert two.begin("victim", "10.0.0.9") == 0  # counted: now 6 failures, a wait of 2 s after it
    assert one.wait("victim", None) == 2.0
    one.succeeded("victim", "10.0.0.9")
    assert two.wait("victim", None) == 0.0 and two.begin("victim", None) == 0
    fresh = SignIns.shared(tmp_path / "server.sqlite3", clock=lambda: now[0])  # a restart keeps the counts
    assert fresh.users.counts.get("user", "victim") == (1, now[0], False)


def _hold_conversation(path: str, ready: Any, release: Any) -> None:
    conversations = Conversations(Path(path))
    with conversations.held("rita", "s1") as session:
        ready.set()
        release.wait(30)
        session.add("What was Acme's revenue in 2023?", "Acme", "12.4 million")


def test_a_conversation_takes_turns_across_processes(tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    ready, release = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_hold_conversation, args=(str(tmp_path / "server.sqlite3"), ready, release))
    other.start()
    try:
        assert ready.wait(60)
        conversations = Conversations(tmp_path / "server.sqlite3")
        entered = threading.Event()
        turns: list[int] = []

        def ask() -> None:
            with conversations.held("rita", "s1") as session:
                entered.set()
                turns.append(len(session.turns))
                session.add("What about 2022?", "Acme", "…")

        thread = threading.Thread(target=ask)
        thread.start()
        assert not entered.wait(1.0)  # the other process holds the conversation
        with conversations.held("rita", "s2") as unrelated:  # other conversations do not wait
            assert unrelated.turns == []
        release.set()
        thread.join(30)
        assert turns == [1]  # it saw the other process's turn
        with conversations.held("rita", "s1") as session:
            assert [t.question for t in session.turns] == [
                "What was Acme's revenue in 2023?",
                "What about 2022?",
            ]
        with conversations.held("sam", "s1") as session:
            assert session.turns == []  # a conversation is its user's
    finally:
        release.set()
        other.join(30)


def _hold_uploads(store: str, ready: Any, release: Any) -> None:
    from assistant.serve.jobs import exclusive

    with exclusive(
        Path(store) / "uploads.lock"
    ):  # what another worker's SharedUploads holds while it ingests
        ready.set()
        release.wait(30)


def test_uploads_take_turns_across_processes(fake_services: Services, docs: Path) -> None:
    from assistant.serve.api import SharedUploads

    ingest_paths([docs], fake_services.store, fake_services.settings)
    uploads = SharedUploads(fake_services.store, fake_services.settings)
    temp = uploads.receive(io.BytesIO(b"Acme opened a plant in Suzhou in 2024.\n"), "visit.txt")
    spawn = multiprocessing.get_context("spawn")
    ready, release = spawn.Event(), spawn.Event()
    other = spawn.Process(target=_hold_uploads, args=(str(fake_services.settings.store), ready, release))
    other.start()
    try:
        assert ready.wait(60)
        done: list[str] = []
        thread = threading.Thread(
            target=lambda: done.append(uploads.ingest(temp, "Acme", "visit.txt").status)
        )
        thread.start()
        thread.join(1.0)
        assert done == [] and not uploads.path_of("Acme", "visit.txt").exists()  # it waits for the other
        release.set()
        thread.join(30)
        assert done == ["stored"] and uploads.path_of("Acme", "visit.txt").is_file()
    finally:
        release.set()
        other.join(30)


@pytest.fixture
def held_batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Batch jobs wait at their first company until the test sets the event."""
    from assistant.profile.batch import engines

    original, release = engines.profile_task, threading.Event()

    def held(task: Any) -> Any:
        assert release.wait(30)
        return original(task)

    monkeypatch.setattr(engines, "profile_task", held)
    yield release
    release.set()


def _finished(jobs: JobService, job_id: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job is not None and job.finished:
            return job.state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_one_unfinished_job_per_owner_whichever_process_started_it(
    fake_services: Services, docs: Path, held_batch: threading.Event
) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    root = Path(fake_services.settings.store) / "jobs"
    one, two = JobService(root, fake_services), JobService(root, fake_services)  # two workers' services
    rita = Principal(name="rita", role="rm", portfolio=frozenset({"Acme"}), via="password")
    job = one.start(rita, ["Acme"])
    with pytest.raises(JobConflict, match=job.id):
        two.start(rita, ["Acme"])
    assert two.get(job.id) is not None and two.get(job.id).state.status in ("queued", "running")
    other = two.start(LOCAL, ["星河科技"])  # another owner may
    held_batch.set()
    assert _finished(two, job.id).status == "done"  # read from disk by the process that does not run it
    assert _finished(one, other.id).status == "done"
    assert two.start(rita, ["Acme"]).id != job.id  # finished: a new one may start


def test_a_job_resumed_by_two_processes_runs_once(fake_services: Services, docs: Path) -> None:
    from assistant.serve.jobs import owner_lookup

    ingest_paths([docs], fake_services.store, fake_services.settings)
    root = Path(fake_services.settings.store) / "jobs"
    starter = JobService(root, fake_services)
    job = starter.start(LOCAL, ["Acme"], dt.date(2024, 6, 30))
    _finished(starter, job.id)
    state = job.snapshot()
    state.status, state.done, state.ok, state.finished_at = "running", 0, 0, None  # as if a server died
    (root / job.id / "job.json").write_text(state.model_dump_json(), encoding="utf-8")
    one, two = JobService(root, fake_services), JobService(root, fake_services)
    stale = two.get(job.id)  # the second worker read the job before the first ran it …
    assert one.resume(owner_lookup(None)) == 1
    assert _finished(one, job.id).resumed == 1
    two._live[job.id] = stale  # … and queues it only now
    two._enqueue(job.id, resumed=True)
    time.sleep(1.0)
    final = _finished(two, job.id)
    assert (final.status, final.resumed, final.ok) == ("done", 1, 1)  # run once, not again


# ---- where several workers cannot work ----------------------------------------------------------------------


def test_several_workers_are_refused_with_embedded_chroma_or_the_embedded_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded = Settings(store=tmp_path / "s", llm_backend="fake", embedding_backend="fake")
    with pytest.raises(ConfigError, match="needs the Chroma server"):
        check_workers(embedded, 2)
    check_workers(embedded, 1)  # one process: as always
    server = embedded.model_copy(update={"store_backend": "chroma-http"})
    check_workers(server, 4)  # the fake model: no copies to load
    local_model = server.model_copy(update={"llm_backend": "llamacpp"})
    with pytest.raises(ConfigError, match="loads 2 copies") as refused:
        check_workers(local_model, 2)
    assert "ASSISTANT_LLM_BACKEND=openai" in str(refused.value) and "--allow-model-copies" in str(
        refused.value
    )
    check_workers(local_model, 2, allow_model_copies=True)  # the user insists
    check_workers(server.model_copy(update={"llm_backend": "openai"}), 2)
    with pytest.raises(InputError, match="at least 1"):
        check_workers(server, 0)
    # on the command line: one line on stderr, exit 2, nothing served
    for name in ("ASSISTANT_STORE_BACKEND", "ASSISTANT_AUTH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")
    assert main(["--store", str(tmp_path / "s"), "serve", "--workers", "2", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --workers 2 needs the Chroma server") and err.count("\n") == 1
