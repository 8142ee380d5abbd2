"""One LLM generation at a time, first come first served, with each waiter's place in the line.

The embedded model (llama.cpp) serves one request at a time and is not thread-safe. :class:`QueuedChat`
wraps any chat model so that every generation holds the :class:`LLMQueue` slot while it runs; the rest
of a question (company resolution, retrieval, verification) and every other request (search, documents)
never wait for it. A caller that wants to know its place sets a :class:`Ticket` with :func:`waiting_as`
around the call: the queue reports each change of position to it and honours its cancellation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from assistant.errors import AssistantError


class Cancelled(AssistantError):
    """The caller went away while waiting for, or reading from, the model."""


@dataclass
class Ticket:
    """A caller's view of the queue: ``on_position(n)`` is told n calls are ahead (0: the model is yours)."""

    on_position: Callable[[int], None] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled.set()


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
    """A FIFO line in front of the model: the head generates, the others wait for their turn."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: list[object] = []

    def status(self) -> dict[str, int]:
        with self._cond:
            return {"running": min(1, len(self._line)), "waiting": max(0, len(self._line) - 1)}

    def ahead(self) -> int:
        """How many calls a newcomer would wait for."""
        with self._cond:
            return len(self._line)

    @contextmanager
    def slot(self) -> Iterator[None]:
        me = object()
        ticket = _ticket.get()
        with self._cond:
            self._line.append(me)
            told = -1
            try:
                while self._line[0] is not me:
                    position = self._line.index(me)
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
            yield
        finally:
            with self._cond:
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
        with self.queue.slot():
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
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()  # stop the model's generation now, inside the slot
