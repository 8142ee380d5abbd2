"""The audit trail: an append-only SQLite log (``<store>/audit.sqlite3``) of every question, answer,
search, document view, upload, deletion and failed sign-in — who, when, what, which company, details.

Append-only in three ways: the class has no update or delete method; SQLite triggers refuse UPDATE and
DELETE on the table; and each row stores ``hash = sha256(previous row's hash + its own content)``, so
:meth:`AuditLog.verify` finds any row changed, removed or inserted after the fact. (Cutting rows off
the end leaves a valid shorter chain: compare the head hash ``verify`` returns with one kept elsewhere.)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

GENESIS = "0" * 64
SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_us     INTEGER NOT NULL,   -- microseconds since the Unix epoch (UTC)
    user      TEXT NOT NULL,
    role      TEXT,
    action    TEXT NOT NULL,
    company   TEXT,
    status    INTEGER,            -- HTTP status of the call
    details   TEXT NOT NULL,      -- canonical JSON
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_user ON audit (user, ts_us);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action, ts_us);
CREATE INDEX IF NOT EXISTS audit_company ON audit (company, ts_us);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts_us);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
_COLUMNS = "id, ts_us, user, role, action, company, status, details, prev_hash, hash"


class AuditEntry(BaseModel):
    """One audited event."""

    id: int
    time: str = Field(description="UTC time, ISO 8601 with microseconds.")
    user: str = Field(description="Who: a user or token name, 'local' without authentication, '-' unknown.")
    role: str | None = None
    action: str = Field(
        description="What: ask, search, companies, documents, upload, delete, login_failed, audit …"
    )
    company: str | None = Field(None, description="The company concerned, when there is one.")
    status: int | None = Field(None, description="HTTP status of the call.")
    details: dict[str, Any] = Field(default_factory=dict)
    hash: str = Field(description="sha256 of the previous entry's hash and this entry's content.")


class ChainReport(BaseModel):
    """Result of :meth:`AuditLog.verify`."""

    ok: bool
    entries: int
    head: str = Field(description="Hash of the last entry (keep it elsewhere to detect a cut-off tail).")
    first_bad_id: int | None = None
    problem: str | None = None


_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
_PLAIN = re.compile(r"-|-?\d+(?:\.\d+)?")  # "-" (no user) and negative numbers are not formulas


def safe_text(value: object, limit: int = 128) -> str:
    """Text a client chose (an attempted user name …) made safe to store and show: control characters
    written as escapes (a newline cannot forge a line), at most ``limit`` characters."""
    text = str(value)
    out = "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text[: limit + 1])
    return out[:limit] + ("…" if len(text) > limit else "")


def csv_cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: control characters escaped, and a cell that would start a
    formula (= + - @ tab CR) prefixed with an apostrophe (OWASP's advice against CSV injection)."""
    text = "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in str(value))
    if text.startswith(_FORMULA_LEAD) and not _PLAIN.fullmatch(text):
        return "'" + text
    return text


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _digest(prev: str, row: tuple[Any, ...]) -> str:
    """Hash of an entry: its predecessor's hash and (id, ts_us, user, role, action, company, status, details)."""
    body = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()


def to_us(when: dt.datetime | float | None) -> int | None:
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return int(when.timestamp() * 1_000_000)
    return int(float(when) * 1_000_000)


def _iso(ts_us: int) -> str:
    return dt.datetime.fromtimestamp(ts_us / 1_000_000, tz=dt.UTC).isoformat(timespec="microseconds")


class AuditLog:
    """Append-only audit log in its own SQLite file (one connection per thread). Processes may share the file
    (``serve --workers N``): each append is one ``BEGIN IMMEDIATE`` transaction, so the chain stays one sequence;
    ``worker`` (the process id, set by a server with several workers) is added to each entry's details."""

    def __init__(self, path: Path, worker: int | None = None) -> None:
        self.path = Path(path)
        self.worker = worker
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._writer = self._connect(check_same_thread=False)  # one connection, used under the lock
        self._writer.executescript(SCHEMA)

    def _connect(self, check_same_thread: bool = True) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=check_same_thread)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA cache_size=-1024")  # 1 MB: the log is appended to, rarely read
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")  # also serialises writers in other processes
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own for a read (searches and exports stream while others append)."""
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    def record(
        self,
        user: str,
        action: str,
        *,
        role: str | None = None,
        company: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        when: float | None = None,
    ) -> int:
        """Append one entry; returns its id."""
        ts_us = to_us(when if when is not None else time.time())
        if self.worker is not None:
            details = {"worker": self.worker, **(details or {})}
        text = _canonical(details or {})
        with self._write() as db:
            last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            new_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            row = (new_id, ts_us, user, role, action, company, status, text)
            db.execute(
                f"INSERT INTO audit ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*row, prev, _digest(prev, row)),
            )
        return new_id

    # ---- reading -------------------------------------------------------------------------------
    def search(
        self,
        user: str | None = None,
        action: str | None = None,
        company: str | None = None,
        since: dt.datetime | float | None = None,
        until: dt.datetime | float | None = None,
        limit: int | None = 100,
        before_id: int | None = None,
        newest_first: bool = True,
    ) -> list[AuditEntry]:
        """Entries matching every filter given (``until`` exclusive), newest first by default."""
        return list(self.iter(user, action, company, since, until, limit, before_id, newest_first))

    def iter(
        self,
        user: str | None = None,
        action: str | None = None,
        company: str | None = None,
        since: dt.datetime | float | None = None,
        until: dt.datetime | float | None = None,
        limit: int | None = None,
        before_id: int | None = None,
        newest_first: bool = False,
    ) -> Iterator[AuditEntry]:
        where: list[str] = []
        args: list[object] = []
        for column, value in (("user", user), ("action", action), ("company", company)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        for op, bound in ((">=", to_us(since)), ("<", to_us(until))):
            if bound is not None:
                where.append(f"ts_us {op} ?")
                args.append(bound)
        if before_id is not None:
            where.append("id < ?")
            args.append(before_id)
        sql = f"SELECT {_COLUMNS} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id " + ("DESC" if newest_first else "ASC")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._read() as db:
            for r in db.execute(sql, args):
                yield AuditEntry(
                    id=r[0],
                    time=_iso(r[1]),
                    user=r[2],
                    role=r[3],
                    action=r[4],
                    company=r[5],
                    status=r[6],
                    details=json.loads(r[7]),
                    hash=r[9],
                )

    def export(self, fmt: Literal["jsonl", "csv"], **filters: Any) -> Iterator[str]:
        """The matching entries, oldest first, as JSON Lines or CSV (details as a JSON column)."""
        entries = self.iter(**filters)
        if fmt == "jsonl":
            for e in entries:
                yield e.model_dump_json() + "\n"
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        fields = ["id", "time", "user", "role", "action", "company", "status", "details", "hash"]
        writer.writerow(fields)
        for e in entries:
            writer.writerow(
                [
                    csv_cell(v)
                    for v in (
                        e.id,
                        e.time,
                        e.user,
                        e.role or "",
                        e.action,
                        e.company or "",
                        e.status or "",
                        _canonical(e.details),
                        e.hash,
                    )
                ]
            )
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    def verify(self) -> ChainReport:
        """Recompute the hash chain from the first entry: the first entry changed, removed or inserted."""
        prev, count, expected_id = GENESIS, 0, 1
        with self._read() as db:
            for r in db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id"):
                count += 1
                row = tuple(r[:8])
                if r[0] != expected_id:
                    return ChainReport(
                        ok=False,
                        entries=count,
                        head=prev,
                        first_bad_id=r[0],
                        problem=f"entry {expected_id} is missing",
                    )
                if r[8] != prev or r[9] != _digest(prev, row):
                    return ChainReport(
                        ok=False,
                        entries=count,
                        head=prev,
                        first_bad_id=r[0],
                        problem=f"entry {r[0]} does not match its hash: changed after it was written",
                    )
                prev, expected_id = r[9], expected_id + 1
        return ChainReport(ok=True, entries=count, head=prev)
