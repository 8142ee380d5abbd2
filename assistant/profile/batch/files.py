"""A batch's output folder: atomic files, the per-company state (the commit point of each company), the
rebuilt ``profiles.jsonl`` and ``summary.csv``, and the lock that keeps two runs from writing one folder."""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.core.errors import InputError
from assistant.core.names import safe_name
from assistant.profile.batch.task import CSV_COLUMNS, CompanyResult, failed_row

STATE_VERSION = 1


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over (a reader, or a killed run, never sees
    half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


class StateEntry(BaseModel):
    """DIR/state/<name>.json: one company's last outcome."""

    version: int = STATE_VERSION
    company: str
    name: str
    status: Literal["ok", "failed"]
    error: str | None = None
    traceback: str | None = None
    fingerprint: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    seconds: float = 0.0
    finished_at: str = ""
    summary_path: str | None = None
    summary_problems: list[str] = Field(default_factory=list)
    row: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage of the task.")
    worker: str = Field("", description="host:pid of the process that profiled it.")


class FolderLock:
    """An exclusive lock on DIR/.lock for the run (POSIX flock; a no-op where fcntl is missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: io.TextIOWrapper | None = None

    def __enter__(self) -> FolderLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self._fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            self._fh = None
            raise InputError(f"another batch run is writing to {self.path.parent}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()


class BatchRun:
    """The output folder of a batch: state, files, and the rebuilt outputs."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.profiles_dir = self.out / "profiles"
        self.reports_dir = self.out / "reports"
        self.state_dir = self.out / "state"

    def prepare(self) -> None:
        for d in (self.out, self.profiles_dir, self.reports_dir, self.state_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot create {d}: {exc}") from exc
        for d in (self.out, self.profiles_dir, self.reports_dir, self.state_dir):
            for tmp in d.glob(".*.tmp"):  # left by a killed run
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def state(self, name: str) -> StateEntry | None:
        path = self.state_dir / f"{name}.json"
        try:
            return StateEntry.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def done(self, company: str, fingerprint: str | None, options: dict[str, Any]) -> bool:
        """Whether the company's state says ok for these documents (fingerprint) and options."""
        entry = self.state(safe_name(company, "company"))
        return bool(
            entry and entry.status == "ok" and entry.fingerprint == fingerprint and entry.options == options
        )

    def record(self, result: CompanyResult, fingerprint: str | None, options: dict[str, Any]) -> StateEntry:
        """Write the company's files, then its state entry (the commit point)."""
        if result.status == "ok":
            assert result.profile_json is not None and result.markdown is not None and result.html is not None
            write_atomic(self.profiles_dir / f"{result.name}.json", result.profile_json + "\n")
            write_atomic(self.reports_dir / f"{result.name}.md", result.markdown)
            write_atomic(self.reports_dir / f"{result.name}.html", result.html)
        entry = StateEntry(
            company=result.company,
            name=result.name,
            status=result.status,
            error=result.error,
            traceback=result.traceback,
            fingerprint=fingerprint,
            options=options,
            seconds=result.seconds,
            finished_at=datetime.now().isoformat(timespec="seconds"),
            summary_path=result.summary_path,
            summary_problems=result.summary_problems,
            row=result.row,
            timings=result.timings,
            worker=result.worker,
        )
        write_atomic(self.state_dir / f"{result.name}.json", entry.model_dump_json(indent=1))
        return entry

    def rebuild(self, companies: Sequence[str]) -> None:
        """profiles.jsonl and summary.csv from the state, in the run's company order, each company once
        (profiles are streamed: memory stays flat however many companies)."""
        rows: list[dict[str, Any]] = []
        jsonl = self.out / "profiles.jsonl"
        tmp = jsonl.with_name(f".{jsonl.name}.{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            for company in dict.fromkeys(companies):
                name = safe_name(company, "company")
                entry = self.state(name)
                if entry is None:
                    continue
                rows.append(entry.row or failed_row(company, entry.error or ""))
                if entry.status == "ok":
                    try:
                        text = (self.profiles_dir / f"{name}.json").read_text(encoding="utf-8").strip()
                    except OSError:
                        continue
                    if text:
                        fh.write(text + "\n")
        os.replace(tmp, jsonl)
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(CSV_COLUMNS), extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        # UTF-8 with a byte-order mark: spreadsheet programs then read the Chinese names correctly
        write_atomic(self.out / "summary.csv", "\ufeff" + buffer.getvalue())
