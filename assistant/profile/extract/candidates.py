"""Typed objects between extraction and reconciliation, and the verification every value passes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from assistant.core.records import Chunk, Citation
from assistant.profile.extract.text import squash
from assistant.profile.schema import Customer, Lawsuit, Patent, Qualification, Round


class Candidate(BaseModel):
    """One value read from one place in one document (before reconciliation)."""

    field: str
    value: int | float | str
    unit: str | None = None
    period: str | None = None
    raw: str
    number: str | None = Field(None, description="The digits as written (must appear in the quote).")
    doc: str
    page: int | None = None
    quote: str
    chunk_id: str
    priority: int = Field(1, description="Label priority within one document (归母净利润 over 净利润 …).")
    basis: str | None = Field(None, description="Accounting basis, e.g. 'investment' vs 'expense' for R&D.")
    approx: bool = Field(False, description="Written as approximate (约 / about).")
    tolerance: float = Field(0.0, description="Rounding tolerance in normalised units.")
    note: str | None = None
    rule: str = Field("", description="Which extractor rule produced it.")

    @property
    def source(self) -> Citation:
        return Citation(doc=self.doc, page=self.page, quote=self.quote)


class Extraction(BaseModel):
    """Everything read from a company's chunks."""

    candidates: list[Candidate] = Field(default_factory=list)
    rounds: list[Round] = Field(default_factory=list)
    qualifications: list[Qualification] = Field(default_factory=list)
    patents: list[Patent] = Field(default_factory=list)
    lawsuits: list[Lawsuit] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list, description="Qualitative facts signals use.")
    rejected: int = Field(0, description="Candidates dropped by verification.")


class Fact(BaseModel):
    """A qualitative statement a signal uses (related-party transaction, IP pledge, listing …)."""

    name: str
    value: float | int | str | None = None
    currency: str | None = None
    evidence: list[Citation] = Field(default_factory=list)


Extraction.model_rebuild()


def verify(candidate: Candidate, chunk: Chunk) -> bool:
    """A value is kept only if its quote is verbatim in the chunk it came from and the value's own
    text (the digits for numbers, the words for text) appears in the quote."""
    if not candidate.quote or candidate.quote not in chunk.text:
        return False
    if candidate.number is not None:
        return bool(candidate.number) and candidate.number in candidate.quote
    return bool(candidate.raw.strip()) and squash(candidate.raw) in squash(candidate.quote)


class LLMExtractor(Protocol):
    """Hook for a schema-constrained LLM extractor (issue 5, item 2).

    Called with the company's chunks and the field names rule extraction left unknown; returns
    candidates (each with the chunk's doc/page and a quote). They pass :func:`verify` like rule
    candidates before reconciliation sees them. Not implemented here (see assistant/models for the LLM).
    """

    def __call__(self, chunks: Sequence[Chunk], missing: Sequence[str]) -> list[Candidate]: ...
