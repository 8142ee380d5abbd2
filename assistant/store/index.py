"""The on-disk store: chunk vectors in Chroma, everything else in the SQLite ledger.

A passage that appears in several documents of a company is stored once; the ledger's ``sources``
table keeps every (document, page) it came from. Writes are ordered so that a crash at any point
leaves a ledger row ``pending``; ``recover()`` (run when the store opens) removes what such a run
left half-done, and the next ingest stores the document again — never twice. The collection is embedded
(``<store>/chroma``) or on a Chroma server (``server``: :mod:`assistant.store.remote`); the ledger stays in
the store directory either way, and the same ordering keeps the two consistent. Every write and repair holds
the store's inter-process write lock (:mod:`assistant.store.writelock`), so what ``recover()`` removes can
only be the remains of a dead run, never a live writer's work in progress.

Its readers (profiles, batches, retrieval) use the public methods (``company_texts``, ``company_chunks``,
``document_hashes``, ``aliases`` …), never Chroma or the ledger directly. Long because the write path
and its crash recovery must be read together: they share the ordering of Chroma and ledger writes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.core.errors import AssistantError
from assistant.core.records import Chunk, CompanyInfo, Document, Evidence, Fact
from assistant.ingest.chunking import VERSION as CHUNKER_VERSION
from assistant.store.chroma import ChromaEmbeddingFunction
from assistant.store.chroma import chunk as _chunk
from assistant.store.chroma import metadata as _metadata
from assistant.store.keywords import tokenize, vocabulary
from assistant.store.ledger import Ledger, dumps
from assistant.store.remote import ChromaServer, refuse_embedded
from assistant.store.writelock import WriteLock
from assistant.text.normalize import embedding_text, index_text

_BATCH = 1000
_log = logging.getLogger(__name__)
# Version of ``normalize.embedding_text`` the collection's vectors were made from. 2: table rows embedded as
# plain cell sequences ("a / b / c"); 1 (stores without this mark): with their Markdown bars.
EMBEDDING_TEXT = "2"


@dataclass
class Write:
    """One document to store: its chunks, quality score and stage timings (kept in the ledger)."""

    document: Document
    chunks: list[Chunk]
    quality: float | None = None
    timings: dict[str, float] | None = None
    facts: list[Fact] | None = None  # the figures of its tables (None: not read; [] none)
    # its passages' keyword tokens made ahead (while it was embedded), under a vocabulary version: used when
    # the segmenter learnt no word since, else made again
    keywords: tuple[int, dict[str, str]] | None = None


class Store:
    """Chunks in Chroma (one collection per embedding space; embedded, or on ``server``) and the ledger
    beside it, in ``path``."""

    def __init__(
        self, path: Path, embeddings: Embeddings, key: str, server: ChromaServer | None = None
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AssistantError(f"cannot create store directory {self.path}: {exc}") from exc
        self.embeddings = embeddings
        self.server = server
        self.ledger = Ledger(self.path / "ledger.sqlite3")
        self._lock = WriteLock(self.path)
        function = ChromaEmbeddingFunction(embeddings, key)
        if server is None:
            refuse_embedded(self.ledger)
            self._client = chromadb.PersistentClient(
                path=str(self.path / "chroma"),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
            self.collection = self._client.get_or_create_collection(
                name=f"chunks-{key}",
                embedding_function=function,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
            )
        else:
            from assistant.store.remote import connect, paired_collection

            self._client = connect(server)
            with self._lock.hold():
                self.collection = paired_collection(self._client, self.ledger, key, function, server)
        self._pools: dict[str, tuple[Any, list[Chunk], np.ndarray]] = {}
        self._write_lock = threading.Lock()
        self._dirty = False  # a write of this process failed and what it left is not removed yet
        self.recovered = self.recover()
        self.refreshed = self.refresh_vectors()
        from assistant.store.keywords import add_words

        add_words([name for company, names in self.ledger.aliases().items() for name in [company, *names]])

    def close(self) -> None:
        """Release what the open store holds in memory: its Chroma client (Chroma keeps a path's database
        and vector index loaded while any client of it is open, also after this object is gone), the
        companies' cached passages and vectors, and this thread's ledger connection. Not used afterwards."""
        self._pools.clear()
        close = getattr(
            self._client, "close", None
        )  # on chromadb's Client; its ClientAPI does not declare it
        with self._write_lock:
            if callable(close):
                close()
        self.ledger.close()

    # ---- consistency -----------------------------------------------------------------------
    def recover(self) -> list[tuple[str, str]]:
        """Undo what an interrupted run left half-done. Returns the documents it dropped."""
        with self._write_lock, self._lock.hold():
            return self._recover()

    def _recover(self) -> list[tuple[str, str]]:
        """``recover()``, the caller holding the write locks (so a ``pending`` row is no live writer's)."""
        pending = self.ledger.pending()
        with self.ledger.tx() as db:
            for company, doc in pending:
                db.execute("DELETE FROM sources WHERE company=? AND doc=?", (company, doc))
                db.execute("DELETE FROM documents WHERE company=? AND doc=?", (company, doc))
            if pending:
                db.execute("DELETE FROM keywords WHERE chunk_id NOT IN (SELECT chunk_id FROM sources)")
            live_count = db.execute("SELECT COUNT(DISTINCT chunk_id) FROM sources").fetchone()[0]
        if pending or self.collection.count() != live_count:  # a crash left vectors without sources
            with self.ledger.tx() as db:
                db.execute("DELETE FROM keywords WHERE chunk_id NOT IN (SELECT chunk_id FROM sources)")
                live = {r[0] for r in db.execute("SELECT DISTINCT chunk_id FROM sources")}
            orphans = [i for i in self._all_ids() if i not in live]
            for start in range(0, len(orphans), _BATCH):
                self.collection.delete(ids=orphans[start : start + _BATCH])
        return pending

    def _repair_if_needed(self) -> None:
        """Before a write (locks held): finish the repair of an earlier failed write of this process, or of a
        dead process whose ``pending`` rows appeared since this store was opened."""
        if self._dirty or self.ledger.pending():
            self._recover()
            self._dirty = False

    def _repair_after_failure(self) -> None:
        """A write failed half-way (the Chroma server went away, the disk is full …): remove what it left at
        once if the store answers, else at the next write or the next opening. Its own error is the one raised."""
        self._dirty = True
        self._pools.clear()
        try:
            self._recover()
            self._dirty = False
        except Exception as exc:  # noqa: BLE001 - reported by the caller's own exception
            _log.warning("could not repair the store after a failed write yet: %s", exc)

    def _all_ids(self) -> list[str]:
        """Every id in the collection, read in pages (a server answers a bounded request faster)."""
        ids: list[str] = []
        while got := self.collection.get(limit=10 * _BATCH, offset=len(ids), include=[])["ids"]:
            ids += got
        return ids

    def refresh_vectors(self) -> int:
        """Re-embed the passages whose embedding text changed since the collection was built (table rows,
        once, when a store from before ``EMBEDDING_TEXT`` 2 is opened). Returns how many were re-embedded.
        Safe to interrupt: the mark is set only when every vector is new, and re-embedding is idempotent."""
        key = f"embedding_text:{self.collection.name}"
        if self.ledger.get_meta(key) == EMBEDDING_TEXT:
            return 0
        done = 0
        with self._write_lock, self._lock.hold():
            total = self.collection.count()
            for offset in range(0, total, _BATCH):
                got = self.collection.get(limit=_BATCH, offset=offset, include=["documents"])
                pairs = zip(got["ids"], got["documents"] or [], strict=False)
                # version 1 embedded index_text: redo the passages whose embedding text differs from it
                stale = [(i, e) for i, t in pairs if t and (e := embedding_text(t)) != index_text(t)]
                if stale:
                    vectors = self.embeddings.embed_documents([e for _, e in stale])
                    self.collection.update(ids=[i for i, _ in stale], embeddings=vectors)  # type: ignore[arg-type]
                    done += len(stale)
            self.ledger.set_meta(key, EMBEDDING_TEXT)
        return done

    # ---- writing ---------------------------------------------------------------------------
    def stored_sha(self, company: str, doc: str) -> str | None:
        """The hash of the document as stored, if it is stored and chunked by this version of the chunker (a
        document chunked by an older one counts as changed, so the next ingest chunks it again)."""
        return self.ledger.stored_sha(company, doc, CHUNKER_VERSION)

    def write_document(
        self,
        document: Document,
        chunks: list[Chunk],
        quality: float | None = None,
        timings: dict[str, float] | None = None,
    ) -> int:
        """Store a document's chunks, replacing any earlier version. Returns how many were new vectors."""
        return self.write_documents(
            [Write(document=document, chunks=chunks, quality=quality, timings=timings)]
        )[0]

    def write_documents(self, writes: list[Write]) -> list[int]:
        """Store several documents' chunks, each replacing its earlier version, with one embedding call and
        one Chroma upsert per ``_BATCH`` chunks (a Chroma call costs tens of milliseconds however small, so
        a folder of small files is written in groups). Returns each document's count of new vectors.
        Crash-safe as one document: every document of the group is ``pending`` until the last step."""
        keys = [(w.document.company, w.document.doc) for w in writes]
        if len(set(keys)) != len(keys):
            raise AssistantError("a group of writes names the same document twice")
        with self._write_lock, self._lock.hold():
            self._repair_if_needed()
            try:
                first = self._write_group(writes)
            except Exception:
                self._repair_after_failure()
                raise
        counts = [0] * len(writes)
        for n, _ in first.values():
            counts[n] += 1
        return counts

    def _write_group(self, writes: list[Write]) -> dict[str, tuple[int, Chunk]]:
        """The steps of ``write_documents`` (its locks held): ledger (``pending``), Chroma, ledger (``stored``).
        Returns each new vector's chunk with the index of the write it came from."""
        old_by_doc: list[set[str]] = []
        with self.ledger.tx() as db:
            for w in writes:
                document = w.document
                company, doc = document.company, document.doc
                db.execute(
                    "INSERT OR REPLACE INTO documents (company, doc, path, sha256, reader, pages, chunks, status, "
                    "quality, warnings, timings, updated_at, chunker, boilerplate) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        company,
                        doc,
                        document.path,
                        document.sha256,
                        document.reader,
                        len(document.pages),
                        len(w.chunks),
                        "pending",
                        w.quality,
                        dumps(document.warnings),
                        dumps(w.timings or {}),
                        time.time(),
                        CHUNKER_VERSION,
                        dumps(document.boilerplate),
                    ),
                )
                old_by_doc.append(
                    {
                        r[0]
                        for r in db.execute(
                            "SELECT chunk_id FROM sources WHERE company=? AND doc=?", (company, doc)
                        )
                    }
                )
                db.execute("DELETE FROM sources WHERE company=? AND doc=?", (company, doc))
            old_ids = set().union(*old_by_doc)
            new_ids = {c.chunk_id for w in writes for c in w.chunks}
            in_use = _with_sources(db, old_ids | new_ids)  # still cited by documents outside the group
            orphans = sorted(old_ids - in_use - new_ids)
            db.executemany("DELETE FROM keywords WHERE chunk_id=?", [(i,) for i in orphans])
        # a passage a document keeps is not embedded again; one that moves to another document is
        # (its metadata then names the document that has it now)
        present = in_use.union(
            *(old & {c.chunk_id for c in w.chunks} for old, w in zip(old_by_doc, writes, strict=True))
        )
        for start in range(0, len(orphans), _BATCH):
            self.collection.delete(ids=orphans[start : start + _BATCH])
        first: dict[str, tuple[int, Chunk]] = {}
        for n, w in enumerate(writes):
            for c in w.chunks:
                if c.chunk_id not in present:
                    first.setdefault(c.chunk_id, (n, c))
        to_add = [c for _, c in first.values()]
        if to_add:
            vectors = self.embeddings.embed_documents([embedding_text(c.text) for c in to_add])
            for start in range(0, len(to_add), _BATCH):
                batch = to_add[start : start + _BATCH]
                self.collection.upsert(
                    ids=[c.chunk_id for c in batch],
                    documents=[c.text for c in batch],
                    embeddings=vectors[start : start + _BATCH],  # type: ignore[arg-type]
                    metadatas=[_metadata(c) for c in batch],
                )
        now = vocabulary()
        ahead = {
            cid: t for w in writes if w.keywords and w.keywords[0] == now for cid, t in w.keywords[1].items()
        }
        with self.ledger.tx() as db:
            for w in writes:
                db.executemany(
                    "INSERT OR IGNORE INTO sources VALUES (?,?,?,?)",
                    [(c.chunk_id, w.document.company, w.document.doc, c.page or 0) for c in w.chunks],
                )
            db.executemany(
                "INSERT INTO keywords (tokens, chunk_id, company) VALUES (?,?,?)",
                [
                    (ahead.get(c.chunk_id) or " ".join(tokenize(c.text)), c.chunk_id, c.company)
                    for c in to_add
                ],
            )
            for w in writes:
                db.execute(
                    "DELETE FROM facts WHERE company=? AND doc=?", (w.document.company, w.document.doc)
                )
                db.executemany(
                    "INSERT INTO facts (company, doc, item, period, record) VALUES (?,?,?,?,?)",
                    [(f.company, f.doc, f.item, f.period, f.model_dump_json()) for f in w.facts or []],
                )
            db.executemany(
                "UPDATE documents SET status='stored', updated_at=? WHERE company=? AND doc=?",
                [(time.time(), w.document.company, w.document.doc) for w in writes],
            )
        return first

    def delete_document(self, company: str, doc: str) -> int:
        """Remove a document: its ledger row, its sources, and every chunk no other document shares."""
        with self._write_lock, self._lock.hold():
            self._repair_if_needed()
            try:
                with self.ledger.tx() as db:
                    ids = {
                        r[0]
                        for r in db.execute(
                            "SELECT chunk_id FROM sources WHERE company=? AND doc=?", (company, doc)
                        )
                    }
                    found = db.execute(
                        "DELETE FROM documents WHERE company=? AND doc=?", (company, doc)
                    ).rowcount
                    db.execute("DELETE FROM sources WHERE company=? AND doc=?", (company, doc))
                    db.execute("DELETE FROM facts WHERE company=? AND doc=?", (company, doc))
                    shared = _with_sources(db, ids)
                    orphans = sorted(ids - shared)
                    db.executemany("DELETE FROM keywords WHERE chunk_id=?", [(i,) for i in orphans])
                    moved = {
                        cid: db.execute(
                            "SELECT doc, page FROM sources WHERE chunk_id=? LIMIT 1", (cid,)
                        ).fetchone()
                        for cid in shared
                    }
                for start in range(0, len(orphans), _BATCH):
                    self.collection.delete(ids=orphans[start : start + _BATCH])
                if moved:  # shared passages now cite one of their remaining sources
                    got = self.collection.get(ids=list(moved), include=["metadatas"])
                    metas = []
                    for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                        new = dict(meta or {})
                        new["doc"], page = moved[cid]
                        new.pop("page", None)
                        if page:
                            new["page"] = page
                        metas.append(new)
                    if metas:
                        self.collection.update(ids=got["ids"], metadatas=metas)  # type: ignore[arg-type]
            except Exception:
                self._repair_after_failure()
                raise
        return int(found)

    def delete_company(self, company: str) -> list[str]:
        docs = [d for c, d in self.documents(company)]
        for doc in docs:
            self.delete_document(company, doc)
        return docs

    # ---- reading ---------------------------------------------------------------------------
    def companies(self) -> list[CompanyInfo]:
        with self.ledger.tx() as db:
            rows = db.execute(
                "SELECT company, COUNT(*), SUM(chunks) FROM documents WHERE status='stored' "
                "GROUP BY company ORDER BY company"
            ).fetchall()
        return [CompanyInfo(company=r[0], documents=r[1], chunks=r[2] or 0) for r in rows]

    def documents(self, company: str | None = None) -> list[tuple[str, str]]:
        """(company, doc) of every stored document, optionally of one company."""
        return [(str(r["company"]), str(r["doc"])) for r in self.ledger.documents(company)]

    def chunk_count(self) -> int:
        return int(self.collection.count())

    def version(self, company: str | None) -> tuple[int, float]:
        return self.ledger.version(company)

    def aliases(self) -> dict[str, list[str]]:
        """Company → the other names it is known by (companies with stored documents only)."""
        return self.ledger.aliases()

    def document_hashes(self, company: str | None = None) -> dict[str, dict[str, str]]:
        """Company → {document: sha256} of every stored document, optionally of one company."""
        out: dict[str, dict[str, str]] = {}
        for row in self.ledger.documents(company):
            out.setdefault(str(row["company"]), {})[str(row["doc"])] = str(row["sha256"])
        return out

    def replace_facts(self, company: str, doc: str, facts: list[Fact]) -> None:
        """A stored document's facts replaced (read again from its passages: ``assistant facts --reread``)."""
        with self._write_lock, self.ledger.tx() as db:
            db.execute("DELETE FROM facts WHERE company=? AND doc=?", (company, doc))
            db.executemany(
                "INSERT INTO facts (company, doc, item, period, record) VALUES (?,?,?,?,?)",
                [(f.company, f.doc, f.item, f.period, f.model_dump_json()) for f in facts],
            )

    def facts(self, company: str, item: str | None = None, period: str | None = None) -> list[Fact]:
        """The stored facts of a company's documents (of one line item and fiscal year when given)."""
        sql, args = "SELECT record FROM facts WHERE company=?", [company]
        if item is not None:
            sql, args = sql + " AND item=?", [*args, item]
        if period is not None:
            sql, args = sql + " AND period=?", [*args, period]
        with self.ledger.tx() as db:
            rows = db.execute(sql + " ORDER BY rowid", args).fetchall()
        return [Fact.model_validate_json(r[0]) for r in rows]

    def company_texts(self, company: str) -> list[Chunk]:
        """All chunks of one company without their vectors (what a profile reads: cheaper than
        :meth:`company_chunks`, and the same chunks in the same order). The cached chunks when
        :meth:`company_chunks` has them for the company's current version."""
        cached = self._pools.get(company)
        if cached and cached[0] == (company, self.version(company)):
            return list(cached[1])
        got = self.collection.get(where={"company": company}, include=["documents", "metadatas"])
        return [
            _chunk(cid, text or "", dict(meta or {}))
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        ]

    def company_chunks(self, company: str) -> tuple[list[Chunk], np.ndarray]:
        """All chunks of one company with their unit vectors (cached until the company changes)."""
        key = (company, self.version(company))
        cached = self._pools.get(company)
        if cached and cached[0] == key:
            return cached[1], cached[2]
        got = self.collection.get(
            where={"company": company}, include=["documents", "metadatas", "embeddings"]
        )
        chunks = [
            _chunk(cid, text or "", dict(meta or {}))
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        ]
        vectors = np.asarray(got["embeddings"] if got["embeddings"] is not None else [], dtype=np.float32)
        self._pools[company] = (key, chunks, vectors)
        return chunks, vectors

    def chunks_with_vectors(self, ids: list[str]) -> tuple[list[Chunk], list[Any]]:
        if not ids:
            return [], []
        from chromadb.errors import InternalError

        try:
            got = self.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        except InternalError:
            # Chroma can fail ("Error finding id") while a concurrent write deletes one of these ids (seen once
            # in 2,300 searches under the API load test): read again once that write is done.
            with self._write_lock:
                got = self.collection.get(ids=ids, include=["documents", "metadatas", "embeddings"])
        chunks = [
            _chunk(cid, text or "", dict(meta or {}))
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        ]
        vectors = list(got["embeddings"]) if got["embeddings"] is not None else []
        return chunks, vectors

    def query(
        self,
        text: str,
        company: str | None = None,
        k: int = 8,
        doc: str | None = None,
        vector: list[float] | None = None,
    ) -> list[Evidence]:
        """Dense nearest neighbours (cosine similarity as score). ``vector``: the embedding of ``text`` when the
        caller has it already (saves embedding the text a second time)."""
        if vector is None:
            vector = self.embeddings.embed_query(embedding_text(text))
        filters: list[dict[str, Any]] = [{"company": company}] if company else []
        filters += [{"doc": doc}] if doc else []
        try:  # no count() first: it costs ~9 ms at 100,000 chunks, and an empty collection answers with no ids
            result = self.collection.query(
                query_embeddings=[vector],  # type: ignore[arg-type]
                n_results=k,
                where=(filters[0] if len(filters) == 1 else {"$and": filters}) if filters else None,
                include=["documents", "metadatas", "distances"],
            )
        except Exception:
            if self.chunk_count() == 0:
                return []
            raise
        out: list[Evidence] = []
        ids = result["ids"][0]
        docs = (result.get("documents") or [[]])[0]
        metas = (result.get("metadatas") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        for cid, text_, meta, dist in zip(ids, docs, metas, dists, strict=False):
            out.append(
                Evidence(chunk=_chunk(cid, text_ or "", dict(meta or {})), score=round(1.0 - float(dist), 4))
            )
        return out


def _with_sources(db: Any, ids: set[str]) -> set[str]:
    """Which of these chunk ids still have at least one source row."""
    found: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), 500):
        part = listed[start : start + 500]
        marks = ",".join("?" * len(part))
        found |= {
            r[0]
            for r in db.execute(f"SELECT DISTINCT chunk_id FROM sources WHERE chunk_id IN ({marks})", part)
        }
    return found
