"""JSON and JSON Lines (.json, .jsonl): records as ``key: value`` lines, one page-less Page.

A top-level list is a list of records; a top-level object is one record; JSON Lines (one value per
line) is a list of records. Each record becomes ``key: value`` lines, nested keys joined with dots
(``company.address.city: 深圳``, list items by index: ``patents.0.title: …``; a list of plain values is
written on one line, comma-separated); records are separated by a blank line.
Keeps: every scalar value (strings as written, numbers and booleans as JSON writes them, null as
"null"). Drops: nothing but structure; nesting deeper than MAX_DEPTH is written as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.core.errors import DocumentError
from assistant.core.records import Page
from assistant.ingest.readers.common import Source, clean_text, one_line
from assistant.ingest.readers.text import decode_text

MAX_DEPTH = 32


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return " ".join(value.split()) if "\n" in value else value
    return json.dumps(value, ensure_ascii=False)


def record_lines(record: Any) -> list[str]:
    """``key: value`` lines of one record (an explicit stack, so deep values cannot recurse)."""
    if not isinstance(record, dict | list):
        return [_scalar(record)]
    lines: list[str] = []
    stack: list[tuple[str, Any, int]] = [("", record, 0)]
    while stack:
        key, value, depth = stack.pop()
        if isinstance(value, dict | list) and depth >= MAX_DEPTH:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        elif isinstance(value, dict):
            items = list(value.items())
            stack.extend((f"{key}.{k}" if key else str(k), v, depth + 1) for k, v in reversed(items))
        elif isinstance(value, list) and value and not any(isinstance(v, dict | list) for v in value):
            lines.append(f"{key or 'value'}: " + ", ".join(_scalar(v) for v in value))
        elif isinstance(value, list):
            stack.extend(
                (f"{key}.{i}" if key else str(i), v, depth + 1) for i, v in reversed(list(enumerate(value)))
            )
        else:
            lines.append(f"{key or 'value'}: {_scalar(value)}")
    return lines


def _parse(source: Source, text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as first_error:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise DocumentError(
                    f"{source.path}: invalid JSON (line {first_error.lineno}, column {first_error.colno}: "
                    f"{first_error.msg}; not JSON Lines either: line {number} does not parse)"
                ) from first_error
        return records
    except RecursionError as exc:
        raise DocumentError(f"{source.path}: JSON nested too deeply to read") from exc
    return value if isinstance(value, list) else [value]


def read_json(source: Source) -> list[Page]:
    """Records of a JSON / JSON Lines file as blocks of ``key: value`` lines."""
    text = decode_text(source)
    try:
        records = _parse(source, text)
    except RecursionError as exc:
        raise DocumentError(f"{source.path}: JSON nested too deeply to read ({one_line(exc)})") from exc
    blocks = ["\n".join(record_lines(record)) for record in records]
    return [Page(number=None, text=clean_text("\n\n".join(b for b in blocks if b.strip())))]
