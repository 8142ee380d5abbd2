"""What the tests of answers decided in code share: a model that declines and records every prompt (an answer
decided in code never asks it), and an answerer over a few fictional documents."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.answerer import Answerer
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.models.llm import FakeChat


@pytest.fixture
def asked() -> list[str]:
    """The prompts the model was given (an answer decided in code gives it none)."""
    return []


@pytest.fixture
def answerer_over(
    fake_services: Services, tmp_path: Path, asked: list[str]
) -> Callable[[dict[str, str]], Answerer]:
    """Builds an answerer over documents given as {"Company/file.ext": text}; its model declines every
    question and records each prompt in ``asked``."""

    class Declining(FakeChat):
        def _reply(self, messages: Any) -> str:
            asked.append(str(messages))
            return "NOT_IN_DOCUMENTS"

    def build(files: dict[str, str]) -> Answerer:
        root = tmp_path / "docs"
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        ingest_paths([root], fake_services.store, fake_services.settings)
        return Answerer(fake_services.store, lambda: Declining(), fake_services.settings, "test")

    return build
