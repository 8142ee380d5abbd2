"""Ingestion: files and folders → Documents → Chunks → the store, one report line per file.

Which company a file belongs to, in order: ``--company``; a ``companies.csv`` manifest (columns
``file,company``) in a folder being ingested; the folder per company (``corpus/<company>/…``);
otherwise the company named in the text (legal name or unified social credit code).
Names starting with ``_`` or ``.`` are never ingested. One bad file never stops the run.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.chunking import chunk_document
from assistant.errors import AssistantError, InputError
from assistant.quality import quality_score
from assistant.readers import read_document, supported
from assistant.settings import Settings
from assistant.store import Store
from assistant.types import Document, FileReport, IngestReport

MANIFEST = "companies.csv"


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


def ingest_paths(
    paths: list[Path],
    store: Store,
    settings: Settings,
    company: str | None = None,
    on_file: Callable[[FileReport], None] | None = None,
) -> IngestReport:
    """Ingest files and folders, streaming one file at a time."""
    started = time.perf_counter()
    report = IngestReport()
    for file, owner, explicit in discover(paths, company):
        entry = ingest_file(file, owner, store, settings, explicit=explicit)
        report.files.append(entry)
        if on_file:
            on_file(entry)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def ingest_file(file: Path, company: str | None, store: Store, settings: Settings, explicit: bool = True) -> FileReport:
    """Ingest one file; every problem becomes the report's error, never an exception."""
    t0 = time.perf_counter()
    entry = FileReport(path=str(file), doc=file.name, company=company, status="failed")
    try:
        _ingest(file, company, store, settings, explicit, entry)
    except AssistantError as exc:
        entry.status, entry.error = "failed", str(exc)
    except Exception as exc:  # one bad file never stops the batch
        entry.status, entry.error = "failed", f"{file}: unexpected error: {type(exc).__name__}: {exc}"
    entry.seconds = round(time.perf_counter() - t0, 3)
    if entry.status == "failed":
        store.ledger.record_failure(entry)
    elif entry.status in ("stored", "unchanged", "duplicate"):
        store.ledger.clear_failure(str(file))
    return entry


def _ingest(file: Path, company: str | None, store: Store, settings: Settings, explicit: bool, entry: FileReport) -> None:
    if not file.exists():
        raise InputError(f"{file}: no such file or directory")
    if not supported(file) and not explicit:
        entry.status, entry.error = "skipped", f"unsupported file type '{file.suffix or '(none)'}'"
        return
    timings: dict[str, float] = {}
    t = time.perf_counter()
    try:
        sha = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
    except OSError:
        sha = None  # the reader reports the precise reason
    if sha and company and store.stored_sha(company, file.name) == sha:
        entry.status = "unchanged"
        return
    if sha:
        twin = store.ledger.find_by_sha(sha)
        if twin and twin != (company, file.name):
            entry.status, entry.company = "duplicate", twin[0]
            entry.error = f"same content as {twin[0]}/{twin[1]}: not stored twice"
            return
    document = read_document(file, company or "?", max_bytes=int(settings.max_file_mb * 1e6))
    timings["read"] = time.perf_counter() - t
    company = company or _company_from_text(document, store)
    if not company:
        raise InputError(
            f"{file}: cannot tell which company it belongs to (no folder, manifest or legal name); pass --company"
        )
    document = document.model_copy(update={"company": company})
    entry.company = company
    if store.stored_sha(company, file.name) == document.sha256:
        entry.status = "unchanged"
        return
    t = time.perf_counter()
    chunks = chunk_document(document, settings.chunk_chars, settings.chunk_overlap_chars)
    timings["chunk"] = time.perf_counter() - t
    if not chunks:
        raise InputError(f"{file}: no text to index" + (f" ({'; '.join(document.warnings)})" if document.warnings else ""))
    quality = quality_score(document)
    t = time.perf_counter()
    entry.new_vectors = store.write_document(document, chunks, quality=quality, timings=timings)
    timings["store"] = time.perf_counter() - t
    _learn_aliases(document, store)
    entry.status, entry.reader = "stored", document.reader
    entry.pages, entry.chunks, entry.quality = len(document.pages), len(chunks), quality
    entry.warnings = document.warnings
    entry.timings = {k: round(v, 4) for k, v in timings.items()}


def _company_from_text(document: Document, store: Store) -> str | None:
    """The company a document names, mapped onto a known company when an alias matches."""
    try:
        from assistant.companies import detect_company, match_companies, short_name
    except ImportError:  # pragma: no cover - module arrives with company detection
        return None
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


def _fold(name: str) -> str:
    from assistant.normalize import to_simplified

    return to_simplified(name).casefold().replace(" ", "")


def _learn_aliases(document: Document, store: Store) -> None:
    """Remember the names a company is called by in its documents (used to resolve questions)."""
    names = [document.company]
    try:
        from assistant.companies import aliases, detect_company
    except ImportError:  # pragma: no cover
        store.ledger.set_aliases(document.company, names)
        return
    mention = detect_company("\n".join(p.text for p in document.pages[:3]))
    if mention is not None:
        found = [n for n in (mention.legal_name, mention.english_name, *mention.short_names) if n]
        own = _fold(document.company)
        # Only names of this very company (its folder/flag name appears in them), never a counterparty's.
        if any(own in _fold(n) or _fold(n) in own for n in found):
            names += found
    store.ledger.set_aliases(document.company, aliases(names))
