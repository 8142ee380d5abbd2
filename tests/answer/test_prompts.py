from pathlib import Path

import pytest

from assistant.answer.prompts import load_prompt
from assistant.core.errors import ConfigError
from assistant.core.settings import Settings

VARS = frozenset({"company", "passages", "question"})


@pytest.mark.parametrize("name", ["answer_en", "answer_zh"])
def test_shipped_prompts_load_and_render(name: str) -> None:
    prompt = load_prompt(Settings().prompts_dir, name, VARS)
    messages = prompt.format_messages(
        company="Acme", passages="[1] (a.txt)\nRevenue was $1.", question="Revenue?"
    )
    assert messages[0].type == "system" and "[2]" in str(messages[0].content)
    assert "Revenue was $1." in str(messages[1].content)


def test_missing_variable_is_an_error_at_load_time(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("### system\nBe brief.\n### user\n{question}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"missing variables \['company', 'passages'\]"):
        load_prompt(tmp_path, "p", VARS)


def test_unknown_variable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "q.txt").write_text(
        "### system\nx {tone}\n### user\n{company}{passages}{question}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"unknown variables \['tone'\]"):
        load_prompt(tmp_path, "q", VARS)


def test_sections_required(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("{company}{passages}{question}", encoding="utf-8")
    with pytest.raises(ConfigError, match="### system"):
        load_prompt(tmp_path, "r", VARS)
