"""A Chroma server that is not there (nothing listens on its port) or goes away while the store is open: one clear
error (:class:`StoreUnavailable`) naming the server's address and the reason, printed by the CLI as one line
without a traceback, answered by the REST API with 503 and the same message — never a bare httpx error."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.answer.retrieve import hybrid_search
from assistant.cli.main import main
from assistant.core.errors import ConfigError, StoreUnavailable, http_status
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.api import build_api
from assistant.store.remote import ChromaServer, guard_session
from tests.store.conftest import free_port, start_chroma, stop_chroma


def _remote(store: Path, port: int) -> Settings:
    return Settings(store=store, llm_backend="fake", embedding_backend="fake", min_relevance=0.05).model_copy(
        update={"store_backend": "chroma-http", "chroma_host": "127.0.0.1", "chroma_port": port}
    )


def _environment(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("ASSISTANT_STORE_BACKEND", "chroma-http")
    monkeypatch.setenv("ASSISTANT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("ASSISTANT_CHROMA_PORT", str(port))


def test_nothing_listening_on_the_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # and nothing started on it
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(StoreUnavailable) as caught:
        _ = Services(_remote(tmp_path / "store", port)).store
    message = str(caught.value)
    assert f"cannot reach the Chroma server at {url} (connection refused" in message
    assert f"chroma run --path DIR --port {port}" in message
    assert isinstance(caught.value, ConfigError) and http_status(caught.value) == 503

    _environment(monkeypatch, port)
    for command in (["search", "revenue 2023"], ["ask", "What was revenue in 2023?"]):
        argv = ["--store", str(tmp_path / "store"), "--embeddings", "fake", "--llm", "fake", *command]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: cannot reach the Chroma server at {url} (connection refused")
        assert "Traceback" not in err and "httpx" not in err and len(err.strip().splitlines()) == 1


def test_the_server_goes_away_while_the_store_is_open(
    tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    chroma = start_chroma(tmp_path / "chroma")
    try:
        settings = _remote(tmp_path / "store", chroma.port)
        services = Services(settings)
        ingest_paths([docs], services.store, settings)
        client = TestClient(build_api(services, ui=False))
        ok = client.post("/api/search", json={"query": "revenue fiscal 2023", "k": 3})
        assert ok.status_code == 200 and ok.json()
    finally:
        stop_chroma(chroma.process)
    url = ChromaServer(port=chroma.port).url

    # the store that is open: every read of the server says where it is and why it failed
    with pytest.raises(
        StoreUnavailable, match=f"cannot reach the Chroma server at {url} \\(connection refused"
    ):
        services.store.query("patents", "Acme", k=3)
    with pytest.raises(StoreUnavailable, match=f"at {url} "):
        hybrid_search(services.store, "invention patents", "Acme", k=3)
    assert services.store.documents()  # the ledger is local: still there

    # the REST API: 503 with that message, for a search and a question alike
    for path, body in (
        ("/api/search", {"query": "order backlog", "k": 3}),
        ("/api/ask", {"question": "How many invention patents does Acme hold?", "company": "Acme"}),
    ):
        r = client.post(path, json=body)
        assert r.status_code == 503, r.text
        assert r.json()["detail"].startswith(f"cannot reach the Chroma server at {url} (connection refused")
    assert client.get("/api/companies").status_code == 200  # what needs only the ledger still answers

    # the CLI on the same store: one line, no traceback
    _environment(monkeypatch, chroma.port)
    assert main(["--store", str(settings.store), "--embeddings", "fake", "search", "backlog"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach the Chroma server at {url}") and "Traceback" not in err


def test_a_read_that_raced_another_process_s_write_is_read_again() -> None:
    """Chroma fails a read with "Error finding id" (HTTP 500) when another process's write deletes passages the
    read had found (``serve --workers 2`` under the load test): reads are sent again, writes never."""
    import httpx

    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) < 3 or request.url.path.endswith("/delete"):
            body = {
                "error": "InternalError",
                "message": "Error executing plan: Internal error: Error finding id",
            }
            return httpx.Response(500, json=body)
        return httpx.Response(200, json={"ids": ["a"]})

    server = ChromaServer(port=8123)
    client = httpx.Client(transport=httpx.MockTransport(handler), base_url=server.url)
    guard_session(client, server)
    got = client.post("/api/v2/tenants/t/databases/d/collections/c/get", json={"where": {"company": "Acme"}})
    assert got.status_code == 200 and got.json() == {"ids": ["a"]} and len(calls) == 3
    calls.clear()
    failed = client.post("/api/v2/tenants/t/databases/d/collections/c/delete", json={"ids": ["a"]})
    assert failed.status_code == 500 and "Error finding id" in failed.text and len(calls) == 1

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    gone = httpx.Client(transport=httpx.MockTransport(refused), base_url=server.url)
    guard_session(gone, server)
    with pytest.raises(StoreUnavailable, match="at http://127.0.0.1:8123 \\(connection refused"):
        gone.post("/api/v2/tenants/t/databases/d/collections/c/query", json={})
