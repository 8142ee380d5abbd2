"""The home of an answer's final shape, as an analyst pastes it: no sentence that only repeats an instruction
(the question's own "Base your judgments on …", the prompt's rules), and each citation marker at the end of
the sentence it supports.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from assistant.answer.citations import CITE, strip_citations
from assistant.answer.figure_checks import digits

# a sentence ends at 。！？；; or at . ! ? followed by a space or the end (never the point of "5.4")
_END = re.compile(r"(?:[。！？；;]|[.!?](?=\s|$))")
_ECHO_MIN = 12  # characters: a shorter clause ("Yes.") is never taken for an echo
_ECHO_RATIO = 0.9


def sentences(text: str) -> list[str]:
    """The text cut after each sentence end; markers written just after an end stay with that sentence
    ("…亿元。[1]"), and the pieces joined give the text back."""
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end()
        while marker := CITE.match(text, end) or re.compile(r"\s+(?=[\[【])").match(text, end):
            end = marker.end()
        if end > start:
            out.append(text[start:end])
            start = end
    if start < len(text):
        out.append(text[start:])
    return [s for s in out if s]


def _flat(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", strip_citations(text)).casefold())


def instruction_lines(question: str, prompt_text: str = "") -> list[str]:
    """What an answer must never repeat: the question's sentences (its instructions, "Base your judgments on
    the balance sheet.", and what it asks, copied back as a clause) and the prompt's lines."""
    return [s for s in [*sentences(question), *prompt_text.splitlines()] if len(_flat(s)) >= _ECHO_MIN]


def is_echo(sentence: str, instructions: list[str]) -> bool:
    """A sentence that copies an instruction or the question, whole or in part (≥ 90 % alike), with no figure
    of its own (a year the question names is not one: "Was its EBITDA positive in 2019;")."""
    flat = _flat(sentence)
    if len(flat) < _ECHO_MIN:
        return False
    figures = digits(strip_citations(sentence))
    for line in instructions:
        other = _flat(line)
        alike = flat in other or SequenceMatcher(None, flat, other, autojunk=False).ratio() >= _ECHO_RATIO
        if alike and figures <= digits(line):
            return True
    return False


def without_echo(text: str, instructions: list[str]) -> str:
    """The answer without its sentences (or ;-clauses) that only repeat an instruction; the text unchanged
    when nothing else would remain."""
    if not instructions:
        return text
    kept = [s for s in sentences(text) if not is_echo(s, instructions)]
    if not kept or not "".join(kept).strip():
        return text
    out = "".join(kept).strip()
    return re.sub(r"\s*[;；]\s*$", ".", out) if out != text.strip() else text


def markers_at_sentence_end(text: str) -> str:
    """Each sentence's markers moved to its end, before its full stop ("Revenue [1] was 5 million." →
    "Revenue was 5 million [1].")."""
    out = []
    for sentence in sentences(text):
        found = [m.group(0) for m in CITE.finditer(sentence)]
        if not found:
            out.append(sentence)
            continue
        space = sentence[len(sentence.rstrip()) :]
        body = re.sub(r"[ \t]{2,}", " ", CITE.sub("", sentence)).rstrip()
        body = re.sub(r"[ \t]+(?=[)）,，])", "", body)  # where a marker stood: "(…) [1])" → "(…))"
        stop = re.search(r"(?:[。！？；;.!?])$", body)
        head, end = (body[: stop.start()], stop.group(0)) if stop else (body, "")
        markers = "".join(dict.fromkeys(re.sub(r"\s+", "", m) for m in found))
        gap = "" if re.search(r"[\u3000-\u9fff]$", head.rstrip()) else " "
        out.append(re.sub(r"[ \t]+$", "", head) + gap + markers + end + space)
    return "".join(out)


def cite_sentences(text: str, cited: list[int], passages: list[str]) -> str:
    """The text with its markers replaced: each sentence ends with the cited passages that hold its figures
    (``passages`` are every given passage, 1-based by ``cited``); passages no sentence's figures name are
    cited after the last sentence."""
    parts = sentences(CITE.sub("", text))
    where: dict[int, list[int]] = {}
    for n in cited:
        holders = [
            i for i, s in enumerate(parts)
            if (figures := digits(s)) and figures & digits(passages[n - 1])
        ]  # fmt: skip
        for i in holders or [len(parts) - 1]:
            where.setdefault(i, []).append(n)
    return markers_at_sentence_end(
        "".join(
            s.rstrip() + " " + "".join(f"[{n}]" for n in where[i]) + s[len(s.rstrip()) :] if i in where else s
            for i, s in enumerate(parts)
        )
    ).strip()


__all__ = [
    "cite_sentences",
    "instruction_lines",
    "is_echo",
    "markers_at_sentence_end",
    "sentences",
    "without_echo",
]
