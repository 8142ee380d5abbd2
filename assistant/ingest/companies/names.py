"""Short names and aliases of a company name.

- :func:`short_names` / :func:`short_name` derive short names from a legal name
  (``杭州栖云智算科技股份有限公司`` → ``栖云智算``; variants ``栖云智算科技``, ``栖云智算``, ``栖云``).
- :func:`aliases` expands any known names into the alias set used for matching (short forms, Simplified
  and Traditional script, pinyin, lowercase).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.ingest.companies.lexicon import (
    EN_CITY_PREFIXES,
    EN_INDUSTRY,
    EN_SUFFIX_END_RE,
    PLACE_SUFFIXES,
    PLACES,
    ZH_GENERIC,
    ZH_INDUSTRY,
    ZH_ORG_SUFFIX_RE,
)
from assistant.text.cjk import has_han, to_simplified, to_traditional


def strip_place(core: str) -> str:
    """Remove leading province/city prefixes (with 省/市… suffixes) while a name of ≥ 2 characters remains."""
    changed = True
    while changed:
        changed = False
        for place in PLACES:
            if not core.startswith(place):
                continue
            rest = core[len(place) :]
            for suffix in PLACE_SUFFIXES:
                if rest.startswith(suffix) and len(rest) - len(suffix) >= 2:
                    rest = rest[len(suffix) :]
                    break
            if len(rest) >= 2:
                core, changed = rest, True
            break
    return core


def strip_tail(core: str, words: tuple[str, ...]) -> str | None:
    """``core`` without one trailing word from ``words`` if ≥ 2 characters remain, else None."""
    for word in words:
        if core.endswith(word) and len(core) - len(word) >= 2:
            return core[: -len(word)]
    return None


def zh_short_names(legal_name: str) -> list[str]:
    core = re.sub(r"[（(][^）)]*[）)]", "", legal_name.strip())
    core = ZH_ORG_SUFFIX_RE.sub("", core)
    core = re.sub(r"(集团|控股|股份)+$", "", core) or core
    core = strip_place(core)
    variants = [core]
    while (shorter := strip_tail(core, ZH_GENERIC)) is not None:
        core = shorter
    variants.append(core)
    while (shorter := strip_tail(core, ZH_INDUSTRY)) is not None:
        core = shorter
        variants.append(core)
    return dedupe(v for v in variants if len(v) >= 2)


def _en_short_names(name: str) -> list[str]:
    core = EN_SUFFIX_END_RE.sub("", name.strip()).strip(" ,")
    words = core.split()
    variants = [core]
    if len(words) > 1 and words[0].lower() in EN_CITY_PREFIXES:
        words = words[1:]
        variants.append(" ".join(words))
    brand: list[str] = []
    for word in words:
        if word.lower() in EN_INDUSTRY:
            break
        brand.append(word)
    if brand:
        variants.append(" ".join(brand))
    return dedupe(v for v in variants if len(v) >= 2)


def short_names(legal_name: str) -> list[str]:
    """All short forms of a name, longest first, without the name itself if it is a legal name.

    Chinese: city/province prefix and organisational suffix removed, then generic words (科技, 技术…),
    then industry words one at a time: ``苏州铖泰精密传感技术有限公司`` → ``铖泰精密传感技术``,
    ``铖泰精密传感``, ``铖泰精密``, ``铖泰``. English: legal suffix, a Chinese city prefix and the
    industry words removed: ``Brightfold Robotics Inc.`` → ``Brightfold Robotics``, ``Brightfold``.
    """
    if has_han(legal_name):
        return zh_short_names(legal_name)
    return _en_short_names(legal_name)


def short_name(legal_name: str) -> str:
    """The usual short name (简称) of a legal name.

    Chinese: the generic-word-stripped form if it has at most 4 characters, else the longest industry
    variant of at most 4 characters (``杭州栖云智算科技股份有限公司`` → ``栖云智算``,
    ``苏州铖泰精密传感技术有限公司`` → ``铖泰精密``). English: the name without its legal suffix and
    Chinese city prefix (``Brightfold Robotics Inc.`` → ``Brightfold Robotics``).
    """
    if not has_han(legal_name):
        words = EN_SUFFIX_END_RE.sub("", legal_name.strip()).strip(" ,").split()
        if len(words) > 1 and words[0].lower() in EN_CITY_PREFIXES:
            words = words[1:]
        return " ".join(words) or legal_name.strip()
    variants = short_names(legal_name)
    if not variants:
        return legal_name.strip()
    generic_free = variants[1] if len(variants) > 1 else variants[0]
    if len(generic_free) <= 4:
        return generic_free
    return next((v for v in variants[2:] if len(v) <= 4), generic_free)


def pinyin_syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return [s for s in lazy_pinyin(text) if s.isascii() and s.isalpha()]


def _pinyin_forms(name: str) -> list[str]:
    """``栖云智算`` → ``qiyunzhisuan``, ``Qiyun Zhisuan`` (syllables paired into words), ``qyzs``."""
    syllables = pinyin_syllables(name)
    if len(syllables) != len(name):
        return []
    words = ["".join(syllables[i : i + 2]).capitalize() for i in range(0, len(syllables), 2)]
    forms = ["".join(syllables), " ".join(words)]
    initials = "".join(s[0] for s in syllables)
    if len(initials) >= 3:
        forms.append(initials)
    return forms


def _is_legal_name(name: str) -> bool:
    return bool(ZH_ORG_SUFFIX_RE.search(name) or EN_SUFFIX_END_RE.search(name))


def dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def aliases(names: Iterable[str]) -> list[str]:
    """Every alias of one company from the names known for it (folder, legal, English, short names).

    Per name: the name, its short forms, their Simplified/Traditional variants, the pinyin of the
    Chinese short names (``qiyunzhisuan``, ``Qiyun Zhisuan``, initials ``qyzs`` if ≥ 3 letters), then
    lowercase forms of Latin aliases. De-duplicated in first-seen order; nothing shorter than 2 characters.
    """
    out: list[str] = []
    for raw in names:
        name = " ".join(raw.split())
        if len(name) < 2:
            continue
        forms = dedupe([name, *short_names(to_simplified(name) if has_han(name) else name)])
        for form in forms:
            out.extend((form, to_simplified(form), to_traditional(form)) if has_han(form) else (form,))
        for form in forms:
            # Pinyin of the short names only: the name itself if it is not a legal name, derived forms of
            # at most 4 characters (栖云智算, 栖云 — not 栖云智算科技).
            short = not _is_legal_name(form) and (form == name or len(form) <= 4)
            if short and has_han(form) and not re.search(r"[A-Za-z0-9]", form):
                out.extend(_pinyin_forms(to_simplified(form)))
    lowered = [a.lower() for a in out if re.search(r"[A-Za-z]", a)]
    return [a for a in dedupe([*out, *lowered]) if len(a) >= 2]
