"""Sign-in back-off: how often a user name or a client address may try again after failed sign-ins.

One :class:`SignIns` serves the REST API and the web app alike (``serve/deps`` and ``serve/webgate``). The
server's (:meth:`SignIns.shared`) keeps its counts in ``<store>/server.sqlite3``, so every worker process of
``assistant serve --workers N`` applies the same back-off, whichever of them gets an attempt, and a restart
does not reset it; a bare ``SignIns()`` counts in memory (one process).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Row = tuple[int, float, bool]  # failures, time of the last failure, whether its wait was reported


class MemoryCounts:
    """Failure counts in this process's memory (least recently failed first)."""

    def __init__(self) -> None:
        self._rows: OrderedDict[tuple[str, str], Row] = OrderedDict()
        self._lock = threading.RLock()

    @contextmanager
    def tx(self) -> Iterator[None]:
        with self._lock:
            yield

    def get(self, scope: str, key: str) -> Row | None:
        with self._lock:
            return self._rows.get((scope, key))

    def put(self, scope: str, key: str, row: Row, touch: bool) -> None:
        with self._lock:
            self._rows[(scope, key)] = row
            if touch:
                self._rows.move_to_end((scope, key))

    def drop(self, scope: str, key: str) -> None:
        with self._lock:
            self._rows.pop((scope, key), None)

    def trim(self, scope: str, max_keys: int, older_than: float) -> None:
        with self._lock:  # one throttle's counts: the least recently failed go first
            while len(self._rows) > max_keys:
                self._rows.popitem(last=False)


class SharedCounts:
    """Failure counts in a SQLite file that every process of the server opens; a transaction (``tx``) is
    ``BEGIN IMMEDIATE``, so a read-and-count is atomic across processes."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS sign_ins (
        scope TEXT NOT NULL, key TEXT NOT NULL, failures INTEGER NOT NULL, last REAL NOT NULL,
        told INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scope, key));
    CREATE INDEX IF NOT EXISTS sign_ins_last ON sign_ins (scope, last);
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()  # one connection per process, used under the lock
        self._depth = 0
        self._db.executescript(self.SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def get(self, scope: str, key: str) -> Row | None:
        with self._lock:
            found = self._db.execute(
                "SELECT failures, last, told FROM sign_ins WHERE scope = ? AND key = ?", (scope, key)
            ).fetchone()
        return (int(found[0]), float(found[1]), bool(found[2])) if found else None

    def put(self, scope: str, key: str, row: Row, touch: bool) -> None:
        with self.tx():
            self._db.execute(
                "INSERT OR REPLACE INTO sign_ins (scope, key, failures, last, told) VALUES (?, ?, ?, ?, ?)",
                (scope, key, row[0], row[1], int(row[2])),
            )

    def drop(self, scope: str, key: str) -> None:
        with self.tx():
            self._db.execute("DELETE FROM sign_ins WHERE scope = ? AND key = ?", (scope, key))

    def trim(self, scope: str, max_keys: int, older_than: float) -> None:
        with self.tx():
            self._db.execute("DELETE FROM sign_ins WHERE scope = ? AND last < ?", (scope, older_than))
            (count,) = self._db.execute("SELECT COUNT(*) FROM sign_ins WHERE scope = ?", (scope,)).fetchone()
            if count > max_keys:
                self._db.execute(
                    "DELETE FROM sign_ins WHERE scope = ? AND key IN "
                    "(SELECT key FROM sign_ins WHERE scope = ? ORDER BY last LIMIT ?)",
                    (scope, scope, count - max_keys),
                )


Counts = MemoryCounts | SharedCounts


class Throttle:
    """Back-off after failed sign-ins, per key (a user name, a client address): after ``free`` failures
    within ``window_s``, each further attempt must wait ``base_s · 2^(failures − free)`` seconds (at most
    ``cap_s``) after the last failure — even with the right password, so guessing stays slow. A success
    clears the key. Counting every name (known or not) alike, it tells nothing about which users exist.
    The counts live in ``counts`` (this process's memory by default) under ``scope``."""

    def __init__(
        self,
        free: int = 5,
        base_s: float = 1.0,
        cap_s: float = 300.0,
        window_s: float = 900.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        counts: Counts | None = None,
        scope: str = "key",
    ) -> None:
        self.free, self.base_s, self.cap_s, self.window_s, self.max_keys = (
            free,
            base_s,
            cap_s,
            window_s,
            max_keys,
        )
        self.clock = clock
        self.counts: Counts = counts if counts is not None else MemoryCounts()
        self.scope = scope

    def wait(self, key: str) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        failures, last, _ = self._live(key)
        if failures < self.free:
            return 0.0
        delay = min(
            self.cap_s, self.base_s * 2.0 ** min(failures - self.free, 64)
        )  # 2**64 s: capped long before
        return max(0.0, last + delay - self.clock())

    def failed(self, key: str) -> None:
        with self.counts.tx():
            failures, _, _ = self._live(key)
            now = self.clock()
            self.counts.put(self.scope, key, (failures + 1, now, False), touch=True)
            self.counts.trim(self.scope, self.max_keys, now - self.window_s - self.cap_s)

    def succeeded(self, key: str) -> None:
        self.counts.drop(self.scope, key)

    def undo(self, key: str) -> None:
        """Take back one failure (an attempt counted before its check, which then succeeded)."""
        with self.counts.tx():
            failures, last, told = self.counts.get(self.scope, key) or (0, 0.0, False)
            if failures > 1:
                self.counts.put(self.scope, key, (failures - 1, last, told), touch=False)
            else:
                self.counts.drop(self.scope, key)

    def first_refusal(self, key: str) -> bool:
        """True the first time ``key`` is refused after its latest failure (that refusal is audited; the
        rest of the wait is not: an attacker ignoring Retry-After cannot flood the audit log)."""
        with self.counts.tx():
            row = self.counts.get(self.scope, key)
            if row is None:
                return True
            if not row[2]:
                self.counts.put(self.scope, key, (row[0], row[1], True), touch=False)
            return not row[2]

    def _live(self, key: str) -> Row:
        row = self.counts.get(self.scope, key)
        if row is None or (row[0] and self.clock() - row[1] > self.window_s + self.cap_s):
            return 0, 0.0, False
        return row


class SignIns:
    """The back-off of every sign-in (API and web app alike): per user name and per client address (an
    address gets more free failures: an office behind one NAT shares it).

    An attempt counts as a failure from the moment it is let through (:meth:`begin`) until its check
    succeeds (:meth:`succeeded`), and checks of one user name take turns (:meth:`turn`): a burst of guesses
    sent at once — at one name, or at many names from one address — gets no more checks than a patient
    client. A success clears the user name's count and takes back only its own attempt from the address's
    (one valid account does not reset an address that is guessing at others)."""

    def __init__(self, users: Throttle | None = None, addresses: Throttle | None = None) -> None:
        self.users = users or Throttle(free=5)
        self.addresses = addresses or Throttle(free=20)
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, path: Path, clock: Callable[[], float] = time.time) -> SignIns:
        """Counts kept in the SQLite file ``path`` (``<store>/server.sqlite3``), shared by every process that
        opens it; wall-clock time, so they mean the same in every process and after a restart."""
        counts = SharedCounts(path)
        return cls(
            Throttle(free=5, clock=clock, counts=counts, scope="user"),
            Throttle(free=20, clock=clock, counts=counts, scope="address"),
        )

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """Both counts at once (one transaction when they share a file; users' first, always)."""
        with self._lock, self.users.counts.tx(), self.addresses.counts.tx():
            yield

    def turn(self, name: str | None, address: str | None) -> asyncio.Lock:
        """The lock to hold while checking a sign-in of ``name`` (of the address when there is no name)."""
        key = f"user:{name}" if name else f"address:{address}"
        lock = self._turns.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._turns[key] = lock
        return lock

    def wait(self, name: str | None, address: str | None) -> float:
        """Seconds to wait before this sign-in may be checked (0: now)."""
        return max(self.users.wait(name) if name else 0.0, self.addresses.wait(address) if address else 0.0)

    def begin(self, name: str | None, address: str | None) -> float:
        """Let an attempt through (0), counting it as a failure until it succeeds, or the seconds to wait."""
        with self._tx():
            wait = self.wait(name, address)
            if wait > 0:
                return wait
            for throttle, key in ((self.users, name), (self.addresses, address)):
                if key:
                    throttle.failed(key)
            return 0.0

    def succeeded(self, name: str | None, address: str | None) -> None:
        with self._tx():
            if name:
                self.users.succeeded(name)
            if address:
                self.addresses.undo(address)

    def report(self, name: str | None, address: str | None) -> bool:
        """Whether to audit this refusal (the first of a wait, per key)."""
        with self._tx():
            waiting = [
                (t, k) for t, k in ((self.users, name), (self.addresses, address)) if k and t.wait(k) > 0
            ]
            return any([t.first_refusal(k) for t, k in waiting])
