"""How the `openai` backend fails and how many questions it runs at once, against a small scripted
OpenAI-compatible HTTP server (no mock objects): time-outs, a server gone mid-answer, a stream cut short,
HTTP errors — each an LLMError naming the backend, with the LLM queue freed — and questions that reach the
server together (the app does not serialise them; the embedded model's queue still does)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from assistant.core.errors import LLMError
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import llm_concurrency
from assistant.models.llm_queue import LLMQueue

QUESTION = "Acme order backlog for fiscal 2023?"
REPLY = "The order backlog at the end of fiscal 2023 was $3.1 million [1]."
WORDS = REPLY.split(" ")


class _Script(BaseHTTPRequestHandler):
    """Streams WORDS as chat-completion chunks, as ``mode`` says: "ok", "slow" (waits before the headers),
    "die" (closes the socket after two chunks, the chunked body unfinished), "cut" (a clean end without a
    finish reason), "401", or "gather" (holds each answer until two requests are in flight, or ``gather_s``)."""

    protocol_version = "HTTP/1.1"
    mode: ClassVar[str] = "ok"
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0
    lock: ClassVar[threading.Lock] = threading.Lock()
    gathered: ClassVar[threading.Event] = threading.Event()
    gather_s: ClassVar[float] = 5.0

    def log_message(self, *args: object) -> None:
        pass

    def _chunk(self, data: str) -> None:
        raw = f"data: {data}\n\n".encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
            if cls.in_flight >= 2:
                cls.gathered.set()
        try:
            self._answer(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its time-out)
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _answer(self, body: dict) -> None:
        mode = type(self).mode
        if mode == "slow":
            time.sleep(3)
        if mode == "gather":
            type(self).gathered.wait(type(self).gather_s)
        if mode == "401":
            data = json.dumps({"error": {"message": "Invalid API key", "type": "auth"}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
        for i, word in enumerate(WORDS):
            if mode == "die" and i == 2:
                self.connection.shutdown(socket.SHUT_RDWR)  # the server process is gone
                self.close_connection = True
                return
            delta = {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
            self._chunk(json.dumps({**base, "choices": [delta]}))
        if mode != "cut":
            self._chunk(json.dumps({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        self._chunk("[DONE]")
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def server() -> Iterator[str]:
    _Script.mode, _Script.in_flight, _Script.most_in_flight = "ok", 0, 0
    _Script.gathered, _Script.gather_s = threading.Event(), 5.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Script)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def _services(url: str, root: Path, docs: Path, **overrides: object) -> Services:
    settings = Settings(
        store=root / "s",
        llm_backend="openai",
        openai_base_url=url,
        llm_model="bank-llm",
        embedding_backend="fake",
        min_relevance=0.05,
        **overrides,  # type: ignore[arg-type]
    )
    services = Services(settings)
    ingest_paths([docs], services.store, settings)
    return services


def _idle(services: Services) -> bool:
    return services.llm_queue.status() == {"running": 0, "waiting": 0}


def test_a_server_answer_streams_and_verifies(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs)
    answer = services.answerer.ask(QUESTION, company="Acme")
    assert answer.path == "verified" and answer.citations[0].doc == "notes.txt"


def test_timeout_is_an_llm_error_and_frees_the_queue(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs, openai_timeout_s=0.2)
    _Script.mode = "slow"
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"LLM backend 'openai' \(model bank-llm at .*no reply within 0.2 s"):
        services.answerer.ask(QUESTION, company="Acme")
    assert time.monotonic() - started < 2.5  # the request and its one retry, not the server's 3 s
    assert _idle(services)
    services.settings.openai_timeout_s = 30
    services.__dict__.pop("llm")  # a model with the longer timeout; the same queue
    _Script.mode = "ok"
    assert services.answerer.ask(QUESTION, company="Acme").path == "verified"


def test_server_gone_mid_answer_is_an_llm_error(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs)
    _Script.mode = "die"
    tokens: list[str] = []
    with pytest.raises(LLMError, match="'openai'.*went away in the middle of the answer"):
        for event in services.answerer.stream(QUESTION, company="Acme"):
            tokens += [event.token] if event.kind == "token" else []
    assert tokens[:2] == ["The ", "order "]
    assert _idle(services)
    _Script.mode = "ok"
    assert services.answerer.ask(QUESTION, company="Acme").path == "verified"


def test_stream_cut_short_is_not_an_answer(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs)
    _Script.mode = "cut"
    with pytest.raises(LLMError, match="without a finish reason.*--interrupt_requests False"):
        services.answerer.ask(QUESTION, company="Acme")
    assert _idle(services)


def test_http_error_names_the_setting(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs)
    _Script.mode = "401"
    with pytest.raises(LLMError, match="HTTP 401.*ASSISTANT_OPENAI_API_KEY"):
        services.answerer.ask(QUESTION, company="Acme")
    assert _idle(services)


def test_questions_reach_the_server_together(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs)
    assert services.llm_queue.concurrency is None
    _Script.mode = "gather"
    answers: list[str] = []

    def ask() -> None:
        answers.append(services.answerer.ask(QUESTION, company="Acme").path)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert answers == ["verified", "verified"]
    assert _Script.most_in_flight == 2 and time.monotonic() - started < 5  # neither waited for the other


def test_a_concurrency_limit_holds(server: str, tmp_path: Path, docs: Path) -> None:
    services = _services(server, tmp_path, docs, openai_concurrency=1)
    assert services.llm_queue.concurrency == 1
    _Script.mode, _Script.gather_s = "gather", 0.5  # each waits for a second request that never comes
    threads = [
        threading.Thread(target=lambda: services.answerer.ask(QUESTION, company="Acme")) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert _Script.most_in_flight == 1


def test_concurrency_by_backend() -> None:
    assert llm_concurrency(Settings(llm_backend="llamacpp")) == 1
    assert llm_concurrency(Settings(llm_backend="fake")) == 1
    assert llm_concurrency(Settings(llm_backend="openai")) is None
    assert llm_concurrency(Settings(llm_backend="openai", openai_concurrency=4)) == 4


def test_queue_with_several_slots() -> None:
    queue = LLMQueue(concurrency=2)
    inside = threading.Barrier(3, timeout=5)
    release = threading.Event()
    positions: list[int] = []

    def hold() -> None:
        with queue.slot():
            inside.wait()
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    inside.wait()  # both generate at once
    assert queue.status() == {"running": 2, "waiting": 0} and queue.ahead() == 1

    from assistant.models.llm_queue import Ticket, waiting_as

    def third() -> None:
        with waiting_as(Ticket(on_position=positions.append)), queue.slot():
            pass

    waiter = threading.Thread(target=third)
    waiter.start()
    while queue.status()["waiting"] < 1:
        time.sleep(0.01)
    assert queue.status() == {"running": 2, "waiting": 1} and queue.ahead() == 2
    release.set()
    for t in [*holders, waiter]:
        t.join(5)
    assert positions == [1, 0] and queue.status() == {"running": 0, "waiting": 0}

    unlimited = LLMQueue(concurrency=None)
    with unlimited.slot(), unlimited.slot(), unlimited.slot():
        assert unlimited.status() == {"running": 3, "waiting": 0} and unlimited.ahead() == 0
    with pytest.raises(ValueError):
        LLMQueue(concurrency=0)
