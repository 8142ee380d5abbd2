"""Worker processes that extract PDF pages in parallel (each runs :func:`main`).

Each worker is a fresh interpreter: nothing is forked from a parent that may hold threads (torch,
onnxruntime, a web server), and the caller's ``__main__`` is never re-imported. It reads requests from
stdin and writes replies to stdout, each a 4-byte big-endian length then a pickle:
request ``(data, key, indexes, tables)`` → reply ``("ok", list[RawPage])`` or ``("error", message)``
(``data`` is None after a PDF's first batch: the worker keeps the parsed PDF of ``key``). A worker reads
its pages with ``pdf_pages``, as the calling process does (``pdf``), which reads batches itself while the
workers read theirs (``run_batches``). Workers are started on first use, kept for the next PDF, and exit
when their stdin closes.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from assistant.ingest.readers.pdf_pages import extract_pages

_HEADER = struct.Struct(">I")
IN_FLIGHT = 2  # batches a worker holds: the one it reads and the next
T = TypeVar("T")
log = logging.getLogger(__name__)


def _write(stream: IO[bytes], obj: Any) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:  # an unbuffered pipe may take part of it
        written = stream.write(data)
        data = data[written if written is not None else len(data) :]
    stream.flush()


def _exact(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes (fewer only at the end of the stream). The caller's pipes are unbuffered: a buffered
    reader could take the next reply into its buffer, where ``_ready``'s poll never sees it."""
    parts: list[bytes] = []
    while size > 0:
        part = stream.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read(stream: IO[bytes]) -> Any:
    head = _exact(stream, _HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("worker closed its pipe")
    (size,) = _HEADER.unpack(head)
    payload = _exact(stream, size)
    if len(payload) < size:
        raise EOFError("worker closed its pipe mid-message")
    return pickle.loads(payload)


class Worker:
    """One worker process and its pipes."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[3])  # the folder holding the assistant package
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env.setdefault("OMP_NUM_THREADS", "1")
        self.process = subprocess.Popen(
            # -c, not -m: running this module as __main__ would load it twice (the package imports it)
            [sys.executable, "-c", "from assistant.ingest.readers.pdf_worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,  # unbuffered: see ``_exact``
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


def _ready(fds: list[int], timeout: float | None) -> list[int]:
    """Which of these pipes have a reply waiting (poll, not select: a busy process's descriptors can be
    numbered above select's limit of 1024)."""
    if not fds:
        return []
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return [fd for fd, _ in poller.poll(None if timeout is None else int(timeout * 1000))]


def run_batches(
    data: bytes,
    key: str,
    batches: list[list[int]],
    tables: bool,
    helpers: int,
    local: Callable[[list[int]], T],
) -> dict[int, T]:
    """Pages of one PDF in batches, shared as they finish between this process (``local``) and
    ``helpers`` workers: each worker gets the PDF's bytes with its first batch, then only page numbers,
    and always holds a second batch (``IN_FLIGHT``) so it never waits for this process to finish a batch
    of its own before it is given more.
    Returns batch number → pages; a batch missing from the result (a worker failed: the workers are
    stopped) is for the caller to read itself."""
    with _LOCK:
        todo = deque(range(len(batches)))
        done: dict[int, T] = {}
        busy: dict[Worker, deque[int]] = {}

        def give(worker: Worker, first: bool) -> None:
            number = todo.popleft()
            busy.setdefault(worker, deque()).append(number)
            worker.send((data if first else None, key, batches[number], tables))

        try:
            for dead in [w for w in _WORKERS if not w.alive()]:  # exited since the last PDF: start afresh
                _WORKERS.remove(dead)
            while len(_WORKERS) < helpers:
                _WORKERS.append(Worker())
            for worker in _WORKERS[:helpers]:
                if not worker.alive():
                    raise RuntimeError(f"worker exited with code {worker.process.returncode}")
                for n in range(IN_FLIGHT):
                    if todo:
                        give(worker, first=n == 0)
        except Exception as exc:
            log.warning("PDF worker could not start (%s); reading in this process", exc)
            stop_all()
            busy.clear()
        try:
            while todo or any(busy.values()):
                pipes = {
                    w.process.stdout.fileno(): w
                    for w, q in busy.items()
                    if q and w.process.stdout is not None
                }
                ready = _ready(list(pipes), 0 if todo else None)
                for worker in [pipes[fd] for fd in ready]:
                    number = busy[worker].popleft()  # a worker answers in the order it was asked
                    try:
                        done[number] = worker.receive()
                    except Exception as exc:
                        log.warning("PDF worker failed (%s); reading its pages in this process", exc)
                        stop_all()
                        busy.clear()
                        break
                    if todo:
                        give(worker, first=False)
                if todo:
                    number = todo.popleft()
                    done[number] = local(batches[number])
        except BaseException:
            stop_all()  # their replies would be out of step with the next request
            raise
        return done


def stop_all() -> None:
    while _WORKERS:
        _WORKERS.pop().stop()


atexit.register(stop_all)


def main() -> None:
    """The worker loop: serve requests until stdin closes."""
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
