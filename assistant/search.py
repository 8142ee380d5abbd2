"""``assistant search``: ranked passages for a query, optionally within one company."""

from __future__ import annotations

from assistant.qa import Answerer
from assistant.store import Store
from assistant.types import SearchHit


def search(store: Store, answerer: Answerer, query: str, company: str | None, k: int) -> list[SearchHit]:
    resolved = answerer.resolve_company(query, company) if company else None
    return [
        SearchHit(
            rank=i,
            score=ev.score,
            company=ev.chunk.company,
            doc=ev.chunk.doc,
            page=ev.chunk.page,
            chunk_id=ev.chunk.chunk_id,
            text=ev.chunk.text,
        )
        for i, ev in enumerate(store.query(query, company=resolved, k=k), start=1)
    ]
