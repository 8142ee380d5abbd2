"""The typed shapes of screening: a filter as a tree (:class:`Condition`, :class:`Not`, :class:`And`, :class:`Or`)
and the result of running one over a portfolio (:class:`ScreenResult`: each company with the values that matched
and their evidence). The filter's text (``rd_ratio > 10 and checks.专精特新 = pass``) is what a user writes and
what the result shows; :func:`assistant.profile.screen.grammar.parse_filter` turns it into the tree."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from assistant.core.records import Citation
from assistant.profile.schema import SPECS

RefKind = Literal["field", "metric", "check", "signal", "count"]
Op = Literal[">", ">=", "<", "<=", "=", "!=", "~"]
Mode = Literal["auto", "filter", "question"]
Source = Literal["filter", "rules", "llm"]
Truth = Literal["true", "false", "unknown"]


class Ref(BaseModel):
    """What a condition reads from a company's profile."""

    kind: RefKind = Field(
        description="field: a profile field (profile/schema.py); metric: a credit metric (facts/metrics.py); "
        "check: a qualification check; signal: a credit signal or red flag; count: a count the screen computes "
        "(red_flags)."
    )
    name: str = Field(description="Field or metric name, the check's key (专精特新 …), or the signal's name.")
    period: str | None = Field(
        None, description="Fiscal year of a per-year field (rd_ratio[2022]); None: latest."
    )

    def text(self) -> str:
        """As the filter language writes it."""
        prefix = {"check": "checks.", "signal": "signals."}.get(self.kind, "")
        if self.kind == "metric" and self.name in SPECS:
            prefix = "metrics."  # a field of the same name is the bare one
        year = f"[{self.period}]" if self.period else ""
        return f"{prefix}{_name(self.name)}{year}"


class Condition(BaseModel):
    """One comparison: a field, metric, check or signal against a value."""

    type: Literal["condition"] = "condition"
    ref: Ref
    op: Op = Field(description="> >= < <= = != (and ~: the text contains).")
    value: float | int | str = Field(
        description="A number (percent fields in percent: 10 is 10%), pass|fail|unknown for checks, "
        "red_flag|signal|absent for signals, or text."
    )
    currency: str | None = Field(
        None, description="Money compared only with values in this currency (CNY, USD …); None: any."
    )

    def text(self) -> str:
        if self.ref.kind == "signal" and self.op == "=" and self.value == "red_flag":
            return f"flag {_name(self.ref.name)}"
        if isinstance(self.value, str) and self.value not in _WORDS:
            shown = '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        else:
            shown = _number(self.value) if not isinstance(self.value, str) else self.value
        cur = f" {self.currency}" if self.currency else ""
        return f"{self.ref.text()} {self.op} {shown}{cur}"


class Not(BaseModel):
    type: Literal["not"] = "not"
    arg: Node

    def text(self) -> str:
        inner = self.arg.text()
        return f"not {inner}" if isinstance(self.arg, Condition | Not) else f"not ({inner})"


class And(BaseModel):
    type: Literal["and"] = "and"
    args: list[Node] = Field(min_length=2)

    def text(self) -> str:
        return " and ".join(f"({a.text()})" if isinstance(a, Or) else a.text() for a in self.args)


class Or(BaseModel):
    type: Literal["or"] = "or"
    args: list[Node] = Field(min_length=2)

    def text(self) -> str:
        return " or ".join(a.text() for a in self.args)


Node = Annotated[Condition | Not | And | Or, Field(discriminator="type")]
Not.model_rebuild()
And.model_rebuild()
Or.model_rebuild()

_WORDS = frozenset({"pass", "fail", "unknown", "red_flag", "signal", "absent"})


def _name(name: str) -> str:
    """A name as the filter writes it: bare when it is one word, else quoted."""
    return name if re.fullmatch(r"[^\W\d]\w*", name) else '"' + name.replace('"', '\\"') + '"'


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


class ScreenRequest(BaseModel):
    """``assistant screen QUERY [--as-of DATE]`` / ``POST /api/screen``: a filter or a question."""

    query: str = Field(
        min_length=1,
        max_length=2000,
        description="A filter (rd_ratio > 10 and checks.专精特新 = pass) or a question in Chinese or English "
        "(哪些公司通过了专精特新且营收增长超过25%？).",
        examples=[
            "rd_ratio > 10 and top5_customer_share < 50",
            "who has a red flag for customer concentration?",
        ],
    )
    mode: Mode = Field(
        "auto", description="auto: a filter if it parses, else a question; filter or question: only that."
    )
    as_of: str | None = Field(
        None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="Reference date (YYYY-MM-DD) of qualification expiry and signals; default today.",
    )
    llm: bool = Field(
        False, description="Ask the language model for the filter when the rules cannot read the question."
    )


class Matched(BaseModel):
    """One condition as it came out for a company: the value read, and where it was read."""

    condition: str = Field(description="The condition as the filter writes it (rd_ratio > 10).")
    outcome: Truth = Field(description="true, false, or unknown (the value is not in the documents).")
    label: str = Field(description="What was read, in English and Chinese.")
    value: float | int | str | None = Field(None, description="The value compared (None when unknown).")
    unit: str | None = Field(None, description="%, CNY, USD, count …")
    period: str | None = Field(None, description="Fiscal year (or date) of the value.")
    detail: str = Field("", description="How it was read: a formula, a check's criteria, a signal's text.")
    evidence: list[Citation] = Field(
        default_factory=list, description="Document, page and quote of each source."
    )


class CompanyResult(BaseModel):
    """A company the filter matched (or could not decide), with the values that decided it."""

    company: str
    values: list[Matched] = Field(default_factory=list, description="The conditions that decided the result.")
    missing: list[str] = Field(
        default_factory=list, description="Conditions the documents cannot decide (undecided companies)."
    )


class ScreenResult(BaseModel):
    """The filter that ran, and the companies of the caller's portfolio it matched."""

    query: str = Field(description="The query as given.")
    source: Source = Field(
        description="filter: the query was a filter; rules: a question read by rules; llm: by the model."
    )
    filter: str = Field(description="The filter that ran, as text (show it to the user).")
    tree: Node = Field(description="The same filter as a tree.")
    as_of: str = Field(description="Reference date of qualification expiry and signals (ISO).")
    considered: int = Field(description="Companies of the portfolio screened.")
    matches: list[CompanyResult] = Field(default_factory=list, description="Companies the filter matched.")
    undecided: list[CompanyResult] = Field(
        default_factory=list, description="Companies the documents cannot decide, with what is missing."
    )
    not_matched: list[str] = Field(default_factory=list, description="Companies the filter did not match.")
    errors: dict[str, str] = Field(
        default_factory=dict, description="Companies whose profile could not be built, with why."
    )
    seconds: float = Field(0.0, description="Time taken.")


__all__ = [
    "And",
    "CompanyResult",
    "Condition",
    "Matched",
    "Mode",
    "Node",
    "Not",
    "Op",
    "Or",
    "Ref",
    "RefKind",
    "ScreenRequest",
    "ScreenResult",
    "Source",
    "Truth",
]
