"""Typed objects passed between stages. The JSON of the public ones is a contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Page(BaseModel):
    """Text of one page (1-based number) or of a whole page-less file (number None).

    Tables are kept in ``text`` as Markdown tables (a header row, a ``|---|`` rule, one line per row),
    so the chunker can keep rows whole and repeat the header.
    """

    number: int | None = Field(None, description="1-based page number; None for page-less formats.")
    text: str = Field(description="Extracted text of the page (tables as Markdown).")
    ocr_confidence: float | None = Field(None, description="Mean OCR confidence 0–1 when the page was OCRed.")


class Document(BaseModel):
    """A parsed source file."""

    path: str = Field(description="Path the file was read from.")
    doc: str = Field(description="File name as ingested, e.g. annual_report_2023.pdf.")
    company: str = Field(description="Company the document belongs to.")
    sha256: str = Field(description="Content hash of the file.")
    reader: str = Field(description="Reader that parsed it (txt, md, pdf, docx, html, xlsx, csv, json).")
    pages: list[Page] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="Non-fatal problems met while reading.")
    boilerplate: list[str] = Field(
        default_factory=list,
        description="Running headers and footers removed from its pages (each once, as first printed; page "
        "numbers not included), e.g. the company's name and '2018 年年度报告全文' a text export prints on "
        "every page. Set by the PDF reader, which removes them from its pages, and by the chunker for a text export.",
    )


class Chunk(BaseModel):
    """A passage stored in the index, with where it came from."""

    chunk_id: str = Field(description="Stable id derived from the content and its source.")
    company: str
    doc: str
    page: int | None = None
    section: str | None = Field(None, description="Nearest heading above the passage.")
    text: str


class Fact(BaseModel):
    """One figure of a table row, typed: what it is, of which period, in which unit, and the row it came from
    (``assistant facts``; answers compute metrics from facts and cite the passage of each)."""

    company: str
    doc: str
    page: int | None = None
    chunk_id: str = Field(description="The stored passage that holds the row (its citation).")
    label: str = Field(description="The row label as written.")
    item: str | None = Field(
        None, description="The line item (lexicon name: revenue, current_assets …), or None."
    )
    period: str | None = Field(None, description="Fiscal year of the column, when the header names one.")
    value: str = Field(
        description="The value as a decimal string, sign kept, in ``unit`` (money: currency units)."
    )
    unit: str | None = Field(None, description="CNY, USD … (money), % (a percentage), or None (a count).")
    scope: str = Field("consolidated", description="consolidated, or parent (母公司 statements).")
    priority: int = Field(
        10, description="The label's rank for its item (归属于母公司股东的净利润 over 净利润)."
    )
    kind: Literal["table", "sentence"] = Field("table", description="Read from a table row or a sentence.")
    raw: str = Field(description="The cell as written.")
    quote: str = Field(description="The row as written in the passage.")


class Evidence(BaseModel):
    """A retrieved chunk with its relevance score (cosine similarity, higher is better)."""

    chunk: Chunk
    score: float


class SearchHit(BaseModel):
    """One ranked passage as printed by ``assistant search --json``."""

    rank: int
    score: float
    company: str
    doc: str
    page: int | None
    chunk_id: str
    text: str


def _unset(value: object) -> bool:
    return value in (0, "")


class Citation(BaseModel):
    """Where a statement was read: the document, its 1-based page (None for page-less files) and the exact
    quote (a verbatim substring of the stored, normalised document text).

    An answer's citation is the passage it cites as ``[n]`` and names its company and chunk; a profile's
    evidence (``FieldValue.evidence`` and the lists, checks and signals) gives only document, page and quote:
    ``n``, ``company`` and ``chunk_id`` are then unset (0 / "") and left out of the JSON.
    """

    n: int = Field(0, description="The answer's marker [n]; 0 (left out of the JSON) for profile evidence.",
                   exclude_if=_unset)  # fmt: skip
    company: str = Field("", description="Company of the cited passage; '' (left out) for profile evidence.",
                         exclude_if=_unset)  # fmt: skip
    doc: str = Field(description="File name as ingested, e.g. annual_report_2023.pdf.")
    page: int | None = Field(None, description="1-based page; None for formats without pages.")
    chunk_id: str = Field("", description="The cited stored passage; '' (left out) for profile evidence.",
                          exclude_if=_unset)  # fmt: skip
    quote: str = Field(description="Verbatim text of the document that states the value.")


AnswerPath = Literal["verified", "extractive", "quoted", "computed", "insufficient_evidence", "needs_company"]
#: Why an answer does not answer (a refusal, or a question to the user), decided in code where possible:
#: the question names a company with no documents (company_not_found); it names another company than the one
#: selected (company_mismatch) or several (several_companies); the asked fiscal year is in no document of the
#: company (period_not_covered); no passage states the asked item (not_stated); the model said the documents do
#: not answer it (model_declined); its answer failed verification twice and no sentence answers it
#: (verification_failed); no verified answer came within the question's time budget (time_budget).
RefusalReason = Literal[
    "company_not_found",
    "company_mismatch",
    "several_companies",
    "period_not_covered",
    "not_stated",
    "model_declined",
    "verification_failed",
    "time_budget",
    "input_missing",
]


class Answer(BaseModel):
    """The answer to one question, as printed by ``assistant ask --json``."""

    question: str
    answer: str
    insufficient_evidence: bool
    citations: list[Citation] = Field(default_factory=list)
    model: str
    latency_s: float
    path: AnswerPath = Field(
        "verified",
        description="How the answer was reached: the model's answer passed verification (verified), it failed "
        "twice and the supporting sentence is quoted instead (extractive), a why-question is answered by the "
        "sentence of a report that states the cause, quoted (quoted), a metric was computed in code from "
        "the table rows it cites (computed), the documents do not answer it (insufficient_evidence), or the "
        "question names several companies and one must be chosen (needs_company).",
    )
    company: str | None = Field(
        None, description="The company the question was resolved to (None: all companies)."
    )
    searched: str = Field("", description="What retrieval searched: company, documents and query terms.")
    candidates: list[str] = Field(
        default_factory=list, description="Companies to choose from (path needs_company)."
    )
    reason: RefusalReason | None = Field(
        None,
        description="Why the answer does not answer the question (None: it does); the answer's text says it "
        "in a sentence.",
    )
    covered_periods: list[str] = Field(
        default_factory=list,
        description="Fiscal years the company's documents cover (reason period_not_covered).",
    )
    standalone_question: str | None = Field(
        None, description="A follow-up question rewritten to stand alone (None when it already did)."
    )
    retried: bool = Field(
        False, description="The first answer failed verification and was asked again, stricter."
    )
    first_token_s: float | None = Field(
        None, description="Seconds until the model's first token (None: no LLM call)."
    )


FileStatus = Literal["stored", "unchanged", "duplicate", "failed", "skipped"]


class FileReport(BaseModel):
    """What ingestion did with one file."""

    path: str
    doc: str | None = None
    company: str | None = None
    status: FileStatus
    reader: str | None = None
    pages: int = 0
    chunks: int = 0
    new_vectors: int = Field(0, description="Chunks embedded now (the rest were already stored).")
    quality: float | None = Field(None, description="0–1; below 0.6 the document is flagged low quality.")
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")


class IngestReport(BaseModel):
    """What one ingestion run did."""

    files: list[FileReport] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files)

    def count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)


class CompanyInfo(BaseModel):
    """A company in the store."""

    company: str
    documents: int
    chunks: int


class ModelStatus(BaseModel):
    """One configured model and whether it checks out."""

    role: Literal["llm", "embeddings"]
    name: str
    path: str | None
    sha256: str | None = None
    expected_sha256: str | None = None
    ok: bool
    detail: str = ""
