"""The ledger: one SQLite file that records every document, where every chunk came from, the
keyword index (FTS5 over jieba tokens) and company aliases — all updated in the same transactions,
so the keyword index can never drift from the ledger."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.core.records import FileReport

_RANGES = 8  # at most this many rowid ranges per company in a keyword search (one FTS5 query each)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    company     TEXT NOT NULL,
    doc         TEXT NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    reader      TEXT NOT NULL,
    pages       INTEGER NOT NULL DEFAULT 0,
    chunks      INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,              -- pending | stored
    quality     REAL,
    warnings    TEXT NOT NULL DEFAULT '[]', -- JSON list
    timings     TEXT NOT NULL DEFAULT '{}', -- JSON {stage: seconds}
    updated_at  REAL NOT NULL,
    chunker     TEXT NOT NULL DEFAULT '1',  -- chunking.VERSION the document was chunked with
    boilerplate TEXT NOT NULL DEFAULT '[]', -- JSON list: running headers and footers removed from its pages
    PRIMARY KEY (company, doc)
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents (sha256);
CREATE TABLE IF NOT EXISTS sources (
    chunk_id TEXT NOT NULL,
    company  TEXT NOT NULL,
    doc      TEXT NOT NULL,
    page     INTEGER NOT NULL DEFAULT 0,    -- 0 for page-less formats
    PRIMARY KEY (chunk_id, company, doc, page)
);
CREATE INDEX IF NOT EXISTS sources_doc ON sources (company, doc);
CREATE VIRTUAL TABLE IF NOT EXISTS keywords USING fts5(tokens, chunk_id UNINDEXED, company UNINDEXED);
CREATE TABLE IF NOT EXISTS aliases (
    company TEXT NOT NULL,
    alias   TEXT NOT NULL,
    PRIMARY KEY (company, alias)
);
CREATE TABLE IF NOT EXISTS facts (
    company  TEXT NOT NULL,
    doc      TEXT NOT NULL,
    item     TEXT,                          -- line item (lexicon name), NULL when unknown
    period   TEXT,                          -- fiscal year of the column
    record   TEXT NOT NULL                  -- the Fact as JSON
);
CREATE INDEX IF NOT EXISTS facts_company ON facts (company, item, period);
CREATE INDEX IF NOT EXISTS facts_doc ON facts (company, doc);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (
    path       TEXT PRIMARY KEY,
    company    TEXT,
    error      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


class Ledger:
    """Thread-safe access to the ledger database (one connection per operation)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._local = threading.local()
        self._ranges: dict[str, tuple[tuple[int, float, int], list[tuple[int, int]] | None]] = {}
        with self.tx() as db:
            columns = {r[1] for r in db.execute("PRAGMA table_info(documents)")}
            if columns and not {"quality", "warnings", "timings"} <= columns:
                from assistant.core.errors import AssistantError

                raise AssistantError(
                    f"the store at {path.parent} was built by an older version of the assistant; "
                    f"move it aside and ingest again "
                    f"(e.g. mv {path.parent} {path.parent}.old && assistant ingest corpus/)"
                )
            if (
                columns and "chunker" not in columns
            ):  # stores from before chunker versions: chunked by version 1
                db.execute("ALTER TABLE documents ADD COLUMN chunker TEXT NOT NULL DEFAULT '1'")
            if columns and "boilerplate" not in columns:  # stores from before it was kept: none known
                db.execute("ALTER TABLE documents ADD COLUMN boilerplate TEXT NOT NULL DEFAULT '[]'")
            db.executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection (another thread's closes when that thread ends)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            with self._lock:
                db.close()
                self._local.db = None

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed on success, rolled back on any error (one connection per thread)."""
        with self._lock:
            db = self._connection()
            db.row_factory = None
            with db:
                yield db

    # ---- documents -------------------------------------------------------------------------
    def stored_sha(self, company: str, doc: str, chunker: str) -> str | None:
        """The stored document's hash (None if it is not stored, or was chunked by another chunker version)."""
        with self.tx() as db:
            row = db.execute(
                "SELECT sha256 FROM documents WHERE company=? AND doc=? AND status='stored' AND chunker=?",
                (company, doc, chunker),
            ).fetchone()
        return row[0] if row else None

    def find_by_sha(self, sha: str, company: str | None = None) -> tuple[str, str] | None:
        """A stored document with this content: of ``company`` when given (a document of another company is
        that company's business, and telling an uploader it exists would leak it), else of any company."""
        sql = "SELECT company, doc FROM documents WHERE sha256=? AND status='stored'"
        args: tuple[str, ...] = (sha,)
        if company is not None:
            sql, args = sql + " AND company=?", (sha, company)
        with self.tx() as db:
            row = db.execute(sql + " LIMIT 1", args).fetchone()
        return (row[0], row[1]) if row else None

    def pending(self) -> list[tuple[str, str]]:
        with self.tx() as db:
            return [
                (r[0], r[1]) for r in db.execute("SELECT company, doc FROM documents WHERE status='pending'")
            ]

    def documents(self, company: str | None = None) -> list[dict[str, object]]:
        with self.tx() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT * FROM documents WHERE status='stored' AND (? IS NULL OR company=?) ORDER BY company, doc",
                (company, company),
            ).fetchall()
        return [dict(r) for r in rows]

    def version(self, company: str | None) -> tuple[int, float]:
        with self.tx() as db:
            row = db.execute(
                "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM documents WHERE (? IS NULL OR company=?)",
                (company, company),
            ).fetchone()
        return int(row[0]), float(row[1])

    def record_failure(self, report: FileReport) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO failures VALUES (?,?,?,?)",
                (report.path, report.company, report.error or "", time.time()),
            )

    def clear_failure(self, path: str) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM failures WHERE path=?", (path,))

    # ---- keyword index ---------------------------------------------------------------------
    def keyword_search(
        self, tokens: Iterable[str], company: str | None, limit: int
    ) -> list[tuple[str, float]]:
        """(chunk_id, score) by FTS5 BM25 (higher is better) for any of the tokens."""
        terms = sorted({t for t in tokens if t})
        if not terms:
            return []
        query = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        with self.tx() as db:
            if company is None:
                rows = db.execute(
                    "SELECT chunk_id, -bm25(keywords) FROM keywords WHERE keywords MATCH ? "
                    "AND (? IS NULL OR company=?) ORDER BY bm25(keywords) LIMIT ?",
                    (query, company, company, limit),
                ).fetchall()
            else:
                # Only the company's rowid ranges are matched and scored (FTS5 seeks to a rowid range), so the
                # cost no longer grows with the other companies' rows; BM25 statistics stay table-wide, so scores
                # and order (ties by rowid, as FTS5 returns rows) are those of one query over the whole table.
                found = []
                for low, high in self._keyword_ranges(db, company):
                    found += db.execute(
                        "SELECT chunk_id, -bm25(keywords), rowid FROM keywords WHERE keywords MATCH ? "
                        "AND rowid BETWEEN ? AND ? AND company=? ORDER BY bm25(keywords), rowid LIMIT ?",
                        (query, low, high, company, limit),
                    ).fetchall()
                rows = sorted(found, key=lambda r: (-r[1], r[2]))[:limit]
        return [(r[0], float(r[1])) for r in rows]

    def term_shares(self, tokens: Iterable[str], company: str) -> tuple[int, dict[str, float]]:
        """The company's keyword rows, and the share of them each token is in (a word in most of a company's
        passages tells none of them apart)."""
        shares: dict[str, float] = {}
        with self.tx() as db:
            ranges = self._keyword_ranges(db, company)
            total = sum(
                db.execute(
                    "SELECT COUNT(*) FROM keywords WHERE rowid BETWEEN ? AND ? AND company=?",
                    (low, high, company),
                ).fetchone()[0]
                for low, high in ranges
            )
            for t in sorted({t for t in tokens if t}):
                found = sum(
                    db.execute(
                        "SELECT COUNT(*) FROM keywords WHERE keywords MATCH ? AND rowid BETWEEN ? AND ? AND company=?",
                        ('"' + t.replace('"', '""') + '"', low, high, company),
                    ).fetchone()[0]
                    for low, high in ranges
                )
                shares[t] = found / total if total else 0.0
        return total, shares

    def _keyword_ranges(self, db: sqlite3.Connection, company: str) -> list[tuple[int, int]]:
        """Rowid ranges that cover every keyword row of a company (at most ``_RANGES``; rows of other companies
        inside them are filtered out). Cached until the company's documents change or any row is added."""
        newest = db.execute("SELECT rowid FROM keywords ORDER BY rowid DESC LIMIT 1").fetchone()
        newest_id = int(newest[0]) if newest else 0
        docs = db.execute(
            "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM documents WHERE company=?", (company,)
        ).fetchone()
        key = (int(docs[0]), float(docs[1]), newest_id)
        cached = self._ranges.get(company)
        if cached is None or cached[0] != key:
            # One pass finds every company's span (a company ingested in one go is one contiguous span). The
            # versions are read before the rows, so a write in between only makes the cache refresh again.
            versions = {
                r[0]: (int(r[1]), float(r[2]))
                for r in db.execute(
                    "SELECT company, COUNT(*), COALESCE(MAX(updated_at), 0) FROM documents GROUP BY company"
                )
            }
            spans = db.execute(
                "SELECT company, MIN(rowid), MAX(rowid), COUNT(*) FROM keywords GROUP BY company"
            )
            self._ranges = {
                name: (
                    (*versions.get(name, (0, 0.0)), newest_id),
                    [(low, high)] if high - low + 1 == n else None,
                )
                for name, low, high, n in spans
            }
            cached = self._ranges.setdefault(company, (key, []))  # no rows at all: nothing to search
        if cached[1] is not None:
            return cached[1]
        # the company's rows are interleaved with others': its runs of consecutive rowids
        runs: list[list[int]] = []
        for (rowid,) in db.execute("SELECT rowid FROM keywords WHERE company=? ORDER BY rowid", (company,)):
            if runs and runs[-1][1] == rowid - 1:
                runs[-1][1] = rowid
            else:
                runs.append([rowid, rowid])
        if len(runs) > _RANGES:  # close the smallest gaps: fewer, wider ranges
            gaps = sorted(range(1, len(runs)), key=lambda i: runs[i][0] - runs[i - 1][1])
            cuts = sorted(gaps[len(runs) - _RANGES :])
            runs = [[runs[a][0], runs[b - 1][1]] for a, b in zip([0, *cuts], [*cuts, len(runs)], strict=True)]
        ranges = [(a, b) for a, b in runs]
        self._ranges[company] = (cached[0], ranges)
        return ranges

    # ---- facts about the store itself ---------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    # ---- aliases ---------------------------------------------------------------------------
    def set_aliases(self, company: str, aliases: Iterable[str]) -> None:
        aliases = list(aliases)
        from assistant.store.keywords import add_words

        add_words([company, *aliases])
        with self.tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO aliases VALUES (?,?)", [(company, a) for a in aliases if a.strip()]
            )

    def aliases(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with self.tx() as db:
            for company, alias in db.execute(
                "SELECT a.company, a.alias FROM aliases a WHERE EXISTS "
                "(SELECT 1 FROM documents d WHERE d.company=a.company AND d.status='stored') ORDER BY rowid"
            ):
                out.setdefault(company, []).append(alias)
        return out


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
