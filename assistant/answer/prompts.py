"""The home of what the model reads: prompt templates (files in ``prompts/``, variables checked when
loaded), and the answer prompt's inputs (the passages quoted as data, the question with its parts listed,
calculations done in code)."""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

from assistant.answer.instructions import quote_passage
from assistant.answer.query import Query
from assistant.core.errors import ConfigError
from assistant.core.records import Evidence

_SECTION = re.compile(r"^### (system|user)\s*$", re.M)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@lru_cache(maxsize=32)
def load_prompt(prompts_dir: Path, name: str, variables: frozenset[str]) -> ChatPromptTemplate:
    """Load ``prompts/<name>.txt`` (sections ``### system`` and ``### user``).

    The template must use exactly ``variables``: a missing or unknown one is an error now,
    not a surprise at answer time.
    """
    path = prompts_dir / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"prompt template {path} cannot be read: {exc}") from exc
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=False))
    if set(sections) != {"system", "user"}:
        raise ConfigError(f"prompt template {path} needs '### system' and '### user' sections")
    used = _fields(sections["system"]) | _fields(sections["user"])
    if used != variables:
        missing, unknown = sorted(variables - used), sorted(used - variables)
        raise ConfigError(f"prompt template {path}: missing variables {missing}, unknown variables {unknown}")
    return ChatPromptTemplate.from_messages([("system", sections["system"]), ("human", sections["user"])])


ANSWER_VARIABLES = frozenset(
    {"company", "passages", "question"}
)  # the answer prompts'; the strict ones add "problem"


def answer_prompt(prompts_dir: Path, lang: str, problem: str = "") -> ChatPromptTemplate:
    """``answer_{lang}``, or after a failed verification (``problem``) ``answer_strict_{lang}``."""
    if not problem:
        return load_prompt(prompts_dir, f"answer_{lang}", ANSWER_VARIABLES)
    return load_prompt(prompts_dir, f"answer_strict_{lang}", ANSWER_VARIABLES | {"problem"})


def system_text(prompt: ChatPromptTemplate) -> str:
    """The prompt's system message as written (its rules; an answer never repeats them)."""
    first = prompt.messages[0]
    template = getattr(getattr(first, "prompt", None), "template", "")
    return template if isinstance(template, str) else ""


def format_passages(passages: list[Evidence]) -> str:
    """The passages as the answer prompts quote them: each between <document> and </document> (the
    prompts say that text inside is evidence, never instructions), headed by its number and source."""
    blocks = []
    for n, ev in enumerate(passages, start=1):
        where = ev.chunk.doc + (f" p.{ev.chunk.page}" if ev.chunk.page else "")
        where = quote_passage(where).replace("\n", " ")
        body = quote_passage(ev.chunk.text).strip("\n")
        blocks.append(f"<document>\n[{n}] ({where})\n{body}\n</document>")
    return "\n\n".join(blocks)


def with_parts(query: Query) -> str:
    """The question as given to the model: a question of several parts lists them, so none is skipped."""
    if len(query.parts) < 2:
        return query.text
    listed = "；" if query.language == "zh" else "; "
    items = listed.join(f"{i}. {p}" for i, p in enumerate(query.parts, 1))
    if query.language == "zh":
        return query.text + "\n（请逐一回答：" + items + "）"
    return query.text + "\n(Answer every part: " + items + ")"


def answer_inputs(query: Query, shown: list[Evidence], calculations: list[str]) -> dict[str, str]:
    """The answer prompt's variables: the (masked) passages, followed by the ``calculations`` done in code
    (differences between the years asked, rather than by the model), and the question with its parts."""
    block = format_passages(shown)
    if calculations:
        lead = "根据资料计算：" if query.language == "zh" else "Calculated from the passages:"
        block += "\n\n" + lead + "\n" + "\n".join(calculations)
    return {"company": query.company or "-", "passages": block, "question": with_parts(query)}
