"""Ingestion: files and folders → Documents → Chunks → the store, one report line per file."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.chunking import chunk_document
from assistant.errors import AssistantError, InputError
from assistant.readers import read_document, supported
from assistant.settings import Settings
from assistant.store import Store
from assistant.types import FileReport, IngestReport


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "_"))


def discover(paths: list[Path], company: str | None) -> Iterator[tuple[Path, str | None, bool]]:
    """Yield (file, company, named_explicitly). A folder per company names the company."""
    for root in paths:
        if root.is_file():
            yield root, company, True
            continue
        if not root.exists():
            yield root, company, True
            continue
        for file in sorted(root.rglob("*")):
            rel = file.relative_to(root)
            if not file.is_file() or any(_ignored(Path(p)) for p in rel.parts):
                continue
            owner = company or (rel.parts[0] if len(rel.parts) > 1 else root.resolve().name)
            yield file, owner, False


def ingest_paths(
    paths: list[Path],
    store: Store,
    settings: Settings,
    company: str | None = None,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestReport:
    """Ingest files and folders. One bad file never stops the run."""
    started = time.perf_counter()
    report = IngestReport()
    for file, owner, explicit in discover(paths, company):
        t0 = time.perf_counter()
        entry = _ingest_one(file, owner, explicit, store, settings)
        entry.seconds = round(time.perf_counter() - t0, 3)
        report.files.append(entry)
        if on_file:
            on_file(entry)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _ingest_one(file: Path, company: str | None, explicit: bool, store: Store, settings: Settings) -> FileReport:
    entry = FileReport(path=str(file), doc=file.name, company=company, status="failed")
    try:
        if not file.exists():
            raise InputError(f"{file}: no such file or directory")
        if not supported(file) and not explicit:
            entry.status, entry.error = "skipped", f"unsupported file type '{file.suffix or '(none)'}'"
            return entry
        if not company:
            raise InputError(f"{file}: cannot tell which company it belongs to; pass --company NAME")
        try:
            sha = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
        except OSError:
            sha = None  # the reader reports the precise reason
        if sha and store.stored_sha(company, file.name) == sha:
            entry.status = "unchanged"
            return entry
        document = read_document(file, company, max_bytes=int(settings.max_file_mb * 1e6))
        chunks = chunk_document(document, settings.chunk_chars, settings.chunk_overlap_chars)
        if not chunks:
            raise InputError(f"{file}: no text to index")
        store.replace_document(document, chunks)
        entry.status, entry.pages, entry.chunks = "stored", len(document.pages), len(chunks)
    except AssistantError as exc:
        entry.error = str(exc)
    except Exception as exc:  # one bad file never stops the batch
        entry.error = f"{file}: unexpected error: {type(exc).__name__}: {exc}"
    return entry
