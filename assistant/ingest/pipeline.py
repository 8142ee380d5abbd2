"""Ingestion: files and folders → Documents → Chunks → the store, one report line per file.

Which company a file belongs to, in order: ``--company``; a ``companies.csv`` manifest (columns
``file,company``) in a folder being ingested; the folder per company (``corpus/<company>/…``);
otherwise the company named in the text (legal name or unified social credit code).
Names starting with ``_`` or ``.`` are never ingested. One bad file never stops the run.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.core.errors import AssistantError, InputError
from assistant.core.records import Document, FileReport, IngestReport
from assistant.core.settings import Settings
from assistant.facts.read import read_facts
from assistant.ingest.chunking import chunk_document
from assistant.ingest.companies import aliases, detect_company, match_companies, short_name
from assistant.ingest.quality import quality_score
from assistant.ingest.readers import read_document, supported
from assistant.ingest.stages import Budget, Flush, Item, Stop, VectorCache, embedding, put, take, wait
from assistant.store.index import Store, Write
from assistant.store.keywords import tokenize, vocabulary
from assistant.text.normalize import fold_name

MANIFEST = "companies.csv"
log = logging.getLogger(__name__)


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "_")) or path.name == MANIFEST


def _manifest(root: Path) -> dict[str, str]:
    """file (relative path or bare name) → company, from ``root/companies.csv`` if present."""
    path = root / MANIFEST
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            file, company = (row.get("file") or "").strip(), (row.get("company") or "").strip()
            if file and company:
                out[file] = company
    return out


def discover(paths: list[Path], company: str | None) -> Iterator[tuple[Path, str | None, bool]]:
    """Yield (file, company or None, named explicitly on the command line)."""
    for root in paths:
        if not root.is_dir():
            yield root, company, True
            continue
        manifest = _manifest(root)
        for file in sorted(root.rglob("*")):
            rel = file.relative_to(root)
            if not file.is_file() or any(_ignored(Path(p)) for p in rel.parts):
                continue
            owner = company or manifest.get(rel.as_posix()) or manifest.get(file.name)
            if owner is None and len(rel.parts) > 1:
                owner = rel.parts[0]
            yield file, owner, False


WRITE_GROUP_CHUNKS = 512  # documents are written to the store in groups of about this many chunks …
WRITE_GROUP_FILES = 64  # … or this many files, whichever comes first
AHEAD_GROUPS = 2  # files and chunks between reading and writing: this many write groups' worth (memory)


def ingest_paths(
    paths: list[Path],
    store: Store,
    settings: Settings,
    company: str | None = None,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestReport:
    """Ingest files and folders in three overlapping stages: a thread reads and chunks one file after the
    other, a second embeds their chunks, and this thread writes them to the store in groups (see
    ``WriteGroup``), in the order they were found. What is between the stages is bounded (``AHEAD_GROUPS``
    write groups), so memory stays flat however many files there are. ``on_file`` is called (in this
    thread) as each file's outcome is final."""
    started = time.perf_counter()
    report = IngestReport()
    cache = VectorCache.install(store)
    group = WriteGroup(store, on_file, cache)
    stop = threading.Event()
    budget = Budget(AHEAD_GROUPS * WRITE_GROUP_FILES, AHEAD_GROUPS * WRITE_GROUP_CHUNKS)
    read: queue.Queue[Item | Flush | None] = queue.Queue()
    embedded: queue.Queue[Item | Flush | None] = queue.Queue()
    threads = [
        threading.Thread(
            target=_reading, args=(paths, company, settings, group, budget, read, stop), daemon=True
        ),
        threading.Thread(target=embedding, args=(store, cache, read, embedded, stop), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        while (item := take(embedded, stop)) is not None:
            if isinstance(item, Flush):
                group.flush()
                item.done.set()
                if item.error is not None:
                    raise item.error
                continue
            report.files.append(item.entry)
            if item.write is not None:
                wait(item.facts_read, stop)
            group.add(item)
            budget.give(item.held)
        group.flush()
    finally:
        stop.set()
        cache.uninstall(store)
    for thread in threads:
        thread.join()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def ingest_file(
    file: Path, company: str | None, store: Store, settings: Settings, explicit: bool = True
) -> FileReport:
    """Ingest one file (in this thread); every problem becomes the report's error, never an exception."""
    group = WriteGroup(store)
    item = group.prepare(file, company, settings, explicit, None)
    if item.write is not None:
        _add_facts(item.write)
    group.add(item)
    group.flush()
    return item.entry


def _reading(
    paths: list[Path],
    company: str | None,
    settings: Settings,
    group: WriteGroup,
    budget: Budget,
    out: queue.Queue[Item | Flush | None],
    stop: threading.Event,
) -> None:
    """Stage 1: read and chunk the files one after the other (``WriteGroup.prepare``)."""

    def settle() -> None:
        """Wait until everything read so far is written (before a company is told from a text: by the
        names the documents before it taught)."""
        flush = Flush()
        put(out, flush, stop)
        wait(flush.done, stop)

    try:
        for file, owner, explicit in discover(paths, company):
            item = group.prepare(file, owner, settings, explicit, settle)
            item.held = len(item.write.chunks) if item.write else 0
            budget.take(item.held, stop)  # the other stages never wait for this one: it is given back
            put(out, item, stop)
            if item.write is not None:  # its facts and keyword tokens are made while its chunks are embedded
                try:
                    _add_facts(item.write)
                    _add_keywords(item.write)
                finally:
                    item.facts_read.set()
        put(out, None, stop)
    except Stop:
        return
    except BaseException as exc:  # discovery failed (a folder that cannot be listed): the writer raises it
        try:
            put(out, Flush(error=exc), stop)
            put(out, None, stop)
        except Stop:
            return


class WriteGroup:
    """Files read and chunked, then stored together: one embedding call and one Chroma call per group instead
    of per file (a Chroma write costs tens of milliseconds however small). If a group's write fails, its
    files are written one by one, so only a bad one fails. ``prepare`` may run in another thread than the
    rest: the files read but not yet written are known to it (an identical one is a duplicate)."""

    def __init__(
        self,
        store: Store,
        on_file: Callable[[FileReport], None] | None = None,
        cache: VectorCache | None = None,
    ) -> None:
        self.store, self.on_file, self.cache = store, on_file, cache
        self.ready: list[Item] = []
        # the files read but not yet written: (company, sha) → (company, doc)
        self._waiting: dict[tuple[str, str], tuple[str, str]] = {}
        self._lock = threading.Lock()

    def prepare(
        self,
        file: Path,
        company: str | None,
        settings: Settings,
        explicit: bool,
        settle: Callable[[], None] | None,
    ) -> Item:
        """Read and chunk ``file``: what to write, or a report that is final now (unchanged, duplicate,
        failed …)."""
        started = time.perf_counter()
        entry = FileReport(path=str(file), doc=file.name, company=company, status="failed")
        try:
            with self._lock:
                waiting = dict(self._waiting)
            write = _prepare(file, company, self.store, settings, explicit, entry, waiting, settle)
        except AssistantError as exc:
            entry.status, entry.error, write = "failed", str(exc), None
        except Exception as exc:  # one bad file never stops the batch
            entry.status, entry.error, write = (
                "failed",
                f"{file}: unexpected error: {type(exc).__name__}: {exc}",
                None,
            )
        if write is not None:
            with self._lock:
                self._waiting[(write.document.company, write.document.sha256)] = (
                    write.document.company,
                    write.document.doc,
                )
        return Item(entry, write, started)

    def add(self, item: Item) -> None:
        """A prepared file: reported now when there is nothing to write, else written with its group."""
        if item.write is None:
            self._done(item.entry, item.started)
            return
        key = (item.write.document.company, item.write.document.doc)
        if any(
            r.write is not None and (r.write.document.company, r.write.document.doc) == key
            for r in self.ready
        ):
            self.flush()  # the same document twice (two folders, one company): the later one replaces it
        self.ready.append(item)
        if (
            sum(len(r.write.chunks) for r in self.ready if r.write) >= WRITE_GROUP_CHUNKS
            or len(self.ready) >= WRITE_GROUP_FILES
        ):
            self.flush()

    def flush(self) -> None:
        """Write the files waiting; each one's share of the write time goes to its ``store`` timing."""
        ready, self.ready = self.ready, []
        if not ready:
            return
        writes = [r.write for r in ready if r.write is not None]
        t = time.perf_counter()
        try:
            counts = self.store.write_documents(writes)
            results: list[int | Exception] = list(counts)
        except Exception:
            results = []
            for w in writes:  # find the one that fails
                try:
                    results.append(self.store.write_documents([w])[0])
                except Exception as exc:
                    results.append(exc)
        seconds = time.perf_counter() - t
        total = sum(len(w.chunks) for w in writes) or 1
        for r, write, result in zip(ready, writes, results, strict=True):
            entry = r.entry
            with self._lock:
                self._waiting.pop((write.document.company, write.document.sha256), None)
            if self.cache is not None:
                self.cache.drop(r.texts)
            if isinstance(result, Exception):
                entry.status = "failed"
                entry.error = (
                    str(result)
                    if isinstance(result, AssistantError)
                    else f"{entry.path}: could not be stored: {type(result).__name__}: {result}"
                )
                self._done(entry, r.started)
                continue
            timings = dict(write.timings or {})
            if r.embed_s is not None:
                timings["embed"] = r.embed_s
            timings["store"] = seconds * len(write.chunks) / total
            _learn_aliases(write.document, self.store)
            entry.status, entry.reader, entry.new_vectors = "stored", write.document.reader, result
            entry.pages, entry.chunks, entry.quality = (
                len(write.document.pages),
                len(write.chunks),
                write.quality,
            )
            entry.warnings = write.document.warnings
            entry.timings = {k: round(v, 4) for k, v in timings.items()}
            self._done(entry, r.started)

    def _done(self, entry: FileReport, started: float) -> None:
        """Record the outcome (ledger of failures) and report it."""
        stored = entry.status == "stored"
        entry.seconds = round(sum(entry.timings.values()) if stored else time.perf_counter() - started, 3)
        if entry.status == "failed":
            self.store.ledger.record_failure(entry)
        elif entry.status in ("stored", "unchanged", "duplicate"):
            self.store.ledger.clear_failure(entry.path)
        if self.on_file:
            self.on_file(entry)


def _prepare(
    file: Path,
    company: str | None,
    store: Store,
    settings: Settings,
    explicit: bool,
    entry: FileReport,
    waiting: dict[tuple[str, str], tuple[str, str]],
    settle: Callable[[], None] | None = None,
) -> Write | None:
    """Read and chunk a file: what to write, or None when there is nothing to (``entry`` says why)."""
    if not file.exists():
        raise InputError(f"{file}: no such file or directory")
    if not supported(file) and not explicit:
        entry.status, entry.error = "skipped", f"unsupported file type '{file.suffix or '(none)'}'"
        return None
    timings: dict[str, float] = {}
    t = time.perf_counter()
    try:
        sha = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
    except OSError:
        sha = None  # the reader reports the precise reason
    if sha and company and store.stored_sha(company, file.name) == sha:
        entry.status = "unchanged"
        return None
    if sha:
        # a duplicate is an identical file of the same company (a company given or not yet known: any company)
        twin = next(
            (v for (c, s), v in waiting.items() if s == sha and company in (None, c)), None
        ) or store.ledger.find_by_sha(sha, company)
        if twin and twin != (company, file.name):
            entry.status, entry.company = "duplicate", twin[0]
            entry.error = f"same content as {twin[0]}/{twin[1]}: not stored twice"
            return None
    document = read_document(file, company or "?", max_bytes=int(settings.max_file_mb * 1e6))
    timings["read"] = time.perf_counter() - t
    if not company and settle is not None:
        settle()  # the documents before it written: the names they taught are known
    company = company or _company_from_text(document, store)
    if not company:
        raise InputError(
            f"{file}: cannot tell which company it belongs to (no folder, manifest or legal name); pass --company"
        )
    document = document.model_copy(update={"company": company})
    entry.company = company
    if store.stored_sha(company, file.name) == document.sha256:
        entry.status = "unchanged"
        return None
    t = time.perf_counter()
    chunks = chunk_document(document, settings.chunk_chars, settings.chunk_overlap_chars)
    timings["chunk"] = time.perf_counter() - t
    if not chunks:
        raise InputError(
            f"{file}: no text to index" + (f" ({'; '.join(document.warnings)})" if document.warnings else "")
        )
    return Write(document=document, chunks=chunks, quality=quality_score(document), timings=timings)


def _add_facts(write: Write) -> None:
    """Read the figures of a document's tables into ``write.facts`` (a failure costs only the facts)."""
    t = time.perf_counter()
    try:
        write.facts = read_facts(write.document, write.chunks)
    except Exception as exc:  # a table no rule foresaw never costs the document its passages
        write.facts = []
        write.document.warnings.append(
            f"its tables' figures were not read as facts ({type(exc).__name__}: {exc})"
        )
    write.timings = {**(write.timings or {}), "facts": time.perf_counter() - t}


def _add_keywords(write: Write) -> None:
    """Make the keyword tokens of a document's passages ahead of its write (``Write.keywords``)."""
    t = time.perf_counter()
    version = vocabulary()
    tokens = {c.chunk_id: " ".join(tokenize(c.text)) for c in write.chunks}
    write.keywords = (version, tokens)
    write.timings = {**(write.timings or {}), "keywords": time.perf_counter() - t}


def _company_from_text(document: Document, store: Store) -> str | None:
    """The company a document names, mapped onto a known company when an alias matches."""
    text = "\n".join(p.text for p in document.pages)
    mention = detect_company(text)
    if mention is None:
        return None
    known = store.ledger.aliases()
    for name in (mention.legal_name, mention.english_name, *mention.short_names):
        if name:
            matched = match_companies(name, known)
            if len(matched) == 1:
                return matched[0]
    if mention.legal_name:
        return short_name(mention.legal_name) or mention.legal_name
    return mention.english_name


def _learn_aliases(document: Document, store: Store) -> None:
    """Remember the names a company is called by in its documents (used to resolve questions)."""
    names = [document.company]
    mention = detect_company("\n".join(p.text for p in document.pages[:3]))
    if mention is not None:
        found = [n for n in (mention.legal_name, mention.english_name, *mention.short_names) if n]
        own = fold_name(document.company)
        # Only names of this very company (its folder/flag name appears in them), never a counterparty's.
        if any(own in fold_name(n) or fold_name(n) in own for n in found):
            names += found
    store.ledger.set_aliases(document.company, aliases(names))
