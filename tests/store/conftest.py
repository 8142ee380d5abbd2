"""A real Chroma server for the store tests.

``chroma_server`` starts ``chroma run --path TMP --port P`` once per session as a subprocess, the way an operator
would (a free port; ready when its heartbeat answers; stopped at the end) and skips, with the reason, when the
``chroma`` command cannot start. ``test_chroma_server.py`` always runs against it.

Every other test of this folder runs against it too when ``ASSISTANT_STORE_BACKEND=chroma-http`` is set::

    ASSISTANT_STORE_BACKEND=chroma-http .venv/bin/python -m pytest -q tests/store

(an autouse fixture points ``ASSISTANT_CHROMA_HOST`` / ``_PORT`` at the session's server, so the ``Settings`` a
test builds, and the subprocesses it starts, use it). With ``ASSISTANT_CHROMA_PORT`` set as well, the server
already running there is used instead and none is started. Each test's store directory gets collections of its
own on the server, so tests never see each other's passages.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class RunningChroma:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_binary() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


def start_chroma(path: Path, port: int | None = None, wait_s: float = 60.0) -> RunningChroma:
    """``chroma run`` on a free port, ready (its heartbeat answers); pytest.skip when it cannot start."""
    exe = chroma_binary()
    if exe is None:
        pytest.skip("the `chroma` command is not installed (it comes with the chromadb package)")
    port = port or free_port()
    path.mkdir(parents=True, exist_ok=True)
    log = path / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [exe, "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-600:]
            pytest.skip(f"`chroma run` exited with {process.returncode} at start: {tail}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as r:
                if r.status == 200:
                    return RunningChroma("127.0.0.1", port, process, path)
        except OSError:
            time.sleep(0.2)
    stop_chroma(process)
    pytest.skip(f"`chroma run` did not answer its heartbeat within {wait_s:.0f}s")


def stop_chroma(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningChroma]:
    server = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    try:
        yield server
    finally:
        stop_chroma(server.process)


@pytest.fixture(autouse=True)
def _store_backend_from_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """ASSISTANT_STORE_BACKEND=chroma-http: this folder's tests run against the session's Chroma server."""
    if os.environ.get("ASSISTANT_STORE_BACKEND") != "chroma-http" or os.environ.get("ASSISTANT_CHROMA_PORT"):
        return
    server: RunningChroma = request.getfixturevalue("chroma_server")
    monkeypatch.setenv("ASSISTANT_CHROMA_HOST", server.host)
    monkeypatch.setenv("ASSISTANT_CHROMA_PORT", str(server.port))


# ---- TLS and a token in front of the server, as a bank's proxy would put them ----------------------------


@dataclass
class TlsProxy:
    port: int
    ca_file: Path
    token: str
    refused: list[str]


@pytest.fixture
def tls_proxy(chroma_server: RunningChroma, tmp_path: Path) -> Iterator[TlsProxy]:
    """HTTPS on a port of its own, forwarded to the Chroma server; a connection whose first request lacks
    ``Authorization: Bearer <token>`` is answered 401. The certificate is self-signed for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make the proxy's certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    proxy = TlsProxy(port=free_port(), ca_file=cert, token="s3cret-token", refused=[])
    listener = socket.create_server(("127.0.0.1", proxy.port))
    listener.settimeout(0.2)
    stopping = threading.Event()

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def serve(raw: socket.socket) -> None:
        try:
            conn = context.wrap_socket(raw, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            if f"authorization: bearer {proxy.token}".encode() not in head.lower():
                proxy.refused.append(head.split(b"\r\n")[0].decode(errors="replace"))
                conn.sendall(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                conn.close()
                return
            upstream = socket.create_connection(("127.0.0.1", chroma_server.port))
            upstream.sendall(head)
            threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
            pipe(conn, upstream)
        except (OSError, ssl.SSLError):
            pass

    def accept() -> None:
        while not stopping.is_set():
            try:
                raw, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            raw.settimeout(None)
            threading.Thread(target=serve, args=(raw,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
