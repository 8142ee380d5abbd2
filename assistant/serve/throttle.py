"""Sign-in back-off: how often a user name or a client address may try again after failed sign-ins.

One :class:`SignIns` serves the REST API and the web app alike (``serve/deps`` and ``serve/webgate``).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable


class Throttle:
    """Back-off after failed sign-ins, per key (a user name, a client address): after ``free`` failures
    within ``window_s``, each further attempt must wait ``base_s · 2^(failures − free)`` seconds (at most
    ``cap_s``) after the last failure — even with the right password, so guessing stays slow. A success
    clears the key. Counting every name (known or not) alike, it tells nothing about which users exist."""

    def __init__(
        self,
        free: int = 5,
        base_s: float = 1.0,
        cap_s: float = 300.0,
        window_s: float = 900.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.base_s, self.cap_s, self.window_s, self.max_keys = (
            free,
            base_s,
            cap_s,
            window_s,
            max_keys,
        )
        self.clock = clock
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key → (failures, last failure)
        self._told: set[str] = set()  # keys whose current wait was already reported
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        with self._lock:
            failures, last = self._live(key)
        if failures < self.free:
            return 0.0
        delay = min(
            self.cap_s, self.base_s * 2.0 ** min(failures - self.free, 64)
        )  # 2**64 s: capped long before
        return max(0.0, last + delay - self.clock())

    def failed(self, key: str) -> None:
        with self._lock:
            failures, _ = self._live(key)
            self._seen[key] = (failures + 1, self.clock())
            self._seen.move_to_end(key)
            self._told.discard(key)
            while len(self._seen) > self.max_keys:
                self._told.discard(self._seen.popitem(last=False)[0])

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)
            self._told.discard(key)

    def undo(self, key: str) -> None:
        """Take back one failure (an attempt counted before its check, which then succeeded)."""
        with self._lock:
            failures, last = self._seen.get(key, (0, 0.0))
            if failures > 1:
                self._seen[key] = (failures - 1, last)
            else:
                self._seen.pop(key, None)

    def first_refusal(self, key: str) -> bool:
        """True the first time ``key`` is refused after its latest failure (that refusal is audited; the
        rest of the wait is not: an attacker ignoring Retry-After cannot flood the audit log)."""
        with self._lock:
            first = key not in self._told
            self._told.add(key)
            return first

    def _live(self, key: str) -> tuple[int, float]:
        failures, last = self._seen.get(key, (0, 0.0))
        if failures and self.clock() - last > self.window_s + self.cap_s:
            self._seen.pop(key, None)
            return 0, 0.0
        return failures, last


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
        with self._lock:
            wait = self.wait(name, address)
            if wait > 0:
                return wait
            for throttle, key in ((self.users, name), (self.addresses, address)):
                if key:
                    throttle.failed(key)
            return 0.0

    def succeeded(self, name: str | None, address: str | None) -> None:
        with self._lock:
            if name:
                self.users.succeeded(name)
            if address:
                self.addresses.undo(address)

    def report(self, name: str | None, address: str | None) -> bool:
        """Whether to audit this refusal (the first of a wait, per key)."""
        waiting = [(t, k) for t, k in ((self.users, name), (self.addresses, address)) if k and t.wait(k) > 0]
        return any([t.first_refusal(k) for t, k in waiting])
