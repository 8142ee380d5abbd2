"""Rule profiles are fast: no LLM, no embedding call (target ≥ 200 companies/minute on 2 cores)."""

from __future__ import annotations

import time

from profile_support import TODAY

from assistant.core.services import Services
from assistant.profile import build_profile


def test_at_least_200_companies_per_minute(corpus_services: Services, profiles: dict) -> None:
    store = corpus_services.store
    companies = [c.company for c in store.companies()]
    calls = {"embed": 0}
    embeddings = store.embeddings
    original_docs, original_query = embeddings.embed_documents, embeddings.embed_query

    def counting_docs(texts: list[str]) -> list[list[float]]:
        calls["embed"] += 1
        return original_docs(texts)

    def counting_query(text: str) -> list[float]:
        calls["embed"] += 1
        return original_query(text)

    embeddings.embed_documents = counting_docs  # type: ignore[method-assign]
    embeddings.embed_query = counting_query  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        rounds = 3
        for _ in range(rounds):
            for company in companies:
                build_profile(store, company, today=TODAY)
        seconds = time.perf_counter() - started
    finally:
        embeddings.embed_documents, embeddings.embed_query = original_docs, original_query  # type: ignore[method-assign]
    per_minute = rounds * len(companies) / seconds * 60
    assert calls["embed"] == 0
    assert per_minute >= 200, f"{per_minute:.0f} companies/minute"
