"""The on-disk store: a Chroma collection of chunks plus a SQLite ledger of ingested files."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import AssistantError
from assistant.types import Chunk, CompanyInfo, Document, Evidence

_LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    company     TEXT NOT NULL,
    doc         TEXT NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    reader      TEXT NOT NULL,
    pages       INTEGER NOT NULL,
    chunks      INTEGER NOT NULL,
    status      TEXT NOT NULL,          -- pending | stored
    updated_at  REAL NOT NULL,
    PRIMARY KEY (company, doc)
);
"""


class ChromaEmbeddingFunction:
    """Adapter so Chroma always embeds with our model, never its downloading default."""

    def __init__(self, embeddings: Embeddings, key: str) -> None:
        self._embeddings = embeddings
        self._key = key

    def __call__(self, input: list[str]) -> list[list[float]]:  # noqa: A002 - Chroma's signature
        return self._embeddings.embed_documents(list(input))

    def embed_query(self, input: list[str]) -> list[list[float]]:  # noqa: A002
        return [self._embeddings.embed_query(t) for t in input]

    def name(self) -> str:
        return f"assistant-{self._key}"

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"key": self._key}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        raise AssistantError("this collection is opened by the assistant with its own embedding function")


class Store:
    """Chunks in Chroma (one collection per embedding space) and a ledger of documents."""

    def __init__(self, path: Path, embeddings: Embeddings, key: str) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AssistantError(f"cannot create store directory {self.path}: {exc}") from exc
        self.embeddings = embeddings
        self._client = chromadb.PersistentClient(
            path=str(self.path / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        self._ef = ChromaEmbeddingFunction(embeddings, key)
        self.collection = self._client.get_or_create_collection(
            name=f"chunks-{key}",
            embedding_function=self._ef,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._pools: dict[str, tuple[Any, list[Chunk], np.ndarray]] = {}
        self._db_path = self.path / "ledger.sqlite3"
        self._lock = threading.Lock()
        with self._ledger() as db:
            db.executescript(_LEDGER_SCHEMA)

    @contextmanager
    def _ledger(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self._db_path, timeout=30)
            try:
                with db:
                    yield db
            finally:
                db.close()

    # ---- documents -------------------------------------------------------------------
    def stored_sha(self, company: str, doc: str) -> str | None:
        with self._ledger() as db:
            row = db.execute(
                "SELECT sha256 FROM documents WHERE company=? AND doc=? AND status='stored'", (company, doc)
            ).fetchone()
        return row[0] if row else None

    def replace_document(self, document: Document, chunks: list[Chunk]) -> None:
        """Store a document's chunks, replacing any earlier version of the same document."""
        now = time.time()
        with self._ledger() as db:
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                (document.company, document.doc, document.path, document.sha256, document.reader,
                 len(document.pages), len(chunks), "pending", now),
            )
        self.collection.delete(where={"$and": [{"company": document.company}, {"doc": document.doc}]})
        if chunks:
            vectors = self.embeddings.embed_documents([c.text for c in chunks])
            for start in range(0, len(chunks), 1000):
                batch = chunks[start : start + 1000]
                self.collection.upsert(
                    ids=[c.chunk_id for c in batch],
                    documents=[c.text for c in batch],
                    embeddings=vectors[start : start + 1000],  # type: ignore[arg-type]
                    metadatas=[_metadata(c) for c in batch],
                )
        with self._ledger() as db:
            db.execute(
                "UPDATE documents SET status='stored', updated_at=? WHERE company=? AND doc=?",
                (time.time(), document.company, document.doc),
            )

    def companies(self) -> list[CompanyInfo]:
        with self._ledger() as db:
            rows = db.execute(
                "SELECT company, COUNT(*), SUM(chunks) FROM documents WHERE status='stored' "
                "GROUP BY company ORDER BY company"
            ).fetchall()
        return [CompanyInfo(company=r[0], documents=r[1], chunks=r[2] or 0) for r in rows]

    def chunk_count(self) -> int:
        return int(self.collection.count())

    # ---- retrieval -------------------------------------------------------------------
    def documents(self, company: str | None = None) -> list[tuple[str, str]]:
        """(company, doc) of every stored document, optionally of one company."""
        with self._ledger() as db:
            rows = db.execute(
                "SELECT company, doc FROM documents WHERE status='stored' AND (? IS NULL OR company=?) "
                "ORDER BY company, doc",
                (company, company),
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def version(self, company: str | None) -> tuple[int, float]:
        """Changes whenever a document of the company (or any, for None) is stored or replaced."""
        with self._ledger() as db:
            row = db.execute(
                "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM documents WHERE (? IS NULL OR company=?)",
                (company, company),
            ).fetchone()
        return int(row[0]), float(row[1])

    def company_chunks(self, company: str) -> tuple[list[Chunk], np.ndarray]:
        """All chunks of one company with their unit vectors (cached until the company changes)."""
        key = (company, self.version(company))
        cached = self._pools.get(company)
        if cached and cached[0] == key:
            return cached[1], cached[2]
        got = self.collection.get(where={"company": company}, include=["documents", "metadatas", "embeddings"])
        chunks = [
            _chunk(cid, text or "", dict(meta or {}))
            for cid, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False)
        ]
        vectors = np.asarray(got["embeddings"] if got["embeddings"] is not None else [], dtype=np.float32)
        self._pools[company] = (key, chunks, vectors)
        return chunks, vectors

    def query(self, text: str, company: str | None = None, k: int = 8, doc: str | None = None) -> list[Evidence]:
        if self.chunk_count() == 0:
            return []
        vector = self.embeddings.embed_query(text)
        filters: list[dict[str, Any]] = [{"company": company}] if company else []
        filters += [{"doc": doc}] if doc else []
        result = self.collection.query(
            query_embeddings=[vector],  # type: ignore[arg-type]
            n_results=k,
            where=(filters[0] if len(filters) == 1 else {"$and": filters}) if filters else None,
            include=["documents", "metadatas", "distances"],
        )
        out: list[Evidence] = []
        ids = result["ids"][0]
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        for cid, text_, meta, dist in zip(ids, docs, metas, dists, strict=False):
            out.append(Evidence(chunk=_chunk(cid, text_ or "", dict(meta or {})), score=round(1.0 - float(dist), 4)))
        return out


def _metadata(chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {"company": chunk.company, "doc": chunk.doc}
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.section:
        meta["section"] = chunk.section
    return meta


def _chunk(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = meta.get("page")
    return Chunk(
        chunk_id=chunk_id,
        company=str(meta.get("company", "")),
        doc=str(meta.get("doc", "")),
        page=int(page) if page is not None else None,
        section=meta.get("section"),
        text=text,
    )
