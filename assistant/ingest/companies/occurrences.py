"""Every Chinese and English legal name that occurs in a text (:func:`name_occurrences`), each cut loose from
the sentence around it (``客户为杭州…有限公司`` → ``杭州…有限公司``)."""

from __future__ import annotations

import re

from assistant.ingest.companies.cues import (
    EN_CONNECTORS,
    EN_NAME_RE,
    EN_SENTENCE_WORDS,
    ZH_BARE_SUFFIX_CHARS,
    ZH_LEADIN_CHARS,
    ZH_LEADIN_WORDS,
    ZH_NAME_RE,
    ZH_SUFFIX,
)
from assistant.ingest.companies.lexicon import PLACES, ZH_GENERIC, ZH_INDUSTRY
from assistant.ingest.companies.names import strip_place, strip_tail


def _plausible(core: str) -> bool:
    """A name body (without suffix) that is more than a place plus generic/industry words."""
    rest = strip_place(core)
    if rest != core and len(rest) >= 2:
        core = rest
    while (shorter := strip_tail(core, ZH_GENERIC + ZH_INDUSTRY)) is not None:
        core = shorter
    return len(core) >= 2 and not any(core == w for w in ZH_GENERIC + ZH_INDUSTRY)


def _balance(body: str) -> str:
    """Drop a leading unmatched parenthesis or text up to an unmatched closing one."""
    depth = 0
    cut = 0
    for i, c in enumerate(body):
        if c in "（(":
            depth += 1
        elif c in "）)":
            if depth == 0:
                cut = i + 1
            else:
                depth -= 1
    body = body[cut:]
    return body.lstrip("（(")


def _clean_zh_body(body: str) -> str:
    """Cut a preceding sentence fragment off a name body (the CJK run before the suffix).

    Returns "" when the suffix is not a name at all (``整体变更为股份有限公司``, ``由有限责任公司``).
    """
    body = _balance(body)
    if body[-1:] in ZH_BARE_SUFFIX_CHARS or any(body.endswith(w) for w in ZH_LEADIN_WORDS):
        return ""
    cuts = sorted(
        {m.end() for word in ZH_LEADIN_WORDS for m in re.finditer(re.escape(word), body)}, reverse=True
    )
    for cut in cuts:
        if len(body) - cut >= 2 and _plausible(body[cut:]):
            body = body[cut:]
            break
    if any(body.startswith(p) for p in PLACES):
        return body
    for p in range(1, len(body) - 1):
        if body[p - 1] in ZH_LEADIN_CHARS and any(body.startswith(place, p) for place in PLACES):
            rest = body[p:]
            if _plausible(rest):
                return rest
    for i in range(len(body) - 1, -1, -1):
        rest = body[i + 1 :]
        if body[i] in ZH_LEADIN_CHARS and len(rest) >= 4 and _plausible(rest):
            return rest
    return body


def _en_name(body: str, suffix: str) -> tuple[str, int] | None:
    """The name (sentence words before it dropped) and its offset in ``body``."""
    words = list(re.finditer(r"\S+", body))
    for i in range(len(words) - 1, -1, -1):
        word = words[i].group(0).lower().strip(".,")
        if word in EN_SENTENCE_WORDS or word.isdigit():
            words = words[i + 1 :]
            break
    while words and words[0].group(0).lower() in EN_CONNECTORS:
        words = words[1:]
    if not words or not (words[0].group(0)[0].isupper() or words[0].group(0)[0].isdigit()):
        return None
    offset = words[0].start()
    return f"{' '.join(w.group(0) for w in words)}{' '.join(suffix.split(chr(9)))}", offset


def en_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def name_occurrences(text: str) -> list[tuple[str, str, int, int]]:
    """(name, lang, start, end) of every Chinese and English legal name in ``text``."""
    found: list[tuple[str, str, int, int]] = []
    for m in ZH_NAME_RE.finditer(text):
        suffix = re.search(ZH_SUFFIX + "$", m.group(0))
        assert suffix is not None
        body = _clean_zh_body(m.group(0)[: suffix.start()])
        if len(body) >= 2 and _plausible(body):
            found.append((body + suffix.group(0), "zh", m.end() - len(body) - len(suffix.group(0)), m.end()))
    for m in EN_NAME_RE.finditer(text):
        named = _en_name(m.group("body"), m.group("suffix"))
        if named and len(en_key(named[0])) >= 4:
            found.append((named[0], "en", m.start("body") + named[1], m.end()))
    return found
