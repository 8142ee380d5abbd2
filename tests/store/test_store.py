"""Ledger, dedup, delete, crash recovery and script-insensitive search."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.answer.retrieve import hybrid_search
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths


def _consistent(services: Services) -> None:
    """Every vector has a source row, every source row a vector, keyword rows match vectors."""
    store = services.store
    with store.ledger.tx() as db:
        live = {r[0] for r in db.execute("SELECT DISTINCT chunk_id FROM sources")}
        keyword_ids = [r[0] for r in db.execute("SELECT chunk_id FROM keywords")]
        pending = db.execute("SELECT COUNT(*) FROM documents WHERE status!='stored'").fetchone()[0]
    ids = store.collection.get(include=[])["ids"]
    assert sorted(ids) == sorted(live)
    assert sorted(keyword_ids) == sorted(live)  # exactly one keyword row per chunk
    assert pending == 0


def test_shared_passage_stored_once_with_all_sources(fake_services: Services, docs: Path) -> None:
    shared = " ".join(
        f"Acme Robotics shipped {n} FoldPick units to warehouse customers in quarter {q} of 2023."
        for q, n in [(1, 120), (2, 145), (3, 170), (4, 210)]
    )
    assert 300 < len(shared) <= 360
    tail = "This closing paragraph differs between the two outlets and is long enough to be its own chunk."
    (docs / "Acme" / "news_a.txt").write_text(shared + "\n" + tail + " Outlet A.\n")
    (docs / "Acme" / "news_b.txt").write_text(shared + "\n" + tail + " Outlet B.\n")
    ingest_paths([docs], fake_services.store, fake_services.settings)
    with fake_services.store.ledger.tx() as db:
        rows = db.execute("SELECT chunk_id, doc FROM sources WHERE company='Acme' ORDER BY doc").fetchall()
    by_chunk: dict[str, list[str]] = {}
    for cid, doc in rows:
        by_chunk.setdefault(cid, []).append(doc)
    assert ["news_a.txt", "news_b.txt"] in by_chunk.values()
    _consistent(fake_services)

    # deleting one source keeps the shared passage, now attributed to the other document
    assert fake_services.store.delete_document("Acme", "news_a.txt") == 1
    _consistent(fake_services)
    texts = {c.text: c.doc for c in fake_services.store.company_chunks("Acme")[0]}
    assert texts[shared] == "news_b.txt"
    assert not any("Outlet A" in t for t in texts)


def test_identical_file_is_skipped_as_duplicate(fake_services: Services, docs: Path) -> None:
    (docs / "Acme" / "copy_of_notes.txt").write_bytes((docs / "Acme" / "notes.txt").read_bytes())
    report = ingest_paths([docs], fake_services.store, fake_services.settings)
    by_doc = {f.doc: f for f in report.files}
    dup = (
        by_doc["copy_of_notes.txt"]
        if by_doc["copy_of_notes.txt"].status == "duplicate"
        else by_doc["notes.txt"]
    )
    assert dup.status == "duplicate" and "same content as Acme/" in (dup.error or "")
    assert report.ok


def test_delete_company_removes_everything(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    assert fake_services.store.delete_company("Acme") == ["notes.txt"]
    assert [c.company for c in fake_services.store.companies()] == ["星河科技"]
    assert fake_services.store.ledger.keyword_search(["acme", "revenue"], "Acme", 10) == []
    _consistent(fake_services)


def test_traditional_question_finds_simplified_text_and_back(fake_services: Services, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "简体公司").mkdir(parents=True)
    (root / "繁體公司").mkdir(parents=True)
    (root / "简体公司" / "a.txt").write_text("公司研发费用为2,104.18万元，研发人员112人。\n其他业务说明。\n")
    (root / "繁體公司" / "b.txt").write_text("公司研發費用為3,200.00萬元，研發人員58人。\n其他業務說明。\n")
    ingest_paths([root], fake_services.store, fake_services.settings)
    hit = hybrid_search(fake_services.store, "研發費用是多少", "简体公司", k=1)[0]
    assert "2,104.18万元" in hit.chunk.text
    hit = hybrid_search(fake_services.store, "研发费用是多少", "繁體公司", k=1)[0]
    assert "3,200.00萬元" in hit.chunk.text  # the quote keeps the original script


def test_manifest_names_companies(fake_services: Services, tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    root.mkdir()
    (root / "r1.txt").write_text("Revenue was $3.1 million.\n")
    (root / "r2.txt").write_text("营业收入为1,000万元。\n")
    (root / "companies.csv").write_text("file,company\nr1.txt,Quill\nr2.txt,星河科技\n", encoding="utf-8")
    report = ingest_paths([root], fake_services.store, fake_services.settings)
    assert [(f.doc, f.company, f.status) for f in report.files] == [
        ("r1.txt", "Quill", "stored"),
        ("r2.txt", "星河科技", "stored"),
    ]


_KILL_SCRIPT = """
import sys, time
from pathlib import Path
from assistant.ingest.pipeline import ingest_paths
from assistant.core.services import Services
from assistant.core.settings import Settings
s = Settings(store=Path(sys.argv[1]), llm_backend="fake", embedding_backend="fake")
sv = Services(s)
import assistant.ingest.pipeline
assistant.ingest.pipeline.WRITE_GROUP_FILES = 8  # groups of 8 documents
original, embed = sv.store.write_documents, sv.store.embeddings.embed_documents
def slow_embed(texts):
    time.sleep(0.1)  # the kill most likely lands here: mid-group, its documents pending
    return embed(texts)
def reporting(writes):
    counts = original(writes)
    for w in writes:
        print("stored", w.document.doc, flush=True)
    return counts
sv.store.embeddings.embed_documents = slow_embed
sv.store.write_documents = reporting
ingest_paths([Path(sys.argv[2])], sv.store, s)
print("done", flush=True)
"""


def test_sigkill_half_way_then_resume_stores_every_document_once(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    for c in range(3):
        (root / f"Co{c}").mkdir(parents=True)
        for d in range(40):
            lines = [
                f"Company Co{c} document {d} line {i}: revenue item {c * 1000 + d * 10 + i}."
                for i in range(30)
            ]
            (root / f"Co{c}" / f"doc{d:02d}.txt").write_text("\n".join(lines) + "\n")
    store_dir = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(store_dir), str(root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert proc.stdout is not None
    stored = 0
    deadline = time.time() + 120
    while stored < 30 and time.time() < deadline:
        if proc.stdout.readline().startswith("stored"):
            stored += 1
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 30 <= stored < 120, "the run must be killed half-way"

    settings = Settings(store=store_dir, llm_backend="fake", embedding_backend="fake")
    services = Services(settings)
    report = ingest_paths([root], services.store, settings)
    assert report.ok
    assert report.count("unchanged") >= 30 and report.count("stored") >= 1
    assert len(services.store.documents()) == 120
    _consistent(services)
    # every document's chunks exactly once: 120 docs × their chunks, no duplicates
    with services.store.ledger.tx() as db:
        per_doc = db.execute("SELECT COUNT(DISTINCT company || '/' || doc) FROM sources").fetchone()[0]
    assert per_doc == 120


def test_store_from_an_older_version_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from assistant.core.errors import AssistantError

    store = tmp_path / "old"
    store.mkdir()
    db = sqlite3.connect(store / "ledger.sqlite3")
    db.execute(
        "CREATE TABLE documents (company TEXT, doc TEXT, path TEXT, sha256 TEXT, reader TEXT, "
        "pages INTEGER, chunks INTEGER, status TEXT, updated_at REAL)"
    )
    db.commit()
    db.close()
    settings = Settings(store=store, llm_backend="fake", embedding_backend="fake")
    with pytest.raises(AssistantError, match="older version .* ingest again"):
        _ = Services(settings).store


def test_keyword_search_within_a_company_equals_filtering_the_whole_table(
    fake_services: Services, tmp_path: Path
) -> None:
    from assistant.ingest.pipeline import ingest_paths

    root = tmp_path / "kw"
    for i, company in enumerate(
        ["甲公司", "乙公司", "Acme", "甲公司", "Beta"]
    ):  # interleaved ingests of one company
        (root / company).mkdir(parents=True, exist_ok=True)
        (root / company / f"doc{i}.txt").write_text(
            "\n".join(
                f"{company} 2023年营业收入{j}万元，研发投入 R&D revenue patents {j * i}." for j in range(12)
            ),
            encoding="utf-8",
        )
        ingest_paths([root / company], fake_services.store, fake_services.settings, company=company)
    ledger = fake_services.store.ledger
    terms = ["营业", "收入", "研发", "revenue", "patents", "2023"]
    everything = ledger.keyword_search(terms, None, limit=10_000)
    chunks, _ = fake_services.store.company_chunks("甲公司")
    mine = {c.chunk_id for c in chunks}
    expected = [(cid, score) for cid, score in everything if cid in mine][:7]
    assert ledger.keyword_search(terms, "甲公司", limit=7) == expected
