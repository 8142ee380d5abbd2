from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    return Settings(
        store=tmp_path / "store", llm_backend="fake", embedding_backend="fake", min_relevance=0.05
    )


@pytest.fixture
def fake_services(fake_settings: Settings) -> Iterator[Services]:
    services = Services(fake_settings)
    yield services
    services.close()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A tiny two-company folder tree (folder per company)."""
    root = tmp_path / "docs"
    (root / "Acme").mkdir(parents=True)
    (root / "星河科技").mkdir(parents=True)
    (root / "Acme" / "notes.txt").write_text(
        "Acme Robotics Inc. was founded in 2015 in Austin.\n"
        "Revenue for fiscal 2023 was $12.4 million, up from $9.1 million in 2022.\n"
        "The company holds 14 invention patents.\n"
        "Acme's order backlog at the end of fiscal 2023 was $3.1 million.\n",
        encoding="utf-8",
    )
    (root / "星河科技" / "news.md").write_text(
        "# 星河科技\n2023年，公司实现营业收入8,652.30万元，同比增长31.2%。研发投入1,021.5万元。\n",
        encoding="utf-8",
    )
    return root


def load_truth() -> dict:
    return json.loads((CORPUS / "_truth.json").read_text(encoding="utf-8"))


def load_questions() -> list[dict]:
    lines = (CORPUS / "_questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``assistant`` on the command line with the fake backends and a temporary store."""
    from assistant.cli.main import main

    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "fake")
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("ASSISTANT_MIN_RELEVANCE", "0.05")
    store = tmp_path / "store"

    def run(*args: str) -> int:
        return main(["--store", str(store), *args])

    return run
