"""Questions of the REST API in worker threads: retrieval runs in parallel, generation waits for its turn in
the LLM queue; at most ``max_pending`` questions at once (503 beyond); follow-up conversations kept per
(user, session id), one question at a time in each.

The server's conversations (:class:`Conversations` over ``<store>/server.sqlite3``) are shared by every worker
process of ``assistant serve --workers N``: a follow-up answered by another worker keeps its context, and a
conversation's questions take turns across processes (a byte-range lock on ``<store>/sessions.lock``, released by
the operating system if its holder dies).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException

from assistant.answer.answerer import Answerer
from assistant.answer.followup import Session
from assistant.models.llm_queue import LLMQueue, Ticket, waiting_as

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: conversations take turns within one process only
    fcntl = None  # type: ignore[assignment]


# Per process: a thread lock per (lock file, slot) with its number of holders, and each lock file's descriptor,
# open for the process's life (closing any descriptor of a file drops every record lock the process holds on it).
_SLOTS: dict[tuple[str, int], list[Any]] = {}
_LOCK_FILES: dict[str, int] = {}
_GUARD = threading.Lock()


@dataclass(frozen=True)
class _Conversation:
    user: str
    session_id: str


class Conversations:
    """Follow-up conversations by (user, session id), at most ``max_sessions`` (the least recently used go
    first): in this process's memory (``path`` None), or in the SQLite file ``path`` that every process of the
    server opens. :meth:`held` hands out a conversation's history for one question at a time."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, turns TEXT NOT NULL, used REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS sessions_used ON sessions (used);
    """

    def __init__(self, path: Path | None = None, max_sessions: int = 2000) -> None:
        self.path = Path(path) if path is not None else None
        self.max_sessions = max_sessions
        self._memory: OrderedDict[str, Session] = OrderedDict()
        self._guard = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._fd: int | None = None
        self._lock_file = f"memory:{id(self)}"
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(self.SCHEMA)
            self._lock_file = str((self.path.parent / "sessions.lock").resolve())
            if fcntl is not None:
                with _GUARD:
                    if self._lock_file not in _LOCK_FILES:
                        _LOCK_FILES[self._lock_file] = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o644)
                    self._fd = _LOCK_FILES[self._lock_file]

    @contextmanager
    def held(self, user: str, session_id: str) -> Iterator[Session]:
        """The conversation's history, for one question: other questions of it (in any process) wait until
        this one ends; what the question added is kept when it ends (also when it failed)."""
        key = hashlib.sha256(f"{user}\0{session_id}".encode()).hexdigest()
        slot = int(key[:8], 16) & 0x7FFFFFFF  # the byte locked in sessions.lock
        with _GUARD:
            entry = _SLOTS.setdefault((self._lock_file, slot), [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:  # POSIX record locks belong to the process: its threads take turns here first
                if self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_EX, 1, slot)
                try:
                    session = self._load(key)
                    try:
                        yield session
                    finally:
                        self._save(key, session)
                finally:
                    if self._fd is not None:
                        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, slot)
        finally:
            with _GUARD:
                entry[1] -= 1
                if entry[1] == 0:
                    del _SLOTS[(self._lock_file, slot)]

    def _load(self, key: str) -> Session:
        if self._db is None:
            with self._guard:
                return self._memory.get(key) or Session()
        with self._guard:
            row = self._db.execute("SELECT turns FROM sessions WHERE key = ?", (key,)).fetchone()
        return Session.model_validate_json(row[0]) if row else Session()

    def _save(self, key: str, session: Session) -> None:
        if self._db is None:
            with self._guard:
                self._memory[key] = session
                self._memory.move_to_end(key)
                while len(self._memory) > self.max_sessions:
                    self._memory.popitem(last=False)
            return
        with self._guard:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT OR REPLACE INTO sessions (key, turns, used) VALUES (?, ?, ?)",
                    (key, session.model_dump_json(), time.time()),
                )
                (count,) = db.execute("SELECT COUNT(*) FROM sessions").fetchone()
                if count > self.max_sessions:
                    db.execute(
                        "DELETE FROM sessions WHERE key IN (SELECT key FROM sessions ORDER BY used LIMIT ?)",
                        (count - self.max_sessions,),
                    )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


class AskRunner:
    """Runs questions in worker threads (retrieval in parallel; generation in the LLM queue's turn),
    at most ``max_pending`` at once (503 beyond), and keeps conversations by (user, session id)."""

    def __init__(
        self,
        answerer: Answerer,
        queue: LLMQueue,
        max_pending: int = 64,
        max_sessions: int = 2000,
        conversations: Conversations | None = None,
    ) -> None:
        self.answerer = answerer
        self.queue = queue
        self.max_pending = max_pending
        self.executor = ThreadPoolExecutor(max_workers=max_pending, thread_name_prefix="ask")
        self.in_progress = 0
        self._lock = threading.Lock()
        self.conversations = conversations or Conversations(max_sessions=max_sessions)

    def conversation(self, user: str, session_id: str | None) -> _Conversation | None:
        """The conversation a question belongs to (None: a question on its own)."""
        return _Conversation(user, session_id) if session_id else None

    def start(
        self, question: str, company: str | None, allowed: Collection[str] | None, talk: _Conversation | None
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Start answering in a worker (503 when ``max_pending`` questions are in progress). The events:
        ("queue", n) first and whenever the place in line changes; ("event", Event); ("error", exc).
        Leaving the iteration early (the client went away) cancels the question, also in the LLM queue."""
        with self._lock:
            if self.in_progress >= self.max_pending:
                raise HTTPException(
                    503,
                    f"{self.in_progress} questions are being answered, the limit; try again shortly",
                    headers={"Retry-After": "10"},
                )
            self.in_progress += 1
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def put(kind: str, item: Any) -> None:
            with suppress(RuntimeError):  # RuntimeError: the event loop is gone (server shutting down)
                loop.call_soon_threadsafe(inbox.put_nowait, (kind, item))

        ticket = Ticket(on_position=lambda n: put("queue", n))

        def answer(session: Session | None) -> None:
            stream = self.answerer.stream(question, company, session, allowed)
            try:
                for event in stream:
                    put("event", event)
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()

        def work() -> None:
            with waiting_as(ticket):
                try:
                    if talk is None:
                        answer(None)
                    else:
                        with self.conversations.held(talk.user, talk.session_id) as session:
                            answer(session)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    put("error", exc)
                finally:
                    put("done", None)

        ahead = self.queue.ahead()
        loop.run_in_executor(self.executor, work).add_done_callback(self._release)
        return self._drain(inbox, ticket, ahead)

    def _release(self, *_: object) -> None:
        with self._lock:
            self.in_progress -= 1

    @staticmethod
    async def _drain(
        inbox: asyncio.Queue[tuple[str, Any]], ticket: Ticket, ahead: int
    ) -> AsyncGenerator[tuple[str, Any], None]:
        try:
            yield "queue", ahead
            told = ahead
            while True:
                kind, item = await inbox.get()
                if kind == "done":
                    return
                if kind == "queue":
                    if item == told:
                        continue
                    told = item
                yield kind, item
        finally:
            ticket.cancel()
