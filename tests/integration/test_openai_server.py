"""The `openai` LLM backend against a real OpenAI-compatible model server: llama-cpp-python's own server
(``python -m llama_cpp.server``) serving the embedded Qwen2.5-Coder-0.5B GGUF, started as a subprocess the
way an operator would start it, once for the module (and again after the test that kills it).

It shows: an answer end to end (verified, with citations); tokens arriving one by one through
``Answerer.stream`` and the REST ``/api/ask/stream``; a time-out as a clear LLMError with the queue freed;
the server killed in the middle of an answer (a clear LLMError at once, the queue freed, the next question
answered once the server is back); and two questions reaching the server together (the app does not
serialise them; the server schedules them itself).

Skipped, saying why, when the model file or the server's extra are missing or the server does not start.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.answer.answerer import Answerer
from assistant.core.errors import AssistantError, LLMError
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import build_llm, model_label
from assistant.models.llm_queue import LLMQueue, QueuedChat

pytestmark = pytest.mark.integration

MODEL = "qwen2.5-coder-0.5b"  # the smallest embedded model
API_KEY = "test-key-17"
START_S = 120.0  # loading the 0.5B model takes a few seconds; a busy CI machine gets more

LUMENROCK = (
    "Lumenrock Sensors Ltd. makes infrared gas sensors for industrial safety.\n"
    "The company was founded in 2016 in Suzhou and employs 140 people.\n"
    "In fiscal 2023 Lumenrock shipped 84,000 sensor modules, up from 61,000 in fiscal 2022.\n"
    "Its largest customer is Haldor Chemicals, which bought 31% of the modules shipped in fiscal 2023.\n"
)
SHIPPED = "How many sensor modules did Lumenrock ship in fiscal 2023?"
CUSTOMER = "Who is Lumenrock's largest customer?"


# ---- the model server ---------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ModelServer:
    """``python -m llama_cpp.server`` in a subprocess of its own (killable mid-answer, restartable)."""

    def __init__(self, model_path: Path, log: Path) -> None:
        self.model_path = model_path
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts: list[float] = []  # seconds each start took

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start the server (again on its port, as an operator restarts one) and wait until it answers."""
        self.port = self.port or _free_port()
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", MODEL,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", "4096",
            "--n_threads", "2",
            "--api_key", API_KEY,
            # llama-cpp-python ends a running stream early when another request arrives, unless told not to
            "--interrupt_requests", "False",
        ]  # fmt: skip
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        while time.monotonic() - started < START_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}: {self.tail()}")
            try:
                r = httpx.get(f"{self.url}/models", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=2)
                if r.status_code == 200:
                    self.starts.append(round(time.monotonic() - started, 1))
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"not ready after {START_S:g} s: {self.tail()}")

    def ensure(self) -> ModelServer:
        if not self.alive():
            self.start()
        return self

    def kill(self) -> None:
        """The server process is gone at once (SIGKILL), mid-whatever it was doing."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return ""


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelServer]:
    for module in ("llama_cpp.server", "sse_starlette", "starlette_context", "uvicorn"):
        try:
            found = importlib.util.find_spec(module)
        except ImportError:
            found = None
        if found is None:
            pytest.skip(
                f"llama-cpp-python's server is not installed ({module} is missing): "
                "pip install 'llama-cpp-python[server]'"
            )
    from assistant.core.errors import ModelError
    from assistant.models.files import ensure_model, gguf_spec

    try:
        path = ensure_model(
            gguf_spec(MODEL), Settings().model_cache
        )  # joined from its packages, sha256 checked
    except ModelError as exc:
        pytest.skip(f"the embedded model {MODEL} is not available: {exc}")
    server = ModelServer(path, tmp_path_factory.mktemp("model-server") / "server.log")
    try:
        server.start()
    except RuntimeError as exc:
        pytest.skip(f"llama_cpp.server did not start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def live(model_server: ModelServer) -> ModelServer:
    """The shared server, started again if a test killed it."""
    try:
        return model_server.ensure()
    except RuntimeError as exc:
        pytest.fail(f"llama_cpp.server did not start again: {exc}")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fictional company's notes (every prompt shares its passages: the server reuses their prefix)."""
    root = tmp_path_factory.mktemp("openai-docs")
    (root / "Lumenrock").mkdir()
    (root / "Lumenrock" / "company_notes.txt").write_text(LUMENROCK, encoding="utf-8")
    return root


def _services(live: ModelServer, docs: Path, store: Path, **overrides: Any) -> Services:
    """Services of a store of ``docs`` whose LLM is the model server (fake embeddings: the LLM is tested)."""
    values: dict[str, Any] = {
        "store": store,
        "llm_backend": "openai",
        "openai_base_url": live.url,
        "openai_api_key": API_KEY,
        "llm_model": MODEL,
        "llm_max_tokens": 128,
        "answer_budget_s": 120,  # a question may wait for another at the server (which runs one at a time)
        "embedding_backend": "fake",
        "min_relevance": 0.05,
    }
    settings = Settings(**{**values, **overrides})
    services = Services(settings)
    ingest_paths([docs], services.store, settings)
    return services


def _idle(queue: LLMQueue) -> bool:
    return queue.status() == {"running": 0, "waiting": 0}


# ---- an answer, end to end --------------------------------------------------------------------
def test_ask_end_to_end(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    services = _services(live, docs, tmp_path / "store")
    answer = services.answerer.ask(SHIPPED, company="Lumenrock")
    assert answer.model == f"openai:{MODEL}"
    assert answer.path == "verified" and not answer.insufficient_evidence, answer.answer
    assert "84,000" in answer.answer
    assert [c.doc for c in answer.citations] == ["company_notes.txt"]
    assert "84,000" in answer.citations[0].quote
    assert answer.first_token_s is not None and answer.first_token_s < answer.latency_s


def test_tokens_stream_one_by_one(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    services = _services(live, docs, tmp_path / "store")
    started = time.monotonic()
    arrivals: list[tuple[float, str]] = []
    final = None
    for event in services.answerer.stream(CUSTOMER, company="Lumenrock"):
        if event.kind == "token":
            arrivals.append((time.monotonic() - started, event.token))
        elif event.kind == "answer":
            final = (time.monotonic() - started, event.answer)
    assert final is not None and final[1] is not None
    ended, answer = final
    assert answer.path == "verified" and "Haldor" in answer.answer, answer.answer
    assert answer.citations[0].doc == "company_notes.txt"
    assert len(arrivals) >= 5, arrivals
    # the first token arrives while the model is still writing: the answer is not sent in one piece
    assert arrivals[-1][0] - arrivals[0][0] > 0.2, arrivals
    assert arrivals[0][0] < ended - 0.2


def test_rest_ask_stream(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    import uvicorn

    from assistant.serve.api import build_api

    services = _services(live, docs, tmp_path / "store")
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(build_api(services, ui=False), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if uv.started:
                break
            time.sleep(0.1)
        lines: list[tuple[float, dict[str, Any]]] = []
        started = time.monotonic()
        with httpx.stream(
            "POST",
            f"http://127.0.0.1:{port}/api/ask/stream",
            json={"question": SHIPPED, "company": "Lumenrock"},
            timeout=120,
        ) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.strip():
                    lines.append((time.monotonic() - started, json.loads(line)))
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
    kinds = [event["kind"] for _, event in lines]
    assert kinds[0] == "queue" and lines[0][1]["position"] == 0  # nobody waits for a model server's turn
    assert kinds[-1] == "answer" and kinds.count("token") >= 5, kinds
    answer = lines[-1][1]["answer"]
    assert answer["path"] == "verified" and answer["citations"][0]["doc"] == "company_notes.txt"
    tokens = [t for t, event in lines if event["kind"] == "token"]
    assert tokens[-1] - tokens[0] > 0.2 and tokens[0] < lines[-1][0] - 0.2  # over the wire one by one


# ---- failures: a clear error, the queue freed, the next question answered ---------------------
def test_timeout_is_a_clear_error_and_frees_the_queue(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    services = _services(live, docs, tmp_path / "store")
    # one model turn at a time in this queue, as the embedded model has: a slot the time-out left held
    # would stop the next question for ever
    queue = LLMQueue(concurrency=1)

    def answerer(settings: Settings) -> Answerer:
        chat = QueuedChat(inner=lambda: build_llm(settings), queue=queue)
        return Answerer(services.store, lambda: chat, settings, model_label(settings))

    # 1 ms: less than any reply (a token, or even the response's headers) takes
    hasty = answerer(services.settings.model_copy(update={"openai_timeout_s": 0.001}))
    started = time.monotonic()
    with pytest.raises(LLMError) as failed:
        hasty.ask(SHIPPED, company="Lumenrock")
    waited = time.monotonic() - started
    message = str(failed.value)
    assert f"LLM backend 'openai' (model {MODEL} at {live.url})" in message
    assert "no reply within 0.001 s (ASSISTANT_OPENAI_TIMEOUT_S)" in message
    assert waited < 5, waited  # the request and its one retry, not the answer
    assert _idle(queue)

    patient = answerer(services.settings)
    done: list[Any] = []
    asking = threading.Thread(target=lambda: done.append(patient.ask(SHIPPED, company="Lumenrock")))
    asking.start()
    asking.join(120)
    assert done, "the next question did not get the model"
    assert done[0].path == "verified" and "84,000" in done[0].answer, done[0].answer
    assert _idle(queue)


def test_wrong_api_key_names_the_setting(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    services = _services(live, docs, tmp_path / "store", openai_api_key="wrong")
    with pytest.raises(LLMError, match="HTTP 401.*check ASSISTANT_OPENAI_API_KEY"):
        services.answerer.ask(SHIPPED, company="Lumenrock")
    assert _idle(services.llm_queue)


def test_server_killed_mid_answer(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    services = _services(live, docs, tmp_path / "store")
    tokens: list[str] = []
    errors: list[BaseException] = []
    killed_at: list[float] = []

    def read() -> None:
        try:
            for event in services.answerer.stream(CUSTOMER, company="Lumenrock"):  # the longer answer
                if event.kind == "token":
                    tokens.append(event.token)
                    if not killed_at:
                        live.kill()  # the server process dies while it writes the answer
                        killed_at.append(time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(120)
    assert not reader.is_alive(), "the stream hung after the server died"
    assert killed_at and tokens
    (error,) = errors
    assert isinstance(error, LLMError), repr(error)
    assert f"LLM backend 'openai' (model {MODEL} at {live.url})" in str(error)
    assert "the server went away in the middle of the answer" in str(error)
    assert _idle(services.llm_queue)

    # while it is down: at once "could not reach", not a hang
    started = time.monotonic()
    with pytest.raises(LLMError, match="could not reach the server"):
        services.answerer.ask(SHIPPED, company="Lumenrock")
    assert time.monotonic() - started < 10
    assert _idle(services.llm_queue)

    # an operator restarts it: the same app answers again
    live.start()
    answer = services.answerer.ask(SHIPPED, company="Lumenrock")
    assert answer.path == "verified" and "84,000" in answer.answer, answer.answer


# ---- concurrency: the app does not serialise questions for a server ---------------------------
class CountingProxy:
    """A TCP relay in front of the model server counting chat requests in flight: from a request's first
    bytes until the ``[DONE]`` of its answer (or its connection closing)."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _change(self, by: int) -> None:
        with self.lock:
            self.in_flight += by
            self.most = max(self.most, self.in_flight)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            busy = threading.Event()
            threading.Thread(target=self._requests, args=(client, server, busy), daemon=True).start()
            threading.Thread(target=self._answers, args=(server, client, busy), daemon=True).start()

    def _requests(self, src: socket.socket, dst: socket.socket, busy: threading.Event) -> None:
        try:
            while data := src.recv(65536):
                if data.startswith(b"POST ") and not busy.is_set():
                    busy.set()
                    self._change(+1)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def _answers(self, src: socket.socket, dst: socket.socket, busy: threading.Event) -> None:
        tail = b""
        try:
            while data := src.recv(65536):
                dst.sendall(data)
                if busy.is_set() and b"[DONE]" in tail + data:
                    busy.clear()
                    self._change(-1)
                tail = data[-8:]
        except OSError:
            pass
        finally:
            if busy.is_set():
                busy.clear()
                self._change(-1)
            dst.close()

    def close(self) -> None:
        self.listener.close()


def test_two_questions_overlap(live: ModelServer, docs: Path, tmp_path: Path) -> None:
    proxy = CountingProxy(live.port)
    try:
        services = _services(
            live, docs, tmp_path / "store", openai_base_url=f"http://127.0.0.1:{proxy.port}/v1"
        )
        assert services.llm_queue.concurrency is None  # the server's own scheduling applies
        spans: dict[str, tuple[float, float]] = {}
        answers: dict[str, Any] = {}
        running: list[int] = []

        def ask(question: str) -> None:
            started = time.monotonic()
            try:
                answers[question] = services.answerer.ask(question, company="Lumenrock")
            except AssistantError as exc:
                answers[question] = exc
            spans[question] = (started, time.monotonic())

        threads = [threading.Thread(target=ask, args=(q,)) for q in (SHIPPED, CUSTOMER)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            running.append(services.llm_queue.status()["running"])
            time.sleep(0.05)
        for t in threads:
            t.join(120)
        assert proxy.most == 2, "the second question's request waited for the first answer"
        assert max(running) == 2
        (a0, a1), (b0, b1) = spans[SHIPPED], spans[CUSTOMER]
        assert a0 < b1 and b0 < a1  # the questions overlap in time
        for question, answer in answers.items():
            assert not isinstance(answer, Exception), (question, answer)
            assert answer.path == "verified" and answer.citations, (question, answer.answer)
    finally:
        proxy.close()
