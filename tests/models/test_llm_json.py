"""JSON-schema-constrained completions: the llama.cpp call, the fake backend, and the queue turn they take."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.core.errors import ConfigError, LLMError
from assistant.models import llm
from assistant.models.llm_queue import LLMQueue, QueuedChat, Ticket, waiting_as

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"found": {"type": "boolean"}, "passage": {"type": "integer"}, "quote": {"type": "string"}},
    "required": ["found", "passage", "quote"],
}
MESSAGES = [SystemMessage(content="Read the passages."), HumanMessage(content="Field: revenue\n\nJSON:")]


class _JSONLlama:
    """Records each call and whether the model's lock was held during it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.lock: threading.Lock | None = None
        self.fail = False

    def create_chat_completion(self, **kw: Any) -> Any:
        self.calls.append({**kw, "locked": self.lock.locked() if self.lock else None})
        if self.fail:
            raise RuntimeError("context overflow")
        return {"choices": [{"message": {"content": '{"found": true, "passage": 2, "quote": "x"}'}}]}


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[llm.LlamaCppChat, _JSONLlama]:
    fake = _JSONLlama()
    monkeypatch.setattr(llm, "load_llama", lambda path, n_ctx, threads: fake)
    chat = llm.LlamaCppChat(model_name="m", model_path=str(tmp_path / "m.gguf"))
    fake.lock = llm.model_lock(fake)
    return chat, fake


def test_llama_complete_json_constrains_the_reply_under_the_model_lock(
    model: tuple[llm.LlamaCppChat, _JSONLlama],
) -> None:
    chat, fake = model
    assert isinstance(chat, llm.JSONCompleter)
    reply = chat.complete_json(MESSAGES, SCHEMA, max_tokens=50)
    assert json.loads(reply) == {"found": True, "passage": 2, "quote": "x"}
    (call,) = fake.calls
    assert call["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert call["temperature"] == 0.0 and call["max_tokens"] == 50 and call["locked"] is True
    assert call["messages"] == [
        {"role": "system", "content": "Read the passages."},
        {"role": "user", "content": "Field: revenue\n\nJSON:"},
    ]
    assert not fake.lock.locked()  # type: ignore[union-attr]


def test_a_llama_failure_is_an_llm_error(model: tuple[llm.LlamaCppChat, _JSONLlama]) -> None:
    chat, fake = model
    fake.fail = True
    with pytest.raises(LLMError, match="context overflow"):
        chat.complete_json(MESSAGES, SCHEMA)
    assert not fake.lock.locked()  # type: ignore[union-attr]


def test_the_fake_backend_answers_nothing_found() -> None:
    reply = json.loads(llm.FakeChat().complete_json(MESSAGES, SCHEMA))
    assert reply == {"found": False, "passage": 0, "quote": ""}


def test_queued_complete_json_waits_for_its_turn() -> None:
    queue = LLMQueue()
    queued = QueuedChat(inner=llm.FakeChat, queue=queue)
    inside, release = threading.Event(), threading.Event()
    replies: list[str] = []
    positions: list[int] = []

    def holder() -> None:
        with queue.slot():
            inside.set()
            release.wait(5)

    def asker() -> None:
        with waiting_as(Ticket(on_position=positions.append)):
            replies.append(queued.complete_json(MESSAGES, SCHEMA))

    first = threading.Thread(target=holder)
    first.start()
    assert inside.wait(5)
    second = threading.Thread(target=asker)
    second.start()
    while queue.status()["waiting"] < 1:
        time.sleep(0.01)
    assert not replies  # still waiting behind the running generation
    release.set()
    first.join(5)
    second.join(5)
    assert len(replies) == 1 and json.loads(replies[0])["found"] is False
    assert positions[0] == 1 and positions[-1] == 0
    assert queue.status() == {"running": 0, "waiting": 0}


def test_a_backend_without_json_constraints_is_refused() -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    queued = QueuedChat(inner=lambda: FakeListChatModel(responses=["{}"]), queue=LLMQueue())
    with pytest.raises(ConfigError, match="cannot constrain"):
        queued.complete_json(MESSAGES, SCHEMA)


@pytest.mark.integration
def test_the_real_model_replies_with_json_of_the_schema() -> None:
    """The embedded llama.cpp model, through the queue, constrained to the profile extractor's schema."""
    from assistant.core.settings import Settings
    from assistant.profile.extract.llm import SCHEMA as EXTRACT_SCHEMA
    from assistant.profile.extract.llm import LLMFieldExtractor

    extractor = LLMFieldExtractor(lambda messages, schema: "")
    messages = extractor.prompt.format_messages(
        field="employees",
        description="Employees at year end.",
        passages="[1] 截至2023年末，公司在职员工共计73人，其中研发人员29人。",
    )
    queued = QueuedChat(inner=lambda: llm.build_llm(Settings(threads=2)), queue=LLMQueue())
    reply = json.loads(queued.complete_json(messages, EXTRACT_SCHEMA, max_tokens=120))
    assert set(reply) >= {"found", "passage", "quote", "value"}
    assert isinstance(reply["found"], bool) and isinstance(reply["passage"], int)
