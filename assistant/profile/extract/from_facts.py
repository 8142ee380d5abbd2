"""Profile candidates from stored facts: the table rows read at ingest with the whole document's headers,
captions and units (``assistant.facts.read``), which a chunk alone may not show (a header in one passage, the
row in the next). They are reconciled with the profile's own candidates like any other source."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from assistant.core.records import Fact
from assistant.profile.extract.candidates import Candidate


def _tolerance(fact: Fact) -> float:
    """Half a unit of the last printed digit, in the value's units ("7,453" in millions → 500,000)."""
    printed = re.sub(r"[^\d.]", "", fact.raw)
    if not printed or not Decimal(printed):
        return 0.0
    places = len(printed.split(".")[1]) if "." in printed else 0
    scale = abs(Decimal(fact.value)) / Decimal(printed)
    return float(Decimal(5).scaleb(-(places + 1)) * scale)


def fact_candidates(facts: Iterable[Fact], fields: Iterable[str]) -> list[Candidate]:
    """Candidates of the table facts whose item is a profile field (sentence facts are the profile's own
    sentence candidates already)."""
    wanted = set(fields)
    out = []
    for f in facts:
        if f.kind != "table" or f.item not in wanted or f.scope != "consolidated":
            continue
        value = Decimal(f.value)
        number = re.sub(r"^[^\d]+|[^\d]+$", "", f.raw)
        out.append(
            Candidate(
                field=f.item, value=int(value) if f.unit is None and value == int(value) else float(value),
                unit=f.unit or "count", period=f.period, raw=f.raw, number=number if number in f.quote else None,
                doc=f.doc, page=f.page, quote=f.quote, chunk_id=f.chunk_id, priority=f.priority,
                tolerance=_tolerance(f), rule="facts:table",
            )
        )  # fmt: skip
    return out


__all__ = ["fact_candidates"]
