"""Shared constants and helpers of the profile tests (imported by name: tests/profile is on sys.path)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
# Qualifications and signals are judged at a fixed date so that the expectations stay true.
TODAY = date(2024, 6, 30)


def truth() -> dict:
    return json.loads((CORPUS / "_truth.json").read_text(encoding="utf-8"))


def fold(text: object) -> str:
    return re.sub(r"[\s,.，。、()（）“”\"']", "", str(text)).casefold()
