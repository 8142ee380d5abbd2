"""Moved to ``margins``, the one home of running headers, footers and page markers for every paged format
(the PDF reader and text exports); this name stays only for imports written before the move."""

from __future__ import annotations

from assistant.ingest.readers.margins import ZONE, is_page_number, strip_margins

__all__ = ["ZONE", "is_page_number", "strip_margins"]
