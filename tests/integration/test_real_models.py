"""End to end on the real embedded models (Qwen2.5-Coder-1.5B via llama.cpp, USE multilingual)."""

from __future__ import annotations

import re

import pytest

from assistant.core.records import IngestReport
from assistant.core.services import Services
from tests.conftest import load_questions, load_truth

pytestmark = pytest.mark.integration

QUESTIONS = load_questions()
NUMBER_QS = [q for q in QUESTIONS if q["answer_type"] == "number" and q["answer"] != "NOT_IN_DOCS"]
CHOSEN = [q for q in NUMBER_QS if q["lang"] == "zh"][:3] + [q for q in NUMBER_QS if q["lang"] == "en"][:3]
REFUSALS = [q for q in QUESTIONS if q["answer"] == "NOT_IN_DOCS"][:2]


def _sources(q: dict) -> set[tuple[str, int | None]]:
    """Where the corpus states the gold value: the question's page and any fact with the same value."""
    found = {(q["doc"], q["page"])} | {(q["doc"], p) for p in q.get("also_pages", [])}  # a table too
    for company in load_truth()["companies"]:
        if company["name"] == q["company"]:
            found |= {(f["doc"], f["page"]) for f in company["facts"] if f.get("value") == q.get("value")}
    return found


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def test_corpus_ingested_with_pages(real: tuple[Services, IngestReport]) -> None:
    services, report = real
    assert report.ok, [f.error for f in report.files if f.error]
    stored = {(f.company, f.doc): f for f in report.files}
    for company in load_truth()["companies"]:
        for doc in company["documents"]:
            entry = stored[(company["name"], doc["doc"])]
            assert entry.status == "stored"
            if doc["doc"].endswith(".pdf"):
                assert entry.pages == doc["pages"]
    assert {c.company for c in services.store.companies()} == {c["name"] for c in load_truth()["companies"]}


@pytest.mark.parametrize("q", CHOSEN, ids=[q["id"] for q in CHOSEN])
def test_ask_returns_the_number_and_cites_its_page(real: tuple[Services, IngestReport], q: dict) -> None:
    services, _ = real
    answer = services.answerer.ask(q["question"], company=q["company"])
    assert not answer.insufficient_evidence, answer.answer
    gold = _numbers(q["answer"])
    assert gold & _numbers(answer.answer), f"expected {q['answer']!r} in {answer.answer!r}"
    cited = {(c.doc, c.page) for c in answer.citations}
    assert cited & _sources(q), f"expected one of {_sources(q)} among {cited}"


@pytest.mark.parametrize("q", REFUSALS, ids=[q["id"] for q in REFUSALS])
def test_absent_fact_is_not_in_the_documents(real: tuple[Services, IngestReport], q: dict) -> None:
    services, _ = real
    answer = services.answerer.ask(q["question"], company=q["company"])
    assert answer.insufficient_evidence, answer.answer
    assert answer.citations == []


def test_search_finds_the_page_of_a_fact(real: tuple[Services, IngestReport]) -> None:
    services, _ = real
    q = CHOSEN[0]
    hits = services.store.query(q["question"], company=q["company"], k=5)
    assert (q["doc"], q["page"]) in {(h.chunk.doc, h.chunk.page) for h in hits}
    assert all(h.chunk.company == q["company"] for h in hits)


def test_sentence_transformers_backend_offline(tmp_path) -> None:
    """The packaged all-MiniLM-L6-v2 loads from disk (no hub) and ranks the right passage first."""
    from assistant.models.embeddings import SentenceTransformerEmbeddings

    emb = SentenceTransformerEmbeddings(None)
    assert emb.dimension == 384
    passages = [
        "Revenue for fiscal 2023 was $21.5 million.",
        "The company was founded in Austin in 2015.",
        "We hold 14 invention patents on battery chemistry.",
    ]
    vectors = emb.embed_documents(passages)
    query = emb.embed_query("How many patents does the company own?")
    scores = [sum(a * b for a, b in zip(query, v, strict=True)) for v in vectors]
    assert max(range(3), key=scores.__getitem__) == 2
