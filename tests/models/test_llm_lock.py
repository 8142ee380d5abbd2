"""One loaded llama.cpp model, one generation at a time, however many wrappers share it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from assistant.models import llm


class _FakeLlama:
    """Records whether two generations ever overlapped (they corrupt a real context's memory)."""

    def __init__(self) -> None:
        self.inside = 0
        self.overlapped = False
        self.calls = 0

    def create_chat_completion(self, **kw: Any) -> Any:
        def stream() -> Any:
            self.inside += 1
            self.calls += 1
            self.overlapped |= self.inside > 1
            for word in ["one ", "two ", "three"]:
                time.sleep(0.02)
                yield {"choices": [{"delta": {"content": word}}]}
            self.inside -= 1

        return stream()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> _FakeLlama:
    """The one model every wrapper made in the test loads."""
    model = _FakeLlama()
    monkeypatch.setattr(llm, "load_llama", lambda path, n_ctx, threads: model)
    return model


def _chat(tmp_path: Path) -> llm.LlamaCppChat:
    return llm.LlamaCppChat(model_name="m", model_path=str(tmp_path / "m.gguf"))


def test_wrappers_of_one_model_share_its_lock_and_never_generate_at_once(
    fake: _FakeLlama, tmp_path: Path
) -> None:
    a, b = _chat(tmp_path), _chat(tmp_path)
    assert a._lock is b._lock is llm.model_lock(fake)
    replies: list[str] = []

    def ask(chat: llm.LlamaCppChat) -> None:
        replies.append("".join(str(c.content) for c in chat.stream([HumanMessage(content="count")])))

    threads = [threading.Thread(target=ask, args=(chat,)) for chat in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replies == ["one two three"] * 4 and fake.calls == 4
    assert not fake.overlapped


def test_different_models_have_different_locks() -> None:
    assert llm.model_lock(object()) is not llm.model_lock(_FakeLlama())


def test_a_reader_that_stops_reading_does_not_keep_the_model_locked(fake: _FakeLlama, tmp_path: Path) -> None:
    chat = _chat(tmp_path)
    abandoned = chat.stream([HumanMessage(content="count")])
    assert str(next(abandoned).content) == "one "  # then never read again, never closed
    assert chat._lock.acquire(timeout=5)  # the generation ends on its own and lets go of the model
    chat._lock.release()
    other = _chat(tmp_path)
    assert "".join(str(c.content) for c in other.stream([HumanMessage(content="again")])) == "one two three"
    del abandoned


def test_closing_the_stream_stops_the_generation(fake: _FakeLlama, tmp_path: Path) -> None:
    chat = _chat(tmp_path)
    stream = chat.stream([HumanMessage(content="count")])
    next(stream)
    stream.close()
    assert chat._lock.acquire(timeout=5)
    chat._lock.release()
