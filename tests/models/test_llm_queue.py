"""The LLM queue: one generation at a time, first come first served, positions reported, cancellation."""

from __future__ import annotations

import threading
import time

import pytest
from langchain_core.messages import HumanMessage

from assistant.models.llm import FakeChat
from assistant.models.llm_queue import Cancelled, LLMQueue, QueuedChat, Ticket, waiting_as

PROMPT = [HumanMessage(content="[1] (a.txt)\nAcme grew fast. More text.")]


def test_generations_take_turns_in_order() -> None:
    queue = LLMQueue()
    order: list[str] = []
    inside = threading.Event()
    release = threading.Event()
    positions: dict[str, list[int]] = {"b": [], "c": []}

    def holder() -> None:
        with queue.slot():
            inside.set()
            release.wait(5)
            order.append("a")

    def waiter(name: str) -> None:
        with waiting_as(Ticket(on_position=positions[name].append)), queue.slot():
            order.append(name)

    a = threading.Thread(target=holder)
    a.start()
    assert inside.wait(5)
    b = threading.Thread(target=waiter, args=("b",))
    b.start()
    while queue.status()["waiting"] < 1:
        time.sleep(0.01)
    c = threading.Thread(target=waiter, args=("c",))
    c.start()
    while queue.status()["waiting"] < 2:
        time.sleep(0.01)
    assert queue.status() == {"running": 1, "waiting": 2} and queue.ahead() == 3
    release.set()
    for t in (a, b, c):
        t.join(5)
    assert order == ["a", "b", "c"]
    assert positions["b"] == [1, 0]
    # c is told each place it sees: 2, then 1 unless b finished before c woke up, then 0
    assert positions["c"] in ([2, 1, 0], [2, 0])
    assert queue.status() == {"running": 0, "waiting": 0}


def test_a_cancelled_waiter_leaves_the_line() -> None:
    queue = LLMQueue()
    inside, release = threading.Event(), threading.Event()
    ticket = Ticket()
    failures: list[BaseException] = []

    def holder() -> None:
        with queue.slot():
            inside.set()
            release.wait(5)

    def waiter() -> None:
        try:
            with waiting_as(ticket), queue.slot():
                pass
        except Cancelled as exc:
            failures.append(exc)

    a = threading.Thread(target=holder)
    a.start()
    assert inside.wait(5)
    b = threading.Thread(target=waiter)
    b.start()
    while queue.status()["waiting"] < 1:
        time.sleep(0.01)
    ticket.cancel()
    b.join(5)
    assert failures and "cancelled while waiting" in str(failures[0])
    assert queue.status() == {"running": 1, "waiting": 0}
    release.set()
    a.join(5)


def test_queued_chat_streams_and_invokes_through_the_queue() -> None:
    queue = LLMQueue()
    model = QueuedChat(inner=FakeChat, queue=queue)
    seen: list[int] = []
    with waiting_as(Ticket(on_position=seen.append)):
        text = "".join(str(chunk.content) for chunk in model.stream(PROMPT))
    assert text == "Acme grew fast. [1]" and seen == [0]
    assert model.invoke(PROMPT).content == "Acme grew fast. [1]"
    assert queue.status() == {"running": 0, "waiting": 0}


def test_cancelling_stops_a_running_generation() -> None:
    queue = LLMQueue()
    model = QueuedChat(inner=FakeChat, queue=queue)
    ticket = Ticket()
    with waiting_as(ticket), pytest.raises(Cancelled, match="while the model was answering"):
        for _ in model.stream(PROMPT):
            ticket.cancel()
    assert queue.status() == {"running": 0, "waiting": 0}


def test_a_reader_that_stops_reading_loses_the_model_to_the_next_request() -> None:
    queue = LLMQueue(stall_s=0.3)
    model = QueuedChat(inner=FakeChat, queue=queue)
    abandoned = model.stream(PROMPT)
    first = next(abandoned)  # the reader got one token, then went away without closing the stream
    assert first.content and queue.status() == {"running": 1, "waiting": 0}
    started, answers = time.monotonic(), []
    t = threading.Thread(target=lambda: answers.append(model.invoke(PROMPT).content))
    t.start()
    t.join(5)
    assert answers == ["Acme grew fast. [1]"]  # not blocked for ever
    assert 0.3 <= time.monotonic() - started < 5
    assert queue.status() == {"running": 0, "waiting": 0}
    with pytest.raises(Cancelled, match="stopped reading"):
        next(abandoned)  # the late reader is told, and holds nothing
    assert queue.status() == {"running": 0, "waiting": 0}


def test_a_slow_but_reading_stream_keeps_its_turn() -> None:
    queue = LLMQueue(stall_s=0.4)
    model = QueuedChat(inner=FakeChat, queue=queue)
    sentence = "Acme grew fast in every one of its four markets during the year."
    prompt = [HumanMessage(content=f"[1] (a.txt)\n{sentence} More text.")]
    order: list[str] = []
    reading = threading.Event()

    def slow_reader() -> None:
        for n, chunk in enumerate(model.stream(prompt)):
            if n == 0:
                reading.set()
            time.sleep(0.15)  # each pause is shorter than stall_s; the stream, ~2 s, far longer
            if chunk.content:
                order.append(str(chunk.content))

    t = threading.Thread(target=slow_reader)
    t.start()
    assert reading.wait(5)
    model.invoke(PROMPT)
    order.append("next")
    t.join(5)
    assert "".join(order[:-1]) == f"{sentence} [1]" and order[-1] == "next"  # the slow reader kept its turn
