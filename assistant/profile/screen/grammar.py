"""The filter language, read by a tokenizer and a recursive-descent parser (nothing is ever evaluated as code)::

    filter     := or
    or         := and ( ("or" | "||" | "或") and )*
    and        := unary ( ("and" | "&&" | "且") unary )*
    unary      := ("not" | "!" | "非") unary | primary
    primary    := "(" or ")" | "flag" name | reference [ op value ]
    reference  := [ ("checks" | "signals" | "metrics") "." ] name [ "[" year "]" ]
    op         := ">" | ">=" | "<" | "<=" | "=" | "==" | "!=" | "≥" | "≤" | "≠" | "~" | "contains"
    value      := number [ "%" | scale ] [ currency ] | date | pass | fail | unknown | red_flag | signal
                | absent | word | "quoted text"

A name is a word (letters, digits, ``_``, Chinese characters) or quoted text. ``checks.专精特新`` alone means
``= pass``; ``flag X`` and ``signals.X`` alone mean "X is a red flag". Numbers take a scale (万, 亿, thousand,
million, k, m …) and a currency (元, CNY, USD, ``$`` before the number …) from :mod:`assistant.text.figures`;
percent fields compare in percent (``rd_ratio > 10`` is above 10%). Errors name the position and what was
expected, or the unknown name with the nearest known ones.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from decimal import Decimal

from assistant.facts.metrics import BY_NAME
from assistant.profile.schema import SPECS
from assistant.profile.screen.model import And, Condition, Node, Not, Op, Or, Ref
from assistant.profile.screen.vocabulary import FilterError, can_flag, resolve, value_kind
from assistant.text.figures import CURRENCIES, NUMBER, SCALES, plain, to_decimal

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|“[^”]*”)"
    r"|(?P<op>>=|<=|!=|==|≥|≤|≠|>|<|=|~|＞|＜|＝)"
    r"|(?P<and>&&|＆＆)|(?P<or>\|\||｜｜)|(?P<bang>!|！)"
    r"|(?P<lp>[(（])|(?P<rp>[)）])|(?P<lb>\[)|(?P<rb>\])|(?P<dot>\.)"
    r"|(?P<date>\d{4}-\d{2}(?:-\d{2})?\b)"
    rf"|(?P<num>-?(?:{NUMBER}))"
    r"|(?P<pct>%|％)"
    r"|(?P<cur>US\$|HK\$|S\$|A\$|\$|€|£|¥|￥)"
    r"|(?P<word>[^\W\d]\w*)"
)
_OPS: dict[str, Op] = {"==": "=", "≥": ">=", "≤": "<=", "≠": "!=", "＞": ">", "＜": "<", "＝": "="}
AND_WORDS = frozenset({"and", "且", "并且"})
OR_WORDS = frozenset({"or", "或", "或者"})
NOT_WORDS = frozenset({"not", "非"})
PREFIXES = frozenset({"checks", "check", "signals", "signal", "metrics", "metric"})
STATES = {"pass": "pass", "passed": "pass", "通过": "pass", "fail": "fail", "failed": "fail", "未通过": "fail",
          "不通过": "fail", "unknown": "unknown", "未知": "unknown"}  # fmt: skip
SIGNAL_STATES = {"red_flag": "red_flag", "flag": "red_flag", "signal": "signal", "absent": "absent"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokens(text: str) -> list[Token]:
    """The filter's tokens (spaces dropped); an unreadable character is an error naming its column."""
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"bad filter: unexpected '{text[pos]}' at column {pos + 1}")
        kind = m.lastgroup or ""
        if kind != "ws":
            word = m.group()
            if kind == "word" and word.casefold() in AND_WORDS | OR_WORDS | NOT_WORDS:
                kind = {**dict.fromkeys(AND_WORDS, "and"), **dict.fromkeys(OR_WORDS, "or")}.get(
                    word.casefold(), "bang"
                )
            out.append(Token(kind, word, pos))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokens(text)
        self.i = 0

    # ---- helpers -------------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.error("the filter ends too early")
        self.i += 1
        return tok

    def at(self, *kinds: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind in kinds

    def word_at(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.casefold() in words

    def error(self, what: str, tok: Token | None = None) -> FilterError:
        where = f" at column {tok.pos + 1}" if tok else ""
        return FilterError(f"bad filter: {what}{where} in '{self.text}'")

    # ---- grammar -------------------------------------------------------------------------------------
    def parse(self) -> Node:
        if not self.toks:
            raise FilterError("the filter is empty")
        node = self.or_()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "rp":
                raise self.error("')' without its '('", tok)
            raise self.error(f"'and' or 'or' expected before '{tok.text}'", tok)
        return node

    def or_(self) -> Node:
        args = [self.and_()]
        while self.at("or"):
            self.take()
            args.append(self.and_())
        return args[0] if len(args) == 1 else Or(args=args)

    def and_(self) -> Node:
        args = [self.unary()]
        while self.at("and"):
            self.take()
            args.append(self.unary())
        return args[0] if len(args) == 1 else And(args=args)

    def unary(self) -> Node:
        if self.at("bang"):
            self.take()
            return Not(arg=self.unary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("a condition is missing at the end")
        if tok.kind == "lp":
            self.take()
            node = self.or_()
            if not self.at("rp"):
                raise self.error("')' is missing", self.peek())
            self.take()
            return node
        after = self.peek(1)
        if (
            tok.kind == "word"
            and tok.text.casefold() == "flag"
            and after is not None
            and after.kind in ("word", "str")
        ):
            self.take()
            return _flag(resolve("signals", self.name()))
        if tok.kind not in ("word", "str"):
            raise self.error(f"a condition was expected, not '{tok.text}'", tok)
        ref = self.reference()
        if not self.at("op") and not self.word_at("contains"):
            if ref.kind == "check":
                return Condition(ref=ref, op="=", value="pass")
            if ref.kind == "signal":
                return _flag(ref)
            nxt = self.peek()
            hint = f", not '{nxt.text}'" if nxt is not None and nxt.kind not in ("and", "or", "rp") else ""
            raise self.error(f"compare '{ref.text()}' with a value (> >= < <= = !=){hint}", nxt or tok)
        op_tok = self.take()
        op: Op = "~" if op_tok.kind == "word" else _OPS.get(op_tok.text) or _op(op_tok.text)
        return self.value(ref, op, op_tok)

    def name(self) -> str:
        tok = self.take()
        if tok.kind == "str":
            return _unquote(tok.text)
        if tok.kind != "word":
            raise self.error(f"a name was expected, not '{tok.text}'", tok)
        return tok.text

    def reference(self) -> Ref:
        first = self.name()
        prefix = None
        if self.at("dot"):
            self.take()
            if first.casefold() not in PREFIXES:
                raise self.error(f"unknown prefix '{first}.' (use checks., signals. or metrics.)")
            prefix, first = first.casefold(), self.name()
        period = None
        if self.at("lb"):
            self.take()
            year = self.take()
            if year.kind != "num" or not re.fullmatch(r"(19|20)\d{2}", year.text):
                raise self.error(f"a fiscal year was expected in [ ], not '{year.text}'", year)
            if not self.at("rb"):
                raise self.error("']' is missing", self.peek())
            self.take()
            period = year.text
        return resolve(prefix, first, period)

    def value(self, ref: Ref, op: Op, op_tok: Token) -> Condition:
        kind = value_kind(ref)
        tok = self.peek()
        if tok is None or tok.kind in ("and", "or", "rp"):
            raise self.error(f"a value is missing after '{ref.text()} {op_tok.text}'", tok)
        if kind == "state":
            got = self.take()
            word = _unquote(got.text) if got.kind == "str" else got.text
            state = STATES.get(word.casefold())
            if state is None or op not in ("=", "!="):
                raise self.error(f"a check is compared with = or != and pass, fail or unknown, not "
                                 f"'{op_tok.text} {word}'", tok)  # fmt: skip
            return Condition(ref=ref, op=op, value=state)
        if kind == "signal" and tok.kind == "word" and tok.text.casefold() in SIGNAL_STATES:
            if op not in ("=", "!="):
                raise self.error(f"a signal's state is compared with = or !=, not '{op_tok.text}'", op_tok)
            self.take()
            state = SIGNAL_STATES[tok.text.casefold()]
            return _flag(ref, op) if state == "red_flag" else Condition(ref=ref, op=op, value=state)
        if kind in ("text", "date") or (kind == "signal" and op == "~"):
            return self.text_value(ref, op, "text" if kind == "signal" else kind)
        if op == "~":
            raise self.error(f"'{ref.text()}' is a number: compare it with > >= < <= = !=", op_tok)
        number, currency = self.number(ref)
        return Condition(ref=ref, op=op, value=number, currency=currency)

    def text_value(self, ref: Ref, op: Op, kind: str) -> Condition:
        if kind == "text" and op not in ("=", "!=", "~"):
            raise self.error(f"'{ref.text()}' is text: use = != or ~ (contains)", self.peek())
        tok = self.take()
        if tok.kind == "str":
            value = _unquote(tok.text)
        elif tok.kind in ("word", "date") or (
            kind == "date" and tok.kind == "num" and re.fullmatch(r"\d{4}", tok.text)
        ):
            value = tok.text
        else:
            raise self.error(f"'{ref.text()}' is {kind}: compare it with a word or \"quoted text\"", tok)
        return Condition(ref=ref, op=op, value=value)

    def number(self, ref: Ref) -> tuple[int | float, str | None]:
        currency = None
        if self.at("cur"):
            currency = CURRENCIES.get(self.take().text, "USD")
        tok = self.take()
        if tok.kind != "num":
            raise self.error(f"'{ref.text()}' is a number: compare it with a number, not '{tok.text}'", tok)
        value = to_decimal(tok.text)
        if value is None:
            raise self.error(f"'{tok.text}' is no number", tok)
        if self.at("pct"):
            self.take()
            if not _percent(ref):
                raise self.error(f"'{ref.text()}' is not a percentage: drop the %", tok)
        else:
            scaled = _scale_currency(self.peek())
            if scaled is not None:
                word = self.take().text
                scale, named = scaled
                value *= scale
                if named is None and re.match(r"[万亿]", word) and _money(ref):
                    named = "CNY"  # 1亿 is Chinese money
                currency = currency or named
        if currency and not _money(ref):
            raise self.error(f"'{ref.text()}' is no amount of money: drop the currency", tok)
        return plain(value), currency


_ZH_CURRENCY = {"元": "CNY", "人民币": "CNY", "美元": "USD", "港元": "HKD", "欧元": "EUR"}
_CODES = {k: v for k, v in CURRENCIES.items() if re.fullmatch(r"[A-Z]{3}", k)}


def _scale_currency(tok: Token | None) -> tuple[Decimal, str | None] | None:
    """A word after a number: a scale (亿, million, k …), a currency (元, USD, 美元 …) or both (万元, 亿美元);
    万 and 亿 are Chinese money (CNY) unless a currency follows."""
    if tok is None or tok.kind != "word":
        return None
    word = tok.text
    if word.upper() in _CODES:
        return Decimal(1), _CODES[word.upper()]
    for suffix, code in (*_ZH_CURRENCY.items(), ("", None)):
        if not word.endswith(suffix):
            continue
        head = word[: len(word) - len(suffix)] if suffix else word
        if not head and suffix:
            return Decimal(1), code
        scale = SCALES.get(head.casefold()) if head else None
        if scale is not None:
            return scale, code
    return None


def _op(text: str) -> Op:
    for op in typing.get_args(Op):
        if op == text:
            return op  # type: ignore[no-any-return]
    raise FilterError(f"bad filter: unknown comparison '{text}'")


def _flag(ref: Ref, op: Op = "=") -> Condition:
    """``flag X``: X is a red flag (refused for signals that are information only)."""
    if not can_flag(ref.name):
        raise FilterError(
            f"'{ref.name}' is never a red flag (it is information): use signals.{ref.name} = signal, or compare "
            f"its value (signals.{ref.name} > …)"
        )
    return Condition(ref=ref, op=op, value="red_flag")


def _percent(ref: Ref) -> bool:
    if ref.kind == "field":
        return SPECS[ref.name].kind == "percent"
    if ref.kind == "metric":
        return BY_NAME[ref.name].kind in ("percent", "points")
    return ref.kind == "signal"


def _money(ref: Ref) -> bool:
    if ref.kind == "field":
        return SPECS[ref.name].kind == "money"
    if ref.kind == "metric":
        return BY_NAME[ref.name].kind == "money"
    return ref.kind == "signal"


def _unquote(text: str) -> str:
    if text.startswith("“"):
        return text[1:-1]
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_filter(text: str) -> Node:
    """The filter's tree; :class:`FilterError` (HTTP 400) says what is wrong and where."""
    return _Parser(text.strip()).parse()


def filter_text(node: Node) -> str:
    """The filter as text (parsing it gives the same tree)."""
    return node.text()


__all__ = ["AND_WORDS", "NOT_WORDS", "OR_WORDS", "filter_text", "parse_filter", "tokens"]
