"""The `openai` LLM backend against a small local OpenAI-compatible HTTP server (no mock objects)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths

REPLY = "The order backlog at the end of fiscal 2023 was $3.1 million [1]."


class _Handler(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        base = {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"]}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in REPLY.split(" "):
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            end = {**base, "object": "chat.completion.chunk"}
            end["choices"] = [{"index": 0, "delta": {}, "finish_reason": "stop"}]  # as real servers end
            self.wfile.write(f"data: {json.dumps(end)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = {
            **base,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_answer_through_openai_compatible_server(server: str, tmp_path: Path, docs: Path) -> None:
    settings = Settings(
        store=tmp_path / "s",
        llm_backend="openai",
        openai_base_url=server,
        llm_model="bank-llm-70b",
        openai_api_key="secret-token",
        embedding_backend="fake",
        min_relevance=0.05,
    )
    services = Services(settings)
    ingest_paths([docs], services.store, settings)
    answer = services.answerer.ask("Acme order backlog for fiscal 2023?", company="Acme")
    assert answer.model == "openai:bank-llm-70b"
    assert not answer.insufficient_evidence
    assert answer.answer == REPLY
    assert answer.citations[0].doc == "notes.txt"
    (request,) = _Handler.requests
    assert request["body"]["model"] == "bank-llm-70b"
    assert request["auth"] == "Bearer secret-token"
    user_turn = request["body"]["messages"][-1]["content"]
    assert "[1] (notes.txt)" in user_turn and "$3.1 million" in user_turn


def test_missing_base_url_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.core.errors import ConfigError
    from assistant.models.llm import build_llm

    with pytest.raises(ConfigError, match="ASSISTANT_OPENAI_BASE_URL"):
        build_llm(Settings(store=tmp_path, llm_backend="openai"))


def test_unreachable_server_is_an_llm_error(tmp_path: Path, docs: Path) -> None:
    settings = Settings(
        store=tmp_path / "s",
        llm_backend="openai",
        openai_base_url="http://127.0.0.1:9/v1",
        embedding_backend="fake",
        min_relevance=0.05,
        openai_timeout_s=2,
    )
    services = Services(settings)
    ingest_paths([docs], services.store, settings)
    from assistant.core.errors import LLMError

    with pytest.raises(LLMError, match="could not reach"):
        services.answerer.ask("Acme order backlog for fiscal 2023?", company="Acme")
