"""Company names: detect which company a document is about, derive short names and aliases, and find
the known companies a question mentions.

Everything here is pure, fast and deterministic (regular expressions, OpenCC and pypinyin; no model,
no network). One job per module:

- ``detect``: :func:`detect_company` reads a document's text and returns a :class:`CompanyMention` (legal
  name, English name, unified social credit code, short names, a confidence and the evidence line); it
  weighs the names ``occurrences`` finds with the patterns of ``cues``.
- ``credit_code``: :func:`valid_credit_code` checks the check character of an 18-character unified social
  credit code (统一社会信用代码, GB 32100-2015).
- ``names``: :func:`short_name` / :func:`short_names` derive short names from a legal name
  (``杭州栖云智算科技股份有限公司`` → ``栖云智算``; variants ``栖云智算科技``, ``栖云智算``, ``栖云``);
  :func:`aliases` expands any known names into the alias set used for matching (short forms, Simplified
  and Traditional script, pinyin, lowercase). Its word lists live in ``lexicon``.
- ``matching``: :func:`match_companies` returns the known companies a question mentions, longest match first.
"""

from __future__ import annotations

from assistant.ingest.companies.credit_code import valid_credit_code
from assistant.ingest.companies.detect import CompanyMention, detect_company
from assistant.ingest.companies.matching import match_companies
from assistant.ingest.companies.names import aliases, short_name, short_names

__all__ = [
    "CompanyMention",
    "aliases",
    "detect_company",
    "match_companies",
    "short_name",
    "short_names",
    "valid_credit_code",
]
