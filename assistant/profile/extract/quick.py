"""Faster searches for the extractors' big alternations, with the same matches.

Python's ``re`` tries every alternative of a pattern at every position of a text. A lexicon of fifty words
("营业收入|净利润|…", "纠纷|诉讼|lawsuit|…") is therefore slow on the many lines of a report that name none of
them. :func:`quick` puts a lookahead for the characters a match can start with in front of the pattern:
at the other positions one character test fails at once. The pattern, its groups and its matches are
unchanged (a match consumes its first character, which the lookahead only checks).

The first characters are read from the pattern's parse tree (``re._parser``, the parser ``re`` compiles
with). Whenever that is not a short list of literal characters — a class, a wildcard, a scoped flag, a
pattern that can match the empty string, a parser this module does not know — :func:`quick` returns the
pattern as it is: slower, never different.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_ZERO_WIDTH = frozenset({"AT", "ASSERT", "ASSERT_NOT"})  # anchors, \b, lookarounds: consume nothing
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_FLAGS = re.IGNORECASE | re.UNICODE  # flags a character class in front means the same under


class _Unknown(Exception):
    """The pattern holds something whose first characters are not read here."""


def _parse(pattern: str, flags: int) -> Any:
    return importlib.import_module("re._parser").parse(pattern, flags)


def _first(items: Any, out: set[str]) -> bool:
    """Add the characters a match of the sequence ``items`` can start with to ``out``; True when the
    sequence can match the empty string (then what follows it can start the match too)."""
    for op, av in items:
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        if name == "LITERAL":
            out.add(chr(av))
            return False
        if name == "SUBPATTERN":
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise _Unknown("scoped flags")
            if not _first(sub, out):
                return False
        elif name == "ATOMIC_GROUP":
            if not _first(av, out):
                return False
        elif name == "BRANCH":
            empty = [_first(alt, out) for alt in av[1]]
            if not any(empty):
                return False
        elif name in _REPEATS:
            low, _high, sub = av
            if not _first(sub, out) and low > 0:
                return False
        else:
            raise _Unknown(name)  # a class, a wildcard, a backreference …
    return True


def first_chars(rx: re.Pattern[str]) -> str | None:
    """The characters a match of ``rx`` can start with, or None when they are not known (see the module)."""
    if rx.flags & ~_FLAGS:
        return None
    out: set[str] = set()
    try:
        if _first(_parse(rx.pattern, rx.flags), out):
            return None  # an empty match is possible: it starts with no character
    except (_Unknown, ImportError, AttributeError, TypeError, ValueError, re.error):
        return None
    return "".join(sorted(out))


def quick(rx: re.Pattern[str]) -> re.Pattern[str]:
    """``rx`` with a lookahead for its first characters in front: the same matches, found several times
    faster on text where few positions can start one; ``rx`` itself when its first characters are unknown."""
    chars = first_chars(rx)
    if not chars:
        return rx
    lookahead = "".join(re.escape(c) for c in chars)
    try:
        return re.compile(f"(?=[{lookahead}])(?:{rx.pattern})", rx.flags)
    except re.error:
        return rx
