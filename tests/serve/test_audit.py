"""The append-only audit log: search, export, and tamper detection through the hash chain."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.serve.audit import AuditLog


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.sqlite3")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    audit.record(
        "alice",
        "ask",
        role="rm",
        company="Acme",
        status=200,
        details={"question": "营业收入是多少？", "citations": [{"doc": "a.pdf", "page": 3}]},
        when=t0,
    )
    audit.record(
        "bob",
        "upload",
        role="analyst",
        company="星河科技",
        status=201,
        details={"doc": "b.pdf"},
        when=t0 + 60,
    )
    audit.record(
        "alice", "search", role="rm", company="Acme", status=200, details={"query": "R&D"}, when=t0 + 120
    )
    audit.record("-", "login_failed", status=401, details={"attempted": "mallory"}, when=t0 + 180)
    return audit


def test_search_filters(log: AuditLog) -> None:
    assert [e.id for e in log.search()] == [4, 3, 2, 1]  # newest first
    assert [e.action for e in log.search(user="alice")] == ["search", "ask"]
    assert [e.user for e in log.search(action="upload")] == ["bob"]
    assert [e.action for e in log.search(company="Acme")] == ["search", "ask"]
    start = dt.datetime(2026, 1, 1, 0, 1, tzinfo=dt.UTC)
    assert [e.id for e in log.search(since=start, until=start + dt.timedelta(minutes=2))] == [3, 2]
    naive = dt.datetime(2026, 1, 1, 0, 1)  # no zone: UTC
    assert [e.id for e in log.search(since=naive)] == [4, 3, 2]
    assert [e.id for e in log.search(limit=2)] == [4, 3]
    assert [e.id for e in log.search(limit=2, before_id=3)] == [2, 1]
    first = log.search(action="ask")[0]
    assert first.time == "2026-01-01T00:00:00.000000+00:00"
    assert first.details == {"question": "营业收入是多少？", "citations": [{"doc": "a.pdf", "page": 3}]}
    assert first.role == "rm" and first.status == 200 and len(first.hash) == 64


def test_export_jsonl_and_csv(log: AuditLog) -> None:
    lines = "".join(log.export("jsonl")).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]  # oldest first
    assert rows[0]["details"]["question"] == "营业收入是多少？"
    table = list(csv.DictReader(io.StringIO("".join(log.export("csv", user="alice")))))
    assert [r["action"] for r in table] == ["ask", "search"]
    assert json.loads(table[0]["details"])["citations"][0]["page"] == 3


def test_chain_verifies_and_detects_tampering(log: AuditLog, tmp_path: Path) -> None:
    report = log.verify()
    assert report.ok and report.entries == 4 and report.head == log.search(limit=1)[0].hash

    raw = sqlite3.connect(tmp_path / "audit.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE audit SET user='eve' WHERE id=2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM audit WHERE id=2")

    # Someone who drops the triggers can change a row, but not without the chain noticing.
    raw.execute("DROP TRIGGER audit_no_update")
    raw.execute("UPDATE audit SET details=? WHERE id=2", (json.dumps({"doc": "other.pdf"}),))
    raw.commit()
    report = log.verify()
    assert not report.ok and report.first_bad_id == 2 and "changed" in (report.problem or "")


def test_chain_detects_a_removed_entry(log: AuditLog, tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "audit.sqlite3")
    raw.execute("DROP TRIGGER audit_no_delete")
    raw.execute("DELETE FROM audit WHERE id=2")
    raw.commit()
    report = log.verify()
    assert not report.ok and report.first_bad_id == 3 and "entry 2 is missing" in (report.problem or "")


def test_no_update_or_delete_api() -> None:
    assert not any(hasattr(AuditLog, name) for name in ("update", "delete", "remove", "clear", "truncate"))


def test_concurrent_appends_keep_the_chain(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.sqlite3")

    def write(n: int) -> None:
        for i in range(25):
            audit.record(f"user{n}", "ask", details={"i": i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit.verify()
    assert report.ok and report.entries == 100
    # a second log object on the same file (another process) continues the same chain
    AuditLog(tmp_path / "audit.sqlite3").record("other", "search")
    assert audit.verify().ok and audit.verify().entries == 101
