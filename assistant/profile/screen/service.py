"""``screen_portfolio``: the one function behind ``assistant screen``, ``POST /api/screen`` and the web app's
Screen tab. It takes the caller's portfolio (``allowed``: the company names they may see; None only for the
local user of the CLI) and considers nothing else: the companies screened are the stored companies in it, and
every value, quote and name in the result comes from their profiles.

The query is a filter, or a question read by rules (:mod:`assistant.profile.screen.rules`), or — only when the
rules cannot and the caller asks for it — by the model (``translate``); either way the filter's text is parsed by
the grammar and that tree runs, in code, over each company's rule-only profile (no model), so the filter shown is
the filter that ran. Profiles are cached per company, store version and reference date (:class:`ProfileCache`).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.core.errors import AssistantError, InputError
from assistant.core.records import Fact
from assistant.profile.build import build_profile
from assistant.profile.schema import Profile
from assistant.profile.screen.grammar import parse_filter
from assistant.profile.screen.matching import match
from assistant.profile.screen.model import CompanyResult, Mode, Node, ScreenResult, Source
from assistant.profile.screen.rules import QuestionError, question_node
from assistant.profile.screen.vocabulary import FilterError

if TYPE_CHECKING:
    from assistant.store.index import Store

Translator = Callable[[str], str]  # a question → a filter's text (the model's), parsed like any other
Note = Callable[..., None]


def _no_note(**_: Any) -> None:
    return None


@dataclass
class ProfileCache:
    """Rule-only profiles and facts by (store, company, store version of the company, reference date): a
    company whose documents change (stored, replaced, deleted) is built again."""

    size: int = 256
    _items: OrderedDict[tuple[str, str, Any, str], tuple[Profile, list[Fact]]] = field(
        default_factory=OrderedDict
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    built: int = 0  # profiles built (not served from the cache), for tests and benchmarks

    def get(self, store: Store, company: str, today: date) -> tuple[Profile, list[Fact]]:
        key = (str(store.path), company, store.version(company), today.isoformat())
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        built = (build_profile(store, company, today=today), list(store.facts(company)))
        with self._lock:
            self.built += 1
            self._items[key] = built
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return built


CACHE = ProfileCache()


def read_query(query: str, mode: Mode = "auto", translate: Translator | None = None) -> tuple[Node, Source]:
    """The filter a query asks for: the query itself when it parses as one, else the rules' reading of it as a
    question, else (with ``translate``) the model's; the error names what is wrong."""
    query = (query or "").strip()
    if not query:
        raise FilterError("the query is empty: write a filter (rd_ratio > 10) or a question")
    filter_error: FilterError | None = None
    if mode in ("auto", "filter"):
        try:
            return parse_filter(query), "filter"
        except FilterError as exc:
            if mode == "filter":
                raise
            filter_error = exc
    try:
        return question_node(query)[1], "rules"
    except QuestionError as exc:
        if translate is not None:
            return _translated(query, translate), "llm"
        if filter_error is not None and _looks_like_filter(query):
            raise filter_error from None
        raise exc from None


def _looks_like_filter(query: str) -> bool:
    return bool(re.search(r"[<>=!~]|\b(?:checks|signals|metrics)\.|^flag\s|[a-z]+_[a-z]+", query))


def _translated(question: str, translate: Translator) -> Node:
    reply = translate(question)
    for line in (reply or "").splitlines():
        candidate = line.strip().strip("`").removeprefix("filter:").strip()
        if not candidate:
            continue
        try:
            return parse_filter(candidate)
        except FilterError:
            continue
    raise QuestionError(
        f"could not read '{question}' as a filter, by rules or by the model (the model answered "
        f"'{' '.join((reply or '').split())[:120]}'); write a filter, e.g. rd_ratio > 10 and checks.专精特新 = pass"
    )


def portfolio(store: Store, allowed: Collection[str] | None) -> list[str]:
    """The stored companies of the caller's portfolio (every stored company only for ``allowed=None``)."""
    return [c.company for c in store.companies() if allowed is None or c.company in allowed]


def screen_portfolio(
    store: Store,
    query: str,
    allowed: Collection[str] | None,
    *,
    as_of: date | None = None,
    mode: Mode = "auto",
    translate: Translator | None = None,
    cache: ProfileCache | None = None,
    note: Note = _no_note,
) -> ScreenResult:
    """Screen the caller's portfolio with a filter or a question: the filter that ran and the companies it
    matched, each with the values that decided it and their evidence (document, page, quote)."""
    started = time.perf_counter()
    today = as_of or date.today()
    note(query=query, mode=mode, as_of=today.isoformat())
    node, source = read_query(query, mode, translate)
    text = node.text()
    note(filter=text, source=source)
    cache = cache or CACHE
    result = ScreenResult(
        query=query, source=source, filter=text, tree=node, as_of=today.isoformat(), considered=0
    )
    for company in portfolio(store, allowed):
        result.considered += 1
        try:
            profile, facts = cache.get(store, company, today)
        except AssistantError as exc:
            result.errors[company] = str(exc)
            continue
        truth, why = match(node, profile, facts)
        if truth == "true":
            result.matches.append(CompanyResult(company=company, values=why))
        elif truth == "unknown":
            missing = [f"{m.condition}: {_first(m.detail)}" for m in why if m.outcome == "unknown"]
            result.undecided.append(CompanyResult(company=company, values=why, missing=missing))
        else:
            result.not_matched.append(company)
    result.seconds = round(time.perf_counter() - started, 3)
    note(
        considered=result.considered,
        matches=[m.company for m in result.matches],
        undecided=[m.company for m in result.undecided],
        errors=sorted(result.errors),
    )
    return result


def _first(detail: str) -> str:
    """The first sentence of a condition's detail: why it is unknown."""
    return re.split(r"(?<=\.)\s", detail, maxsplit=1)[0].rstrip(".") if detail else "not in the documents"


def parse_as_of(text: str | None) -> date | None:
    """A reference date (YYYY-MM-DD), or None for today; an error says what was wrong."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"the reference date must be YYYY-MM-DD, not '{text}'") from None


__all__ = [
    "CACHE",
    "ProfileCache",
    "Translator",
    "parse_as_of",
    "portfolio",
    "read_query",
    "screen_portfolio",
]
