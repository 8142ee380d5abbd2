"""The model as the last resort of reading a screening question (only when the rules cannot and the caller asks):
it is shown the filter language and every name (``prompts/screen_filter.txt``) and answers one filter line, which
the grammar then parses like any filter — a line that does not parse is refused, so the model can only choose
a filter, never run anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer.prompts import load_prompt
from assistant.profile.screen.vocabulary import catalogue

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.profile.screen.service import Translator

VARIABLES = frozenset({"names", "question"})


def llm_translator(chat: BaseChatModel, prompts_dir: Path) -> Translator:
    """A translator (question → filter text) over ``chat``; the prompt is checked when it is made."""
    prompt = load_prompt(prompts_dir, "screen_filter", VARIABLES)
    names = catalogue()

    def translate(question: str) -> str:
        reply = chat.invoke(prompt.format_messages(names=names, question=question[:500]))
        return str(reply.content)

    return translate


__all__ = ["VARIABLES", "llm_translator"]
