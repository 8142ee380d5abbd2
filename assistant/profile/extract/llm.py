"""Fields the rules left unknown, read by the embedded LLM with a JSON schema (llama.cpp grammar).

For each missing field (at most ``max_fields``), the passages that share most words with the field's
labels are numbered and given to the model with the field's description; llama.cpp constrains the reply
to ``{"found", "passage", "quote", "value"}``. A reply becomes a candidate only when its quote is
verbatim in the passage it names and its value (the figure's digits, or the text) is in the quote —
then it passes :func:`candidates.verify` like any rule candidate before reconciliation sees it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage

from assistant.answer.prompts import load_prompt
from assistant.core.records import Chunk
from assistant.core.settings import REPO_ROOT
from assistant.profile.extract.candidates import Candidate
from assistant.profile.schema import SPECS, field_spec
from assistant.store.keywords import tokenize
from assistant.text.figures import quantities

if TYPE_CHECKING:
    from assistant.models.llm import JSONCompleter

Completer = Callable[[Sequence[BaseMessage], dict[str, Any]], str]  # (messages, JSON schema) → JSON text
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "found": {"type": "boolean"},
        "passage": {"type": "integer"},
        "quote": {"type": "string"},
        "value": {"type": "string"},
    },
    "required": ["found", "passage", "quote", "value"],
}
PROMPTS_DIR = REPO_ROOT / "prompts"  # the default of Settings.prompts_dir
PROMPT = "profile_extract"  # prompts/profile_extract.txt
_VARIABLES = frozenset({"field", "description", "passages"})


def backend_completer(llm: JSONCompleter) -> Completer:
    """A completer on an LLM backend that constrains replies to a JSON schema: a
    :class:`~assistant.models.llm_queue.QueuedChat` (its turn in the queue), or the bare model in a one-user run."""

    def complete(messages: Sequence[BaseMessage], schema: dict[str, Any]) -> str:
        return llm.complete_json(messages, schema, max_tokens=200)

    return complete


class LLMFieldExtractor:
    """The ``LLMExtractor`` of ``build_profile``: one schema-constrained question per missing field."""

    def __init__(
        self, complete: Completer, prompts_dir: Path = PROMPTS_DIR, max_fields: int = 6, passages: int = 3
    ) -> None:
        self.complete = complete
        self.prompt = load_prompt(Path(prompts_dir), PROMPT, _VARIABLES)
        self.max_fields = max_fields
        self.passages = passages

    def _ranked(self, chunks: Sequence[Chunk], field: str) -> list[Chunk]:
        spec = field_spec(field)
        words = set(tokenize((spec.terms or field.replace("_", " ")) + " " + spec.description))
        scored = [
            (sum(1 for w in words if len(w) > 1 and w in c.text.lower()), i) for i, c in enumerate(chunks)
        ]
        best = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))[: self.passages]
        return [chunks[i] for _, i in best]

    def __call__(self, chunks: Sequence[Chunk], missing: Sequence[str]) -> list[Candidate]:
        out: list[Candidate] = []
        # only fields some passage has words for, at most max_fields of them (each is one model call)
        asks = [(f, r) for f in missing if f in SPECS and (r := self._ranked(chunks, f))][: self.max_fields]
        for field, ranked in asks:
            passages = "\n\n".join(f"[{n}] {c.text}" for n, c in enumerate(ranked, start=1))
            messages = self.prompt.format_messages(
                field=field, description=field_spec(field).description, passages=passages
            )
            try:
                reply = json.loads(self.complete(messages, SCHEMA))
            except (ValueError, TypeError):
                continue
            candidate = to_candidate(field, reply, ranked)
            if candidate is not None:
                out.append(candidate)
        return out


def to_candidate(field: str, reply: Any, ranked: Sequence[Chunk]) -> Candidate | None:
    """A model reply as a candidate, or None when it is not backed by the passage it names."""
    if not isinstance(reply, dict) or not reply.get("found"):
        return None
    number = reply.get("passage")
    if not isinstance(number, int) or not 1 <= number <= len(ranked):
        return None
    chunk = ranked[number - 1]
    quote, value = str(reply.get("quote") or "").strip(), str(reply.get("value") or "").strip()
    if not quote or quote not in chunk.text or not value:
        return None
    spec = field_spec(field)
    kind = spec.kind
    base = {"field": field, "doc": chunk.doc, "page": chunk.page, "quote": quote, "chunk_id": chunk.chunk_id,
            "rule": "llm", "priority": 0}  # fmt: skip
    if kind in ("money", "percent", "count", "months"):
        figures = [q for q in quantities(value) if q.digits]
        written = [q for q in figures if re.sub(r"[,，]", "", quote).find(q.digits) >= 0]
        if not written:
            return None
        q = written[0]
        digits_as_written = next((m.group(0) for m in re.finditer(r"\d[\d,，]*(?:\.\d+)?", quote)
                                  if re.sub(r"[,，]", "", m.group(0)) == q.digits), None)  # fmt: skip
        if digits_as_written is None:
            return None
        unit = spec.unit
        if kind == "money":
            unit = "USD" if "$" in quote or "USD" in quote else "CNY"
        number_value: int | float = int(q.value) if kind == "count" else q.value
        return Candidate(**base, value=number_value, unit=unit, raw=value, number=digits_as_written,
                         tolerance=q.tolerance)  # fmt: skip
    if value not in quote:
        return None
    return Candidate(**base, value=value, raw=value)
