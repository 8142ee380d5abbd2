"""Safe file names: one rule for every file or folder named after something a user wrote (a company's batch
outputs, its uploads folder)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# control characters and the characters Windows or POSIX reserve in names
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = {  # Windows device names: not usable as a file name with any extension
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_EDGES = re.compile(r"^[\s._]+|[\s._]+$")  # leading and trailing spaces, dots and underscores
MAX_CHARS = 80
MAX_BYTES = 200  # UTF-8; leaves room for an extension and a temporary-file suffix within 255


def is_safe_name(name: str) -> bool:
    """Whether ``name`` can be used as it is: normalised (NFC), at most ``MAX_CHARS`` characters and
    ``MAX_BYTES`` bytes, no control or reserved characters, not hidden or ignored (a leading "." or "_"), no
    leading or trailing space, no trailing dot, and not a Windows device name."""
    return (
        bool(name)
        and name == unicodedata.normalize("NFC", name)
        and len(name) <= MAX_CHARS
        and len(name.encode("utf-8")) <= MAX_BYTES
        and not _UNSAFE.search(name)
        and not name.startswith((".", "_"))
        and name == name.strip()
        and not name.endswith(".")
        and any(unicodedata.category(ch)[0] != "Z" for ch in name)
        and name.split(".")[0].upper() not in _RESERVED
    )


def safe_name(name: str, fallback: str = "name") -> str:
    """A file or folder name for ``name`` on any file system: the name itself when :func:`is_safe_name`;
    else the name with each run of unsafe characters replaced by "_", trimmed, and cut so that with "-" and 8
    hex digits of the name's sha1 appended it is safe itself (two names never share a safe name)."""
    if is_safe_name(name):
        return name
    tag = "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    base = _EDGES.sub("", _UNSAFE.sub("_", unicodedata.normalize("NFC", name)))[: MAX_CHARS - len(tag)]
    while len(base.encode("utf-8")) > MAX_BYTES - len(tag):
        base = base[:-1]
    if base.split(".")[0].upper() in _RESERVED:  # "con.txt" would still name a Windows device
        base = base.replace(".", "_", 1)
    return (base or fallback) + tag


__all__ = ["is_safe_name", "safe_name"]
