"""The home of citation markers: how a model cites passages ("[2]", "【1，3】"), how markers are read,
removed, added and renumbered, and the Citation records of an answer. Profile summaries use the same.
"""

from __future__ import annotations

import re

from assistant.core.records import Citation, Evidence

NOT_FOUND_MARKER = "NOT_IN_DOCUMENTS"  # what a model writes when the passages do not answer
CITE = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
PLACEHOLDER = re.compile(r"\s?[\[【]\s*n\s*[\]】]")  # the prompt's "[n]" copied literally
_SEPARATOR = re.compile(r"\s*[,，、]\s*")


def says_not_found(raw: str) -> bool:
    """The model's text declares that the passages do not answer (``NOT_IN_DOCUMENTS``, in any spacing)."""
    return NOT_FOUND_MARKER in raw.upper().replace(" ", "_")


def strip_citations(text: str) -> str:
    """The text without its citation markers."""
    return CITE.sub("", text)


def cited_numbers(text: str) -> list[int]:
    """Every number the text's markers cite, in order of first appearance, each once."""
    return list(dict.fromkeys(int(x) for m in CITE.finditer(text) for x in re.findall(r"\d+", m.group(1))))


def parse_citations(text: str, n_passages: int) -> tuple[str, list[int]]:
    """Citation numbers in order of appearance; markers pointing to no given passage are removed."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        nums = [int(x) for x in _SEPARATOR.split(match.group(1))]
        valid = [n for n in nums if 1 <= n <= n_passages]
        for n in valid:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in valid)

    text = PLACEHOLDER.sub("", CITE.sub(keep, text))
    return re.sub(r"[ \t]{2,}", " ", text).strip(), cited


def renumbered(text: str, cited: list[int]) -> str:
    """Cited passages numbered 1..k in order of first citation, as a reader expects."""
    order = {old: new for new, old in enumerate(cited, start=1)}
    return CITE.sub(lambda m: "".join(f"[{order[int(x)]}]" for x in re.findall(r"\d+", m.group(1))), text)


def citations(cited: list[int], passages: list[Evidence]) -> list[Citation]:
    """The Citation records of the cited (1-based) passages, numbered 1..k in order of first citation."""
    return [
        Citation(
            n=new,
            company=passages[old - 1].chunk.company,
            doc=passages[old - 1].chunk.doc,
            page=passages[old - 1].chunk.page,
            chunk_id=passages[old - 1].chunk.chunk_id,
            quote=passages[old - 1].chunk.text,
        )
        for new, old in enumerate(cited, start=1)
    ]
