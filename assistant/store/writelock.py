"""One writer at a time per store directory, across processes.

The ledger lives in the store directory; the vectors live in Chroma (embedded, or on a server that several
processes of the app share: ``serve --workers N``, batch workers). A write moves a document through the ledger
(``pending``), then Chroma, then the ledger again (``stored``), and ``recover()`` treats any ``pending`` row
and any vector without a source row as the remains of a dead run. That is only true if no live writer is
between those steps, so every write and every repair holds this lock: ``fcntl.flock`` on
``<store>/write.lock``, which the operating system releases when the holder dies — a ``kill -9`` never leaves
it held. Re-entrant within one lock object (a failed write repairs under the lock it holds).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process per store, as before
    fcntl = None  # type: ignore[assignment]

FILE = "write.lock"


class WriteLock:
    """An exclusive inter-process lock on ``<directory>/write.lock`` (and a thread lock within the process)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / FILE
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0 and fcntl is not None:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fd, self._fd = self._fd, None
                    fcntl.flock(fd, fcntl.LOCK_UN)  # closing alone would release it too
                    os.close(fd)
