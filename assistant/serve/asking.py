"""Questions of the REST API in worker threads: retrieval runs in parallel, generation waits for its turn in
the LLM queue; at most ``max_pending`` questions at once (503 beyond); follow-up conversations kept per
(user, session id), one question at a time in each.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Collection
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from fastapi import HTTPException

from assistant.answer.answerer import Answerer
from assistant.answer.followup import Session
from assistant.models.llm_queue import LLMQueue, Ticket, waiting_as


class _Conversation:
    def __init__(self) -> None:
        self.session = Session()
        self.lock = threading.Lock()


class AskRunner:
    """Runs questions in worker threads (retrieval in parallel; generation in the LLM queue's turn),
    at most ``max_pending`` at once (503 beyond), and keeps conversations by (user, session id)."""

    def __init__(
        self, answerer: Answerer, queue: LLMQueue, max_pending: int = 64, max_sessions: int = 2000
    ) -> None:
        self.answerer = answerer
        self.queue = queue
        self.max_pending = max_pending
        self.executor = ThreadPoolExecutor(max_workers=max_pending, thread_name_prefix="ask")
        self.in_progress = 0
        self._lock = threading.Lock()
        self._sessions: OrderedDict[tuple[str, str], _Conversation] = OrderedDict()
        self.max_sessions = max_sessions

    def conversation(self, user: str, session_id: str | None) -> _Conversation | None:
        if not session_id:
            return None
        key = (user, session_id)
        with self._lock:
            found = self._sessions.get(key) or _Conversation()
            self._sessions[key] = found
            self._sessions.move_to_end(key)
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return found

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

        def work() -> None:
            with waiting_as(ticket):
                if talk is not None:
                    talk.lock.acquire()
                stream = self.answerer.stream(question, company, talk.session if talk else None, allowed)
                try:
                    for event in stream:
                        put("event", event)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    put("error", exc)
                finally:
                    close = getattr(stream, "close", None)
                    if close:
                        close()
                    if talk is not None:
                        talk.lock.release()
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
