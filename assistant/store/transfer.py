"""``assistant store copy``: an embedded store moved to a Chroma server without re-embedding.

Ids, passages, metadata and vectors are read from the embedded collections in batches and upserted into
collections on the server; the ledger (documents, sources, the keyword index, facts, aliases) is copied with
SQLite's backup API into the destination store directory, and paired there with the new collections (see
:mod:`assistant.store.remote`). The source is only read, holding its write lock, so no ingest changes it
mid-copy. The destination's ledger is written first and marked as an unfinished copy until every vector is
on the server and counted: opening an unfinished copy is refused, and running the command again finishes it
(upserts are idempotent, and vectors the source no longer has are removed).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, Field

from assistant.core.errors import AssistantError, InputError
from assistant.store.chroma import ChromaEmbeddingFunction
from assistant.store.ledger import Ledger
from assistant.store.remote import COPYING, HNSW, STORE_ID, ChromaServer, collection_name, connect
from assistant.store.writelock import WriteLock

LEDGER = "ledger.sqlite3"
PREFIX = "chunks-"


class CopyReport(BaseModel):
    """What ``store copy`` did."""

    source: str = Field(description="The embedded store directory copied from.")
    target: str = Field(description="The store directory of the copy (its ledger and keyword index).")
    server: str = Field(description="The Chroma server, http(s)://HOST:PORT.")
    collections: dict[str, int] = Field(description="Each collection on the server → passages copied.")
    documents: int = Field(description="Stored documents in the copied ledger.")
    seconds: float = Field(description="Time the copy took.")


class NoEmbeddings(Embeddings):
    """The embedding model of a copy: vectors are copied, never computed, so any call is an error."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssistantError("store copy computed an embedding: it must copy the stored vectors")

    def embed_query(self, text: str) -> list[float]:
        raise AssistantError("store copy computed an embedding: it must copy the stored vectors")


def copy_store(
    source: Path,
    target: Path,
    server: ChromaServer,
    batch: int = 1000,
    on_batch: Callable[[int], None] | None = None,
) -> CopyReport:
    """Copy the embedded store ``source`` to ``server``, its ledger to the store directory ``target``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    source, target = Path(source), Path(target)
    if not (source / LEDGER).is_file() or not (source / "chroma").is_dir():
        raise InputError(f"{source}: not an embedded store (it has no {LEDGER} and chroma/)")
    if target.resolve() == source.resolve():
        raise InputError(
            f"the copy needs a store directory of its own, not {source}: give --to-store DIR (or the global "
            "--store DIR); the embedded store stays as it is"
        )
    started = time.perf_counter()
    with WriteLock(source).hold():
        client = connect(server)  # before anything is written: an unreachable server leaves no trace
        ledger, store_id = _ledger_copy(source, target)
        embedded = chromadb.PersistentClient(
            path=str(source / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        size = max(1, min(batch, client.get_max_batch_size()))
        counts: dict[str, int] = {}
        for name in sorted(c.name for c in embedded.list_collections() if c.name.startswith(PREFIX)):
            key = name[len(PREFIX) :]
            function: Any = ChromaEmbeddingFunction(NoEmbeddings(), key)
            src = embedded.get_collection(name, embedding_function=function)
            dst_name = collection_name(key, store_id)
            dst = client.get_or_create_collection(dst_name, embedding_function=function, configuration=HNSW)  # type: ignore[arg-type]
            copied: set[str] = set()
            offset = 0
            while True:
                got = src.get(limit=size, offset=offset, include=["documents", "metadatas", "embeddings"])
                if not got["ids"]:
                    break
                offset += len(got["ids"])
                dst.upsert(
                    ids=got["ids"],
                    embeddings=got["embeddings"],
                    documents=got["documents"],
                    metadatas=got["metadatas"],
                )
                copied.update(got["ids"])
                if on_batch:
                    on_batch(len(got["ids"]))
            _remove_others(dst, copied, size)
            if dst.count() != len(copied) or src.count() != len(copied):
                raise AssistantError(
                    f"the copy of {name} holds {dst.count()} passages, the source {src.count()}: run it again"
                )
            counts[dst_name] = len(copied)
            mark = ledger.get_meta(f"embedding_text:{name}")  # the vectors' embedding text version goes along
            if mark is not None:
                ledger.set_meta(f"embedding_text:{dst_name}", mark)
        with ledger.tx() as db:
            db.execute("DELETE FROM meta WHERE key=?", (COPYING,))
            documents = int(db.execute("SELECT COUNT(*) FROM documents WHERE status='stored'").fetchone()[0])
    return CopyReport(
        source=str(source),
        target=str(target),
        server=server.url,
        collections=counts,
        documents=documents,
        seconds=round(time.perf_counter() - started, 2),
    )


def _ledger_copy(source: Path, target: Path) -> tuple[Ledger, str]:
    """The source's ledger copied to ``target``, marked as an unfinished copy and given the store id that
    names its collections on the server (the id of an earlier unfinished copy, which this one finishes)."""
    path = target / LEDGER
    store_id = None
    if path.exists():
        with sqlite3.connect(path) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall()) if _has_meta(db) else {}
            stored = _has_documents(db)
        db.close()
        if meta.get(COPYING) is None and (stored or STORE_ID in meta):
            raise InputError(f"{target} holds a store already: copy into a new directory (--to-store DIR)")
        if meta.get(COPYING) not in (None, str(source.resolve())):
            raise InputError(f"{target} is an unfinished copy of {meta[COPYING]}, not of {source}")
        store_id = meta.get(STORE_ID)
    target.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (target / f"{LEDGER}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source / LEDGER), sqlite3.connect(path)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    ledger = Ledger(path)  # (brings a ledger of an older version up to date, as opening the source would)
    store_id = store_id or uuid.uuid4().hex[:12]
    with ledger.tx() as db:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (STORE_ID, store_id))
        db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (COPYING, str(source.resolve())))
    return ledger, store_id


def _has_meta(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() is not None


def _has_documents(db: sqlite3.Connection) -> bool:
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='documents'").fetchone() is None:
        return False
    return db.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is not None


def _remove_others(collection: Any, keep: set[str], size: int) -> None:
    """Remove the vectors an earlier, unfinished copy left that the source no longer has."""
    ids: list[str] = []
    while got := collection.get(limit=10 * size, offset=len(ids), include=[])["ids"]:
        ids += got
    others = [i for i in ids if i not in keep]
    for start in range(0, len(others), size):
        collection.delete(ids=others[start : start + size])
