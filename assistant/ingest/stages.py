"""The overlapping stages of an ingest run: files are read and chunked in one thread, embedded in a second and
written by the caller's, with bounded hand-overs between them (see ``pipeline.ingest_paths``).

- ``Budget``: how many files and chunks may be between reading and writing at once (so memory stays flat
  however many files a run has); a document larger than the whole budget passes alone.
- ``VectorCache``: vectors made ahead of the write. It stands in for the store's embeddings while a run
  lasts and answers the store's ``embed_documents`` from what the embedding stage made (any text it lacks
  is embedded then, as before); everything else goes to the real model.
- ``put`` / ``Stop``: hand-overs that give up when the run is abandoned (an error or Ctrl-C in the writer).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.core.records import FileReport
from assistant.store.index import Store, Write
from assistant.text.normalize import embedding_text

POLL_S = 0.2  # how often a waiting stage looks whether the run was abandoned
EMBED_BATCH_CHUNKS = 256  # the embedding stage takes the files waiting for it up to about this many chunks
log = logging.getLogger(__name__)


class Stop(Exception):
    """The run was abandoned: a stage stops where it is."""


@dataclass
class Item:
    """One file between the stages: its report, what to write (None: its outcome is final), the texts
    embedded ahead for it, and what it holds of the budget."""

    entry: FileReport
    write: Write | None
    started: float
    texts: list[str] = field(default_factory=list)
    held: int = 0
    embed_s: float | None = None  # its share of the embedding stage's time
    facts_read: threading.Event = field(
        default_factory=threading.Event
    )  # its facts are read while it is embedded


@dataclass
class Flush:
    """Sent down the stages: the writer writes everything before it, then sets ``done``; ``error`` (from the
    reading stage) is raised by the writer once everything before it is written."""

    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def put(channel: queue.Queue[Any], value: Any, stop: threading.Event) -> None:
    """Hand ``value`` on, waiting while the channel is full; Stop when the run is abandoned."""
    while True:
        if stop.is_set():
            raise Stop
        try:
            channel.put(value, timeout=POLL_S)
            return
        except queue.Full:
            continue


def take(channel: queue.Queue[Any], stop: threading.Event) -> Any:
    """The next value; Stop when the run is abandoned."""
    while True:
        if stop.is_set():
            raise Stop
        try:
            return channel.get(timeout=POLL_S)
        except queue.Empty:
            continue


def wait(event: threading.Event, stop: threading.Event) -> None:
    while not event.wait(POLL_S):
        if stop.is_set():
            raise Stop


class Budget:
    """Files and chunks between reading and writing (reserved by the reader, returned by the writer)."""

    def __init__(self, files: int, chunks: int) -> None:
        self.files, self.chunks = files, chunks
        self.used_files = self.used_chunks = 0
        self._cond = threading.Condition()

    def try_take(self, chunks: int) -> bool:
        """Reserve one file of ``chunks`` chunks if it fits (a file alone always fits)."""
        with self._cond:
            idle = self.used_files == 0
            if idle or (self.used_files < self.files and self.used_chunks + chunks <= self.chunks):
                self.used_files += 1
                self.used_chunks += chunks
                return True
            return False

    def take(self, chunks: int, stop: threading.Event) -> None:
        with self._cond:
            while not self.try_take(chunks):
                if stop.is_set():
                    raise Stop
                self._cond.wait(POLL_S)

    def give(self, chunks: int) -> None:
        with self._cond:
            self.used_files -= 1
            self.used_chunks -= chunks
            self._cond.notify_all()


class VectorCache(Embeddings):
    """The store's embeddings during a run, answering ``embed_documents`` from the vectors made ahead."""

    _LOCK = threading.Lock()

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self._vectors: dict[str, tuple[list[float], int]] = {}  # text → (vector, items holding it)
        self._lock = threading.Lock()
        self._users = 0
        self.hits = self.misses = 0

    # ---- installing on a store (runs may overlap: the first installs, the last removes) ----------------
    @classmethod
    def install(cls, store: Store) -> VectorCache:
        with cls._LOCK:
            cache = store.embeddings if isinstance(store.embeddings, VectorCache) else cls(store.embeddings)
            cache._users += 1
            store.embeddings = cache
            return cache

    def uninstall(self, store: Store) -> None:
        with self._LOCK:
            self._users -= 1
            if self._users == 0 and store.embeddings is self:
                store.embeddings = self.inner

    # ---- vectors made ahead ------------------------------------------------------------------------------
    def missing(self, texts: Sequence[str]) -> dict[str, int]:
        """Of ``texts`` (one entry per item that needs it), those without a vector yet, with how many items
        need each; those with one are held once more per item."""
        out: dict[str, int] = {}
        with self._lock:
            for text in texts:
                held = self._vectors.get(text)
                if held is not None:
                    self._vectors[text] = (held[0], held[1] + 1)
                else:
                    out[text] = out.get(text, 0) + 1
        return out

    def add(self, needed: dict[str, int], vectors: Sequence[list[float]]) -> None:
        """The vectors of the texts ``missing`` returned, each held by the items that need it."""
        with self._lock:
            for (text, holders), vector in zip(needed.items(), vectors, strict=True):
                held = self._vectors.get(text)
                self._vectors[text] = (vector, holders + (held[1] if held is not None else 0))

    def drop(self, texts: Sequence[str]) -> None:
        """Let go of the texts an item held (written, or failed; each once)."""
        with self._lock:
            for text in dict.fromkeys(texts):
                held = self._vectors.get(text)
                if held is not None:
                    if held[1] <= 1:
                        del self._vectors[text]
                    else:
                        self._vectors[text] = (held[0], held[1] - 1)

    def __len__(self) -> int:
        return len(self._vectors)

    # ---- the Embeddings interface --------------------------------------------------------------------
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            found = [self._vectors.get(t) for t in texts]
        todo = [t for t, f in zip(texts, found, strict=True) if f is None]
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        made = iter(self.inner.embed_documents(todo) if todo else [])
        return [f[0] if f is not None else next(made) for f in found]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def __getattr__(self, name: str) -> Any:  # name, dimension … of the real model
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


def embedding(
    store: Store,
    cache: VectorCache,
    source: queue.Queue[Item | Flush | None],
    out: queue.Queue[Item | Flush | None],
    stop: threading.Event,
) -> None:
    """Stage 2: embed the chunks of the files read (those waiting are taken together, up to
    ``EMBED_BATCH_CHUNKS``), so the store's write finds their vectors made."""
    try:
        done = False
        while not done:
            batch: list[Item | Flush | None] = [take(source, stop)]
            size = _size(batch[0])
            while size < EMBED_BATCH_CHUNKS and batch[-1] is not None and not isinstance(batch[-1], Flush):
                try:
                    batch.append(source.get_nowait())
                except queue.Empty:
                    break
                size += _size(batch[-1])
            _embed_ahead(store, cache, [i for i in batch if isinstance(i, Item)])
            for value in batch:
                put(out, value, stop)
            done = batch[-1] is None
    except Stop:
        return


def _size(value: Item | Flush | None) -> int:
    return len(value.write.chunks) if isinstance(value, Item) and value.write else 0


def _embed_ahead(store: Store, cache: VectorCache, items: list[Item]) -> None:
    """Embed the chunks of ``items`` that the store does not hold yet (a failure is left to the write,
    which embeds what it finds missing)."""
    items = [i for i in items if i.write is not None and i.write.chunks]
    if not items:
        return
    try:
        ids = {c.chunk_id for i in items if i.write for c in i.write.chunks}
        present = store_has(store, ids)
        for item in items:
            assert item.write is not None
            item.texts = list(
                dict.fromkeys(embedding_text(c.text) for c in item.write.chunks if c.chunk_id not in present)
            )
        todo = cache.missing([t for i in items for t in i.texts])
        t = time.perf_counter()
        cache.add(todo, cache.inner.embed_documents(list(todo)) if todo else [])
        seconds = time.perf_counter() - t
    except Exception as exc:
        log.warning(
            "embedding ahead failed (%s: %s); the store embeds when it writes", type(exc).__name__, exc
        )
        for item in items:
            cache.drop(item.texts)
            item.texts = []
        return
    total = sum(len(i.texts) for i in items) or 1
    for item in items:
        item.embed_s = seconds * len(item.texts) / total


def store_has(store: Store, ids: set[str]) -> set[str]:
    """Which of these chunk ids the store holds already (cited by a stored document)."""
    found: set[str] = set()
    listed = sorted(ids)
    with store.ledger.tx() as db:
        for start in range(0, len(listed), 500):
            part = listed[start : start + 500]
            marks = ",".join("?" * len(part))
            found |= {
                r[0]
                for r in db.execute(
                    f"SELECT DISTINCT chunk_id FROM sources WHERE chunk_id IN ({marks})", part
                )
            }
    return found
