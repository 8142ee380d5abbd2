"""Pieces shared by the readers: the input handed to a reader, Markdown tables, text clean-up, zip checks."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.errors import DocumentError
from assistant.core.records import Page
from assistant.text.cjk import is_cjk


@dataclass
class Source:
    """One file being read: its path (for messages), its bytes, its decoded text when it is text.

    Readers append non-fatal problems to ``warnings`` and a paged reader the running lines it removed to
    ``boilerplate``; the dispatcher copies both into the Document.
    """

    path: Path
    data: bytes
    text: str | None = None
    warnings: list[str] = field(default_factory=list)
    boilerplate: list[str] = field(default_factory=list)


Reader = Callable[[Source], list[Page]]

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def join_fragments(parts: Iterable[str]) -> str:
    """Join pieces of one logical line: no space between CJK characters, one space between Latin words."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and not (is_cjk(out[-1]) or is_cjk(part[0])):
            out += " "
        out += part
    return out


def squash(text: str) -> str:
    """Text with all whitespace removed (to compare text laid out differently)."""
    return "".join(text.split())


def clean_text(text: str) -> str:
    """Normalise line ends, strip trailing spaces on each line and collapse runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def cell_text(value: object) -> str:
    """One table cell as a single Markdown-safe line (inner line breaks joined, pipes escaped)."""
    if value is None:
        return ""
    text = join_fragments(_SPACES.sub(" ", line) for line in str(value).splitlines())
    return text.replace("|", "\\|")


def markdown_table(rows: Sequence[Sequence[object]], header: Sequence[object] | None = None) -> str:
    """Render rows as a Markdown table: header row, ``|---|`` rule, one line per row.

    The first row is the header unless ``header`` is given (an all-empty ``header`` is kept: a table
    without a header row). Empty body rows and columns empty in every row are dropped; short rows are
    padded. Returns "" when no body row is left.
    """
    body = [[cell_text(c) for c in row] for row in rows]
    if header is None:
        body = [row for row in body if any(row)]
        if not body:
            return ""
        head, body = body[0], body[1:]
    else:
        head, body = [cell_text(c) for c in header], [row for row in body if any(row)]
    if not body and not any(head):
        return ""
    width = max(len(row) for row in [head, *body])
    table = [row + [""] * (width - len(row)) for row in [head, *body]]
    keep = [i for i in range(width) if any(row[i] for row in table)]
    if not keep:
        return ""
    table = [[row[i] for i in keep] for row in table]
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(keep)]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# zip containers (DOCX, XLSX)
# ------------------------------------------------------------------------------------------------
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ENTRY_RATIO = 100
BIG_ENTRY_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 10_000


def zip_names(path: Path, data: bytes) -> list[str]:
    """Entry names of a zip archive; DocumentError when it is not a readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(f"{path}: corrupt or truncated zip container ({exc})") from exc


def check_zip_bomb(path: Path, data: bytes) -> None:
    """Refuse a zip whose declared sizes could exhaust memory, before any parser inflates it.

    Python's zipfile never inflates an entry past its declared size, so checking the declared sizes
    bounds what python-docx / openpyxl can allocate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(f"{path}: corrupt or truncated zip container ({exc})") from exc
    if len(entries) > MAX_ENTRIES:
        raise DocumentError(f"{path}: looks like a zip bomb ({len(entries)} entries, limit {MAX_ENTRIES})")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNZIPPED_BYTES:
        raise DocumentError(
            f"{path}: looks like a zip bomb ({total / 1e6:.0f} MB uncompressed, "
            f"limit {MAX_UNZIPPED_BYTES / 1e6:.0f} MB)"
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > BIG_ENTRY_BYTES and ratio > MAX_ENTRY_RATIO:
            raise DocumentError(
                f"{path}: looks like a zip bomb ({entry.filename} expands {ratio:.0f}× "
                f"to {entry.file_size / 1e6:.0f} MB)"
            )


def one_line(text: object, limit: int = 200) -> str:
    """An exception text squeezed onto one short line for an error message."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
