"""The home of answering a question: ``Answerer.ask`` and ``Answerer.stream`` run the steps — understand the
question (company, follow-up, ``Query``), retrieve, refuse in code, prompt the model, verify → retry →
extractive fallback, and build the Answer with its citations.

The decision "not in the documents" is made here in code, not left to the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from assistant.answer.calculate import year_calculations
from assistant.answer.citations import citations, renumbered
from assistant.answer.extractive import extractive_answer
from assistant.answer.figure_checks import with_table_unit
from assistant.answer.followup import Session, rewrite
from assistant.answer.in_code import (
    Decided,
    QualificationCache,
    cause_decided,
    figures_decided,
    standing_decided,
)
from assistant.answer.instructions import masked
from assistant.answer.periods import Periods, asked_years, passage_years, uncovered
from assistant.answer.prompts import answer_inputs, answer_prompt, system_text
from assistant.answer.query import Query, checked_question
from assistant.answer.refusals import (
    company_mismatch_text,
    company_not_found_text,
    not_found_text,
    period_not_covered_text,
    searched_text,
    several_companies_text,
)
from assistant.answer.resolve import company_candidates, known_companies, resolve
from assistant.answer.retrieve import named_document, relevant, select_passages
from assistant.answer.roles import asked_role, quote_states_role
from assistant.answer.verify import (
    RETRY,
    Checked,
    Draft,
    Retry,
    verify,
    verify_retry_fallback,
)
from assistant.core.errors import AssistantError, LLMError
from assistant.core.records import Answer, Evidence, RefusalReason
from assistant.core.settings import Settings
from assistant.store.index import Store

RETRIEVED = 12  # passages retrieved before the prompt-sized selection


@dataclass
class Event:
    """A streamed piece of an answer: a token; "retry" (discard the tokens so far: the answer failed
    verification and is asked again); or the final checked Answer."""

    kind: str  # "token" | "retry" | "answer"
    token: str = ""
    answer: Answer | None = None


def refused_in_code(
    query: Query, passages: list[Evidence], periods: Periods | None = None
) -> RefusalReason | None:
    """Why no model is asked: no passage (not_stated), or a year the question asks about that no passage is
    about (period_not_covered: it names none, and none is of a report of that year); None when the model may
    answer."""
    if not passages:
        return "not_stated"
    years = set(query.years)
    if years and not any(years & passage_years(e.chunk, periods) for e in passages):
        return "period_not_covered"
    return None


@dataclass
class _Turn:
    """One question being answered: what the steps read, and the Answer's fields known so far."""

    asked: str  # the question as the user wrote it
    query: Query  # the question as answered (a follow-up rewritten to stand alone)
    standalone: str | None
    flagged: str | None  # the company the user chose (flag or field), if any
    started: float
    named: tuple[str, ...] = ()  # known companies the question itself names
    unknown: tuple[str, ...] = ()  # names in the question of no company the user may see
    missing: list[str] = field(default_factory=list)  # asked years no document of the company covers
    cut: bool = False  # the model's answer was cut at the time budget
    searched: str = ""
    found: int = 0  # passages retrieved above the relevance floor
    retrieved: list[Evidence] = field(default_factory=list)  # those passages, best first
    first_token: float | None = None

    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 3)


class Answerer:
    """Answers questions about companies in the store, with verified citations."""

    def __init__(
        self, store: Store, llm: Callable[[], BaseChatModel], settings: Settings, model_label: str
    ) -> None:
        self.store = store
        self._llm = llm  # a factory: the model loads only when a question reaches it
        self.settings = settings
        self.model_label = model_label
        self._periods: dict[str, tuple[tuple[str, ...], Periods]] = {}  # company → (its documents, periods)
        self._qualifications = QualificationCache()

    # ---- company ---------------------------------------------------------------------
    def known_companies(self, allowed: Collection[str] | None = None) -> dict[str, list[str]]:
        """Canonical company name → every alias learned from its documents (only ``allowed`` ones)."""
        return known_companies(self.store, allowed)

    def company_candidates(
        self, question: str, company: str | None, allowed: Collection[str] | None = None
    ) -> list[str]:
        """Companies the flag ``company`` (any alias) or, without it, the question names; best first
        (see ``resolve.company_candidates``)."""
        return company_candidates(self.store, question, company, allowed)

    def resolve_company(
        self, question: str, company: str | None, allowed: Collection[str] | None = None
    ) -> str | None:
        """The company asked about: the one named by ``company`` (any alias), else the one the question names."""
        found = self.company_candidates(question, company, allowed)
        return found[0] if found else None

    # ---- answering -------------------------------------------------------------------
    def ask(
        self,
        question: str,
        company: str | None = None,
        session: Session | None = None,
        allowed: Collection[str] | None = None,
    ) -> Answer:
        final: Answer | None = None
        for event in self.stream(question, company, session, allowed):
            if event.kind == "answer":
                final = event.answer
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        company: str | None = None,
        session: Session | None = None,
        allowed: Collection[str] | None = None,
    ) -> Iterator[Event]:
        """Tokens as the model writes them, then the verified Answer. With a ``session``, a follow-up
        question is rewritten to stand alone and the exchange is added to the session. With ``allowed``
        (a user's portfolio) nothing of another company is resolved, retrieved or cited."""
        turn = self._understand(question, company, session, allowed)
        if turn.unknown:
            answer = self._company_not_found(turn)
        elif turn.flagged and turn.named and turn.query.company not in turn.named:
            answer = self._company_mismatch(turn)
        elif len(turn.query.candidates) > 1 and not turn.flagged:
            answer = self._needs_company(turn)
        elif covered := self._uncovered_period(turn):
            answer = self._period_not_covered(turn, covered)
        elif computed := self._decided(turn, figures_decided(self.store, turn.query)):
            answer = computed
        elif standing := self._decided(turn, standing_decided(self.store, turn.query, self._qualifications)):
            answer = standing
        else:
            passages = self._passages(turn, allowed)
            reason = refused_in_code(turn.query, passages, self._periods_of(turn))
            if reason:
                answer = self._refusal(turn, reason)
            elif quoted := self._decided(turn, cause_decided(turn.query, turn.retrieved)):
                answer = quoted
            else:
                checked = yield from self._drafted(turn, passages)
                answer = self._checked_answer(turn, checked, passages)
        answer.latency_s = turn.seconds()
        if session is not None and answer.path != "needs_company":
            session.add(turn.query.text, answer.company, answer.answer)
        yield Event("answer", answer=answer)

    # ---- the steps -------------------------------------------------------------------
    def _understand(
        self, question: str, company: str | None, session: Session | None, allowed: Collection[str] | None
    ) -> _Turn:
        """The question checked, its company resolved (else the session's, until another is named), a
        follow-up rewritten to stand alone, and the ``Query`` built: the one analysis of the question."""
        started = time.perf_counter()
        asked = checked_question(question, self.settings.max_question_chars)
        found = resolve(self.store, asked, company, allowed)
        candidates = list(found.candidates)
        last = session.last if session else None
        named = bool(candidates)
        seen = last.company if last and (allowed is None or last.company in allowed) else None
        if not candidates and not found.unknown and seen:
            candidates = [seen]  # the session's company, until the question names another
        first = candidates[0] if candidates else None
        standalone = rewrite(asked, last, first, named) if last else None
        query = Query.parse(standalone or asked, first, candidates)
        return _Turn(
            asked=asked,
            query=query,
            standalone=standalone,
            flagged=company,
            started=started,
            named=tuple(found.named),
            unknown=tuple(found.unknown),
        )

    def _reply(self, turn: _Turn, **fields: Any) -> Answer:
        """An Answer with the fields every path shares."""
        shared: dict[str, Any] = {
            "question": turn.asked,
            "model": self.model_label,
            "standalone_question": turn.standalone,
            "latency_s": 0.0,
            "company": turn.query.company,
            "searched": turn.searched,
        }
        return Answer(**(shared | fields))

    def _needs_company(self, turn: _Turn) -> Answer:
        """The question names several companies: the user chooses one."""
        names = turn.query.candidates
        text = several_companies_text(turn.query.language, list(names))
        return self._reply(
            turn,
            company=None,
            answer=text,
            insufficient_evidence=True,
            path="needs_company",
            reason="several_companies",
            candidates=list(names),
        )

    def _company_not_found(self, turn: _Turn) -> Answer:
        """The question names a company none of whose documents the user may see: nothing is searched."""
        text = company_not_found_text(turn.query.language, list(turn.unknown))
        return self._reply(
            turn, company=None, answer=text, insufficient_evidence=True, path="insufficient_evidence",
            reason="company_not_found",
        )  # fmt: skip

    def _company_mismatch(self, turn: _Turn) -> Answer:
        """The question names another company than the one selected: the user chooses, nothing is guessed."""
        selected = turn.query.company
        text = company_mismatch_text(turn.query.language, list(turn.named), selected)
        return self._reply(
            turn, company=None, answer=text, insufficient_evidence=True, path="needs_company",
            reason="company_mismatch", candidates=[*turn.named, *([selected] if selected else [])],
        )  # fmt: skip

    def _uncovered_period(self, turn: _Turn) -> list[str]:
        """The years the company's documents cover, when the question asks a figure of a year none of them
        covers (else [])."""
        company = turn.query.company
        if not company or not asked_years(turn.query):
            return []
        covered = self._company_periods(company).years
        turn.missing = uncovered(turn.query, covered)
        return sorted(covered) if turn.missing else []

    def _periods_of(self, turn: _Turn) -> Periods | None:
        """The periods of the company asked about, when the question names a year (else None)."""
        company = turn.query.company
        return self._company_periods(company) if company and turn.query.years else None

    def _company_periods(self, company: str) -> Periods:
        """The fiscal years the company's documents cover (their texts' and their facts' years) and each report's
        own year, read once per version of its documents (reading them takes ~0.6 s for 9,000 passages: not on
        every question)."""
        version = tuple(sorted(self.store.document_hashes(company).get(company, {}).values()))
        cached = self._periods.get(company)
        if cached is None or cached[0] != version:
            read = Periods.of(self.store.company_texts(company))
            stated = {f.period for f in self.store.facts(company) if f.period}  # a prior-year column's too
            cached = (version, Periods(read.years | stated, read.reports))
            self._periods[company] = cached
        return cached[1]

    def _period_not_covered(self, turn: _Turn, covered: list[str]) -> Answer:
        """The asked fiscal year is in no document of the company: refused before any search."""
        text = period_not_covered_text(turn.query.language, turn.query.company, turn.missing, covered)
        return self._reply(
            turn, answer=text, insufficient_evidence=True, path="insufficient_evidence",
            reason="period_not_covered", covered_periods=covered,
        )  # fmt: skip

    def _decided(self, turn: _Turn, decided: Decided | None) -> Answer | None:
        """The Answer of an answer decided in code (``answer.in_code``), or None."""
        if decided is None:
            return None
        return self._reply(
            turn, answer=decided.text, insufficient_evidence=decided.path == "insufficient_evidence",
            path=decided.path, reason=decided.reason,
            citations=citations(list(range(1, len(decided.evidence) + 1)), decided.evidence),
        )  # fmt: skip

    def _refusal(
        self, turn: _Turn, reason: RefusalReason, retried: bool = False, problem: str = ""
    ) -> Answer:
        """Not in the documents, and why (what was searched is in ``searched``)."""
        return self._reply(
            turn,
            answer=not_found_text(turn.query.language, turn.query.company, turn.found, reason, problem),
            insufficient_evidence=True,
            path="insufficient_evidence",
            reason=reason,
            retried=retried,
            first_token_s=turn.first_token,
        )

    def _passages(self, turn: _Turn, allowed: Collection[str] | None) -> list[Evidence]:
        """The passages the prompt quotes: the relevant ones (from the file the question names, if any)
        that fit the prompt's budget."""
        query = turn.query
        doc = named_document(self.store, query.text, query.company)
        evidence = relevant(self.store, query, RETRIEVED, self.settings.min_relevance, doc, allowed)
        turn.found, turn.retrieved = len(evidence), evidence
        turn.searched = searched_text(self.store, query, doc, evidence, allowed)
        return select_passages(evidence, self.settings.top_k, self.settings.prompt_token_budget)

    def _drafted(self, turn: _Turn, passages: list[Evidence]) -> Generator[Event, None, Checked]:
        """The model's answer streamed as tokens, verified, asked again with the problem named, and replaced
        by an extractive quote when it fails twice. The model sees, and answers are checked against,
        passages with instruction-like sentences masked; verify also gets the unmasked texts, to refuse an
        answer that follows one of those sentences."""
        query = turn.query
        shown = masked(passages)
        calculations = year_calculations(query, [ev.chunk.text for ev in shown])
        inputs = answer_inputs(query, shown, calculations)

        def write(problem: str) -> Iterator[str]:
            if problem:
                inputs["problem"] = problem
            return self._tokens(
                turn, answer_prompt(self.settings.prompts_dir, query.language, problem), inputs
            )

        def fallback() -> Draft:
            role = asked_role(query.text)
            accept = (lambda line: quote_states_role(query.text, line)) if role else None
            text, cited = extractive_answer(query, shown, self._periods_of(turn), accept)
            if (
                text and role and not quote_states_role(query.text, text)
            ):  # no one in that role, for that round
                return Draft(problem=f"no passage states the {role.name}")
            return Draft(text=text, cited=cited) if text else Draft(problem="no passage sentence answers it")

        unmasked = [ev.chunk.text for ev in passages]
        rules = system_text(answer_prompt(self.settings.prompts_dir, query.language))

        def check(raw: str) -> Draft:
            if turn.cut:  # an answer cut at the time budget is never shown as verified, whatever it says
                return Draft(problem="the answer was cut at the time budget")
            return verify(raw, query, shown, unmasked, rules)

        # another attempt starts only when it can show its first token within the budget: the model reads the
        # passages again first (measured by the first attempt's wait for its first token)
        steps = verify_retry_fallback(
            write, check, fallback, out_of_time=lambda: self._late(turn, ahead=turn.first_token or 0.0)
        )
        return (yield from _as_events(steps))

    def _late(self, turn: _Turn, ahead: float = 0.0) -> bool:
        """Whether the question has used its time budget (``answer_budget_s``), or would have after ``ahead``
        more seconds."""
        return turn.seconds() + ahead >= self.settings.answer_budget_s

    def _tokens(self, turn: _Turn, prompt: ChatPromptTemplate, inputs: dict[str, str]) -> Iterator[str]:
        """The model's answer as it writes it (the time of its first token noted), cut when the question's time
        budget is spent (closing the stream stops the model)."""
        stream = (prompt | self._llm() | StrOutputParser()).stream(inputs)
        try:
            for token in stream:
                if turn.first_token is None:
                    turn.first_token = turn.seconds()
                yield token
                if self._late(turn):
                    turn.cut = True
                    break
        except AssistantError:
            raise
        except Exception as exc:  # network, server or runtime failure of the backend
            raise LLMError(f"{self.model_label}: could not reach or use the LLM backend ({exc})") from exc
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def _checked_answer(self, turn: _Turn, checked: Checked, passages: list[Evidence]) -> Answer:
        """The Answer from where verification ended: the verified answer or the extractive quote, cited
        passages numbered 1..k in order of first citation; a refusal when the model declined or no quote
        answers."""
        retried = checked.attempts > 1
        draft = checked.draft
        if checked.path == "declined":
            return self._refusal(turn, "model_declined", retried)
        unstated = [
            p for p in (draft.problem, *checked.problems[-1:]) if p.startswith("no passage states the")
        ]
        if draft.problem and unstated:  # a role no passage states for the name given (roles.py)
            return self._refusal(turn, "not_stated", retried, unstated[0])
        if draft.problem and (turn.cut or self._late(turn)):
            return self._refusal(turn, "time_budget", retried)
        if draft.problem:
            return self._refusal(
                turn, "verification_failed", retried, checked.problems[-1] if checked.problems else ""
            )
        text = with_table_unit(draft.text, [passages[n - 1].chunk.text for n in draft.cited])
        return self._reply(
            turn,
            answer=renumbered(text, draft.cited),
            insufficient_evidence=False,
            citations=citations(draft.cited, passages),
            path="verified" if checked.path == "verified" else "extractive",
            retried=retried,
            first_token_s=turn.first_token,
        )


def _as_events(steps: Generator[str | Retry, None, Checked]) -> Generator[Event, None, Checked]:
    """The verify → retry → fallback path's pieces as stream events; where it ended."""
    while True:
        try:
            piece = next(steps)
        except StopIteration as end:
            checked: Checked = end.value
            return checked
        yield Event("retry") if piece is RETRY else Event("token", token=str(piece))
