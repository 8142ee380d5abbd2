"""Worker processes that extract PDF pages in parallel (``python -m assistant.readers.pdf_worker``).

Each worker is a fresh interpreter: nothing is forked from a parent that may hold threads (torch,
onnxruntime, a web server), and the caller's ``__main__`` is never re-imported. It reads requests from
stdin and writes replies to stdout, each a 4-byte big-endian length then a pickle:
request ``(data, key, indexes, tables)`` → reply ``("ok", list[RawPage])`` or ``("error", message)``.
The calling process reads a share of the pages itself while the workers read theirs. Workers are
started on first use, kept for the next PDF, and exit when their stdin closes.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

_HEADER = struct.Struct(">I")
T = TypeVar("T")
log = logging.getLogger(__name__)


def _write(stream: IO[bytes], obj: Any) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("worker closed its pipe")
    (size,) = _HEADER.unpack(head)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("worker closed its pipe mid-message")
    return pickle.loads(payload)


class Worker:
    """One worker process and its pipes."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the assistant package
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env.setdefault("OMP_NUM_THREADS", "1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.readers.pdf_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, request: Any) -> None:
        assert self.process.stdin is not None
        _write(self.process.stdin, request)

    def receive(self) -> Any:
        assert self.process.stdout is not None
        status, value = _read(self.process.stdout)
        if status != "ok":
            raise RuntimeError(value)
        return value

    def stop(self) -> None:
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=2)
        except Exception:
            self.process.kill()


_WORKERS: list[Worker] = []
_LOCK = threading.Lock()


def run(requests: list[Any], local: Callable[[], T]) -> tuple[T, list[Any | None]]:
    """Send one request to each worker, compute ``local()`` here meanwhile, then collect the replies.

    A reply is None when its worker failed (the workers are then stopped; new ones start next time):
    the caller does that share itself.
    """
    with _LOCK:
        replies: list[Any | None] = [None] * len(requests)
        sent: list[Worker] = []
        try:
            while len(_WORKERS) < len(requests):
                _WORKERS.append(Worker())
            for worker, request in zip(_WORKERS, requests, strict=False):
                if not worker.alive():
                    raise RuntimeError(f"worker exited with code {worker.process.returncode}")
                worker.send(request)
                sent.append(worker)
        except Exception as exc:
            log.warning("PDF worker could not start (%s); reading in this process", exc)
            stop_all()
            sent = []
        try:
            mine = local()
        except BaseException:
            stop_all()  # their replies would be out of step with the next request
            raise
        for i, worker in enumerate(sent):
            try:
                replies[i] = worker.receive()
            except Exception as exc:
                log.warning("PDF worker failed (%s); reading its pages in this process", exc)
                stop_all()
                break
        return mine, replies


def stop_all() -> None:
    while _WORKERS:
        _WORKERS.pop().stop()


atexit.register(stop_all)


def main() -> None:
    """The worker loop: serve requests until stdin closes."""
    from assistant.readers.pdf import extract_pages

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the reply stream
    while True:
        try:
            data, key, indexes, tables = _read(stdin)
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("ok", extract_pages(data, key, indexes, tables))
        except Exception as exc:  # report, keep serving
            reply = ("error", f"{type(exc).__name__}: {exc}")
        _write(stdout, reply)


if __name__ == "__main__":
    main()
