"""The home of role discipline: a question that asks who holds a role (lead investor 领投, chairman 董事长, CEO,
auditor, financial advisor, largest customer, legal representative) is answered only from a passage that
states that role for the name the answer gives — in one sentence, or in one table row under a header that
names the role — and, when the question names a financing round, for that round.

A financing article that lists investors without saying who led presupposes nothing: an answer naming one of
them as the lead fails verification, and the question is refused as not stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.cjk import HAN, has_han
from assistant.text.tables import is_pipe_row, is_rule_row


@dataclass(frozen=True)
class Role:
    name: str
    asked: re.Pattern[str]  # the question asks for it
    stated: re.Pattern[str]  # a passage states it


def _re(words: str) -> re.Pattern[str]:
    return re.compile(words, re.IGNORECASE)


ROLES = (
    Role("lead investor", _re(r"领投|\blead investor|\bled\b|\blead\b.*\b(?:round|series|seed)"),
         _re(r"领投|\bled by\b|\blead investor|\bled the\b|\bco-led\b")),
    Role("financial advisor", _re(r"财务顾问|financial advis[eo]r"), _re(r"财务顾问|financial advis[eo]r")),
    Role("chairman", _re(r"董事长|\bchair(?:man|woman|person)?\b"), _re(r"董事长|\bchair(?:man|woman|person)?\b")),
    Role("chief executive", _re(r"\bCEO\b|首席执行官|总经理|chief executive"),
         _re(r"\bCEO\b|首席执行官|总经理|chief executive")),
    Role("auditor", _re(r"审计机构|会计师事务所|\bauditors?\b|audit firm"),
         _re(r"审计机构|会计师事务所|\bauditors?\b|audited by|audit firm")),
    Role("largest customer", _re(r"第一大客户|最大(?:的)?客户|largest customer"),
         _re(r"第一大客户|最大(?:的)?客户|largest customer")),
    Role("legal representative", _re(r"法定代表人|法人代表|legal representative"),
         _re(r"法定代表人|法人代表|legal representative")),
)  # fmt: skip
_ROUND = re.compile(
    r"(?:pre-?)?(?:天使|种子|[A-F]\+?|Pre-[A-F])轮|\bseries\s+[A-F]\+?\b|\bseed\b|\bangel\b", re.IGNORECASE
)
# a clause: Chinese up to 。！？；， (a list of investors and their roles is one clause each), English up to a
# sentence end or a semicolon (a comma does not end an English role: "led by A, with B participating")
_CLAUSE = re.compile(r"[^。！？!?；;，\n]+(?:[。！？!?；;，]|$)|[^.;\n]+(?:[.;](?=\s|$)|$)")


def asked_role(question: str) -> Role | None:
    """The role a question asks for (the first that matches), or None."""
    return next((r for r in ROLES if r.asked.search(question)), None)


def _round(text: str) -> str | None:
    m = _ROUND.search(text)
    return re.sub(r"\s+", " ", m.group(0)).lower() if m else None


def _units(passage: str) -> list[tuple[str, str | None]]:
    """The clauses of a passage's prose (lines a layout wrapped joined first) and its table rows (each with its
    header row in front), each with the financing round it is about: the round it names, else the round the
    prose named last ("2019年6月，公司完成A轮融资，…，由启澜创投领投。": the last clause is about the A round)."""
    out: list[tuple[str, str | None]] = []
    header = ""
    prose: list[str] = []
    last: list[str | None] = [None]

    def flush() -> None:
        text = " ".join(prose)
        prose.clear()
        pieces = _CLAUSE.findall(text) if has_han(text) else re.split(r"(?<=[.;])\s+", text)
        for piece in (p.strip() for p in pieces):
            if piece:
                last[0] = _round(piece) or last[0]
                out.append((piece, last[0]))

    for line in passage.split("\n"):
        if is_pipe_row(line):
            flush()
            if not is_rule_row(line):
                if header:
                    out.append((f"{header} {line}", _round(line)))
                else:
                    header = line
        elif line.strip():
            header = ""
            prose.append(line.strip())
        else:
            flush()
    flush()
    return out


def states_role(role: Role, name: str, passages: list[str], asked_round: str | None) -> bool:
    """Whether a passage states ``role`` for ``name`` in one clause or table row, and — when the question
    names a round — for that round."""
    key = re.sub(r"\s+", "", name).lower()
    return bool(key) and any(
        key in re.sub(r"\s+", "", unit).lower()
        and role.stated.search(unit)
        and (asked_round is None or about in (None, asked_round))
        for passage in passages
        for unit, about in _units(passage)
    )


_ZH_ORG = re.compile(
    rf"[{HAN}]{{2,14}}?(?:资本|基金|创投|投资|证券|银行|会计师事务所|事务所|合伙企业|合伙|有限公司|集团|控股)"
)
_EN_NAME = re.compile(r"\b[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|&|of|and))*")


def answer_names(answer: str, passages: list[str], company: str | None = None) -> list[str]:
    """The names an answer gives that a passage also prints: Chinese firm names (…资本, …基金, …事务所), the
    longest tail of each that a passage holds; English capitalised names. The company asked about is left
    out (it holds no role in its own question)."""
    flat = [re.sub(r"\s+", "", p).lower() for p in passages]
    own = re.sub(r"\s+", "", company or "").lower()
    out: list[str] = []
    for m in _ZH_ORG.finditer(answer):
        found = m.group(0)
        tail = next(
            (found[i:] for i in range(len(found) - 3) if any(found[i:].lower() in f for f in flat)), ""
        )
        if tail:
            out.append(tail)
    for m in _EN_NAME.finditer(answer):
        name = re.sub(r"['’]s$", "", m.group(0).strip(" .,"))
        key = re.sub(r"\s+", "", name).lower()
        if len(key) >= 4 and any(key in f for f in flat) and not (own and (key in own or own in key)):
            out.append(name)
    return out


def quote_states_role(question: str, quote: str) -> bool:
    """Whether a quoted passage text states the role the question asks — for the round it asks — for anyone
    (True when the question asks no role): an extractive answer to "who led the C round?" must not be a
    sentence about who led the A round."""
    role = asked_role(question)
    if role is None:
        return True
    asked_round = _round(question)
    if any(
        role.stated.search(unit) and (asked_round is None or about in (None, asked_round))
        for unit, about in _units(quote)
    ):
        return True
    # a quote of table rows on one line ("| Date | Round | Lead investor | … | 2022-04 | Series A | …")
    rounds = {re.sub(r"\s+", " ", m.group(0)).lower() for m in _ROUND.finditer(quote)}
    return bool(role.stated.search(quote)) and (asked_round is None or asked_round in rounds)


def unstated_role(question: str, names: list[str], passages: list[str]) -> str:
    """The problem when an answer names someone for the role the question asks but no passage states that
    role for them ("" when it does, or the question asks no role)."""
    role = asked_role(question)
    if role is None or not names:
        return ""
    asked_round = _round(question)
    if any(states_role(role, n, passages, asked_round) for n in names):
        return ""
    return f"no passage states the {role.name} the answer names"


__all__ = ["ROLES", "Role", "answer_names", "asked_role", "quote_states_role", "states_role", "unstated_role"]
