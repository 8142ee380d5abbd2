"""Prompt templates live in ``prompts/`` as files; variables are checked when loaded."""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

from assistant.core.errors import ConfigError

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
