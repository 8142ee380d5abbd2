"""LLM generations in turns, first come first served, with each waiter's place in the line.

The embedded model (llama.cpp) serves one request at a time and is not thread-safe: its queue lets one
generation run at a time (``concurrency=1``). A model server (the ``openai`` backend: vLLM, llama.cpp's
server, Ollama) schedules concurrent requests itself: its queue lets every generation run at once
(``concurrency=None``, or the limit ``ASSISTANT_OPENAI_CONCURRENCY`` sets), so the app never serialises
questions the server could run together. :class:`QueuedChat` wraps any chat model so that every generation
holds an :class:`LLMQueue` slot while it runs; the rest of a question (company resolution, retrieval,
verification) and every other request (search, documents) never wait for it. A caller that wants to know
its place sets a :class:`Ticket` with :func:`waiting_as` around the call: the queue reports each change of
position to it and honours its cancellation.

A streaming turn waits on its reader between tokens. A reader that stops reading without closing the
stream (a dropped connection whose generator is never collected) would hold the slot for ever; so a turn
whose reader has not asked for the next token for ``stall_s`` seconds is ended by the next waiter, and the
stream raises :class:`Cancelled` if its reader ever comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from assistant.core.errors import AssistantError, ConfigError
from assistant.models.llm import JSONCompleter


class Cancelled(AssistantError):
    """The caller went away while waiting for, or reading from, the model."""


@dataclass
class Ticket:
    """A caller's view of the queue: ``on_position(n)`` is told n calls are ahead (0: the model is yours)."""

    on_position: Callable[[int], None] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()


STALL_S = 30.0  # a streaming turn whose reader has not asked for a token for this long loses the slot


class Turn:
    """The slot holder's handle. ``handing_out()`` marks the time from giving its reader a token until the
    reader asks for the next one; ``back()`` ends that mark and raises :class:`Cancelled` if the queue ended
    the turn meanwhile."""

    def __init__(self, cond: threading.Condition) -> None:
        self._cond = cond
        self.idle_since: float | None = None
        self.ended = False

    def handing_out(self) -> None:
        with self._cond:
            self.idle_since = time.monotonic()

    def back(self) -> None:
        with self._cond:
            self.idle_since = None
            ended = self.ended
        if ended:
            raise Cancelled(
                "the model was given to the next request: this reader stopped reading for too long"
            )


_ticket: ContextVar[Ticket | None] = ContextVar("llm_queue_ticket", default=None)


@contextmanager
def waiting_as(ticket: Ticket) -> Iterator[Ticket]:
    """Within this block (this thread), LLM calls report to ``ticket`` and stop when it is cancelled."""
    token = _ticket.set(ticket)
    try:
        yield ticket
    finally:
        _ticket.reset(token)


class LLMQueue:
    """A FIFO line in front of the model: the first ``concurrency`` calls generate (all of them when it is
    None), the others wait for their turn."""

    def __init__(self, stall_s: float = STALL_S, concurrency: int | None = 1) -> None:
        if concurrency is not None and concurrency < 1:
            raise ValueError(f"concurrency must be at least 1 (None: no limit), not {concurrency}")
        self._cond = threading.Condition()
        self._line: list[Turn] = []
        self.stall_s = stall_s
        self.concurrency = concurrency

    def _running(self) -> int:
        """How many turns of the line generate now (under the condition)."""
        return len(self._line) if self.concurrency is None else min(self.concurrency, len(self._line))

    def status(self) -> dict[str, int]:
        with self._cond:
            running = self._running()
            return {"running": running, "waiting": len(self._line) - running}

    def ahead(self) -> int:
        """How many calls a newcomer would wait for (0 when it would generate at once)."""
        with self._cond:
            if self.concurrency is None:
                return 0
            return max(0, len(self._line) - self.concurrency + 1)

    def _end_stalled_head(self) -> None:
        """End the running turns whose readers stopped reading (called by waiters, under the condition)."""
        now = time.monotonic()
        for turn in self._line[: self._running()]:
            if turn.idle_since is not None and now - turn.idle_since > self.stall_s:
                turn.ended = True
                self._line.remove(turn)
                self._cond.notify_all()

    def _position(self, me: Turn) -> int:
        """How many calls ``me`` still waits for (0: it generates)."""
        if self.concurrency is None:
            return 0
        return max(0, self._line.index(me) - self.concurrency + 1)

    @contextmanager
    def slot(self) -> Iterator[Turn]:
        me = Turn(self._cond)
        ticket = _ticket.get()
        with self._cond:
            self._line.append(me)
            told = -1
            try:
                while self._position(me):
                    self._end_stalled_head()
                    position = self._position(me)
                    if not position:
                        break
                    if ticket and position != told:
                        told = position
                        if ticket.on_position:
                            ticket.on_position(position)
                    if ticket and ticket.cancelled.is_set():
                        raise Cancelled("the request was cancelled while waiting for the model")
                    self._cond.wait(timeout=0.5)
            except BaseException:
                self._line.remove(me)
                self._cond.notify_all()
                raise
        if ticket and ticket.on_position:
            ticket.on_position(0)
        try:
            yield me
        finally:
            with self._cond:
                if me in self._line:  # not if its turn was ended
                    self._line.remove(me)
                self._cond.notify_all()


class QueuedChat(BaseChatModel):
    """A chat model whose generations take turns in an :class:`LLMQueue`; ``inner`` builds the real model
    (on first use, inside the slot: loading the model is part of the first call's turn)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    inner: Callable[[], BaseChatModel]
    queue: LLMQueue

    @property
    def _llm_type(self) -> str:
        return "queued"

    def complete_json(
        self, messages: Sequence[BaseMessage], schema: dict[str, Any], max_tokens: int = 200
    ) -> str:
        """A reply constrained to JSON matching ``schema`` (:meth:`LlamaCppChat.complete_json`), generated in
        its turn of the queue like every other call."""
        with self.queue.slot():
            model = self.inner()
            if not isinstance(model, JSONCompleter):
                raise ConfigError(
                    f"the LLM backend '{model._llm_type}' cannot constrain a reply to a JSON schema "
                    "(use ASSISTANT_LLM_BACKEND=llamacpp)"
                )
            return model.complete_json(messages, schema, max_tokens)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self.queue.slot():
            message = self.inner().invoke(messages, stop=stop, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=message.content))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        ticket = _ticket.get()
        with self.queue.slot() as turn:
            stream = self.inner().stream(messages, stop=stop, **kwargs)
            try:
                for chunk in stream:
                    if ticket and ticket.cancelled.is_set():
                        raise Cancelled("the request was cancelled while the model was answering")
                    text = chunk.content if isinstance(chunk.content, str) else str(chunk.content)
                    if not text:
                        continue
                    if run_manager:
                        run_manager.on_llm_new_token(text)
                    turn.handing_out()
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
                    turn.back()
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()  # stop the model's generation now, inside the slot
