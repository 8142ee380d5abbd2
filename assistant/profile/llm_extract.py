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
from typing import Any

from assistant.core.records import Chunk
from assistant.profile.candidates import Candidate
from assistant.profile.schema import SPECS
from assistant.store.keywords import tokenize
from assistant.text.figures import quantities

Completer = Callable[[list[dict[str, str]], dict[str, Any]], str]  # (messages, JSON schema) → JSON text
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
LABELS: dict[str, str] = {  # the words documents use for a field (zh and en)
    "legal_representative": "法定代表人 legal representative CEO",
    "founded": "成立 设立 注册成立 founded incorporated",
    "registered_capital": "注册资本 registered capital",
    "headquarters": "住所 注册地址 总部 headquarters headquartered",
    "industry": "行业 所属行业 industry",
    "main_business": "主营业务 主要产品 main business products",
    "employees": "员工 在职员工 员工总数 employees headcount",
    "rd_staff": "研发人员 研发人员数量 R&D staff engineers",
    "revenue": "营业收入 revenue",
    "net_profit": "净利润 net income net loss",
    "total_assets": "资产总计 总资产 total assets",
    "total_liabilities": "负债合计 总负债 total liabilities",
    "software_copyrights": "软件著作权 software copyrights",
}
_SYSTEM = (
    "You read company documents for a bank. Find the value of one field in the numbered passages. "
    "Copy the sentence or table row that states it, character for character, as quote. "
    "If no passage states it, answer found=false. 你只根据资料回答；没有就 found=false。"
)


def llama_completer(llm: Any) -> Completer:
    """A completer on the embedded llama.cpp model (``LlamaCppChat``) with schema-constrained output."""

    def complete(messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        with llm._lock:
            reply = llm._llama.create_chat_completion(
                messages=messages,
                response_format={"type": "json_object", "schema": schema},
                temperature=0.0,
                max_tokens=200,
            )
        return str(reply["choices"][0]["message"]["content"] or "")

    return complete


class LLMFieldExtractor:
    """The ``LLMExtractor`` of ``build_profile``: one schema-constrained question per missing field."""

    def __init__(self, complete: Completer, max_fields: int = 6, passages: int = 3) -> None:
        self.complete = complete
        self.max_fields = max_fields
        self.passages = passages

    def _ranked(self, chunks: Sequence[Chunk], field: str) -> list[Chunk]:
        words = set(tokenize(LABELS.get(field, field.replace("_", " ")) + " " + SPECS[field].description))
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
            spec = SPECS[field]
            passages = "\n\n".join(f"[{n}] {c.text}" for n, c in enumerate(ranked, start=1))
            messages = [
                {"role": "system", "content": _SYSTEM},
                {
                    "role": "user",
                    "content": f"Field: {field} — {spec.description}\n\nPassages:\n{passages}\n\nJSON:",
                },
            ]
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
    kind = SPECS[field].kind
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
        unit = {"percent": "%", "count": "count", "months": "months"}.get(kind)
        if kind == "money":
            unit = "USD" if "$" in quote or "USD" in quote else "CNY"
        number_value: int | float = int(q.value) if kind == "count" else q.value
        return Candidate(**base, value=number_value, unit=unit, raw=value, number=digits_as_written,
                         tolerance=q.tolerance)  # fmt: skip
    if value not in quote:
        return None
    return Candidate(**base, value=value, raw=value)
