"""Identity fields: names, credit code, legal representative, founding date, capital, location,
industry, main business, actual controller — from labelled lines ("法定代表人：沈立帆", "Legal name:
…", "| 成立日期 | 2015-09-07 |") and from sentences ("公司成立于2017年4月18日", "headquartered in …")."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.ingest.companies import valid_credit_code
from assistant.profile.extract.candidates import Candidate
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment
from assistant.profile.lexicon.identity_labels import IDENTITY_LABELS
from assistant.profile.sources import DocContext
from assistant.text.cjk import HAN, has_han
from assistant.text.dates import dates
from assistant.text.figures import plain, zh_money
from assistant.text.tables import row_cells

_ZH_NAME = r"[" + HAN + r"·]{2,4}"
# labels a report prints right after a name without a separator (the next field of its table)
_NEXT_LABEL = re.compile(
    r"(?:主管会计工作负责人|会计机构负责人|财务负责人|董事会秘书|证券事务代表|总经理|董事长|联系人|联系电话|电话|传真|"
    r"电子信箱|注册地址|办公地址|成立日期|注册资本|实际控制人|控股股东)"
)
_EN_PERSON = r"(?:Dr\.\s+)?[A-Z][a-zA-Z'’\-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-zA-Z'’\-]+){1,2}"

_LABEL_RE = [
    (f, re.compile(rf"(?:^|[\s，,；;|>*])(?P<label>{rx})\s*[：:]\s*(?P<value>[^\n]+)", re.IGNORECASE), p)
    for f, rx, p in IDENTITY_LABELS
]
_LABEL_FULL = [(f, re.compile(rf"^(?:{rx})$", re.IGNORECASE), p) for f, rx, p in IDENTITY_LABELS]
# "公司的中文名称 澄岳智能装备股份有限公司": a two-column table row flattened by the PDF text layer
_LABEL_SPACE = [
    (f, re.compile(rf"^(?P<label>{rx})\s+(?P<value>[^\s：:].*)$", re.IGNORECASE), p - 1)
    for f, rx, p in IDENTITY_LABELS
    if f
    in (
        "legal_name",
        "english_name",
        "unified_social_credit_code",
        "legal_representative",
        "founded",
        "registered_capital",
        "headquarters",
        "industry",
    )
]
# every label rule needs a label: one quick search passes the lines that hold none (nearly all of a report's)
_ANY_LABEL = quick(re.compile("|".join(f"(?:{rx})" for _, rx, _ in IDENTITY_LABELS), re.IGNORECASE))

# (field, pattern, priority, words): a rule runs only on a line holding one of its words (each pattern needs one)
_SENTENCE_RULES: tuple[tuple[str, re.Pattern[str], int, tuple[str, ...]], ...] = (
    (
        "legal_representative",
        re.compile(rf"法定代表人(?:[、，,][^为。；，]{{0,12}})?(?:为|是)(?P<value>{_ZH_NAME})"),
        9,
        ("法定代表人",),
    ),
    (
        "legal_representative",
        re.compile(rf"法定代表人\s+(?P<value>{_ZH_NAME})(?=[、，,。\s]|$)"),
        6,
        ("法定代表人",),
    ),
    (
        "founded",
        re.compile(
            r"(?:公司|企业|发行人|有限公司)?(?:前身[^，。；]{0,24})?成立于(?P<value>(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?)"
        ),
        9,
        ("成立于",),
    ),
    (
        "founded",
        re.compile(
            r"\b(?:was |were )?(?:founded|incorporated|established) (?:on |in )(?P<value>"
            r"(?:[A-Z][a-z]+ \d{1,2}, \d{4})|(?:\d{1,2} [A-Z][a-z]+ \d{4})|(?:[A-Z][a-z]+ \d{4})|\d{4})"
        ),
        9,
        ("founded ", "incorporated ", "established "),
    ),
    (
        "registered_capital",
        re.compile(r"注册资本(?:为|是)?(?P<value>[\d,]+(?:\.\d+)?\s*(?:万元|亿元|元))"),
        9,
        ("注册资本",),
    ),
    ("headquarters", re.compile(r"总部(?:位于|设在|在)(?P<value>[^，。；,\n]{2,30})"), 9, ("总部",)),
    (
        "headquarters",
        re.compile(r"\bheadquartered in (?P<value>[A-Z][A-Za-z .'\-]+(?:, [A-Z][A-Za-z .'\-]+){0,2})"),
        9,
        ("headquartered in ",),
    ),
    (
        "main_business",
        re.compile(r"(?:公司|发行人)?(?:的)?主要产品(?:为|是|包括)(?P<value>[^，。；\n]{4,80})"),
        7,
        ("主要产品",),
    ),
    ("actual_controller", re.compile(rf"实际控制人(?:为|是)(?P<value>{_ZH_NAME})"), 9, ("实际控制人",)),
)
# any rule's word: one search passes the lines that hold none (nearly all of a report's)
_SENTENCE_WORD = re.compile("|".join(re.escape(w) for *_, words in _SENTENCE_RULES for w in words))
# a credit code: 18 capitals or digits standing alone; where a label's value ends (the next "label：")
_CREDIT_CODE = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])")
_NEXT_LABEL_IN_VALUE = re.compile(r"[，,；;]\s*[^，,；;：:\s]{2,10}[：:]")


def _zh_place(value: str) -> str:
    m = re.match(r"((?:[" + HAN + r"]{2,3}(?:省|自治区))?[" + HAN + r"]{2,4}?市)", value)
    return m.group(1) if m else value


def _clean_text_value(field: str, value: str) -> str | None:
    value = value.strip().strip("|").strip()
    zh = has_han(value)
    if field in ("legal_name", "english_name"):
        value = re.split(r"[（(]", value)[0].strip() if field == "legal_name" or not zh else value
        value = re.split(r"[，；。]", value)[0].strip()
        return value or None
    if field == "unified_social_credit_code":
        m = re.search(r"[0-9A-Z]{18}", value.upper())
        return m.group(0) if m and valid_credit_code(m.group(0)) else None
    if field in ("legal_representative", "actual_controller"):
        m = re.match(_ZH_NAME, value)
        if zh and m:
            name = m.group(0)
            # a name printed right before the next label ("张三主管会计工作负责人：李四"): it ends where one starts
            cut = next(
                (i for i in (2, 3, 4) if _NEXT_LABEL.match(value, i) and re.fullmatch(_ZH_NAME, value[:i])),
                None,
            )
            if cut is not None:
                return value[:cut]
            return name[:3] if len(name) == 4 and name[3] in "董总持先女" else name
        m = re.match(_EN_PERSON, value)
        return m.group(0) if m else None
    if field == "headquarters":
        if zh:
            return _zh_place(re.split(r"[，；。]", value)[0])
        return value.rstrip(".").strip() or None
    if field == "industry":
        value = re.split(r"[；。]", value)[0] if zh else value.rstrip(".")
        return value.strip() or None
    if field == "main_business":
        value = re.split(r"[；]|，并|，主要|，公司", value)[0].rstrip("。，") if zh else value.rstrip(".")
        return value.strip() or None
    return value


def _candidate(
    seg: Segment,
    field: str,
    value: str | int | float,
    raw: str,
    start: int,
    end: int,
    priority: int,
    rule: str,
    unit: str | None = None,
    number: str | None = None,
    tolerance: float = 0.0,
) -> Candidate:
    chunk = seg.chunk
    return Candidate(
        field=field,
        value=value,
        unit=unit,
        period=None,
        raw=raw,
        number=number,
        doc=chunk.doc,
        page=chunk.page,
        quote=seg.quote(start, end),
        chunk_id=chunk.chunk_id,
        priority=priority,
        tolerance=tolerance,
        rule=rule,
    )


def _typed(
    seg: Segment, field: str, value_text: str, start: int, end: int, priority: int, rule: str
) -> Candidate | None:
    """A candidate whose value is read from ``value_text`` (which sits inside ``seg.text[start:end]``)."""
    if field == "founded":
        found = dates(value_text)
        if not found or found[0].start > 2:
            return None
        d = found[0]
        return _candidate(seg, field, d.iso, d.raw, start, end, priority, rule, unit="date")
    if field in ("registered_capital", "paid_in_capital"):
        money = zh_money(value_text)
        if not money or money[0].start > 4:
            return None
        m = money[0]
        return _candidate(
            seg,
            field,
            plain(m.value),
            m.raw,
            start,
            end,
            priority,
            rule,
            unit=m.currency,
            number=m.number,
            tolerance=float(m.tolerance),
        )
    value = _clean_text_value(field, value_text)
    if not value:
        return None
    raw = value
    if field == "headquarters" and value not in value_text:
        return None
    return _candidate(seg, field, value, raw, start, end, priority, rule)


def identity_candidates(seg: Segment, ctx: DocContext, is_own_name: Callable[[str], bool]) -> list[Candidate]:
    """Identity fields of one logical line."""
    if seg.table_row:
        return _row_candidates(seg)
    text = seg.text
    out = _label_candidates(seg)
    if _SENTENCE_WORD.search(text):
        out.extend(_sentence_candidates(seg))
    # a valid credit code anywhere (the label rule above wins on priority)
    for m in _CREDIT_CODE.finditer(text):
        if valid_credit_code(m.group(0)) and not any(c.field == "unified_social_credit_code" for c in out):
            s0, s1 = seg.sentence_at(m.start())
            out.append(
                _candidate(seg, "unified_social_credit_code", m.group(0), m.group(0), s0, s1, 5, "code")
            )
    # English companies: the legal name is also the English name
    for c in list(out):
        if c.field == "legal_name" and isinstance(c.value, str) and not has_han(c.value):
            out.append(c.model_copy(update={"field": "english_name", "priority": c.priority - 2}))
    return [c for c in out if c.field != "legal_name" or is_own_name(str(c.value))]


def _sentence_candidates(seg: Segment) -> list[Candidate]:
    """Identity fields stated in a sentence ("公司成立于2017年4月18日", "headquartered in …")."""
    out: list[Candidate] = []
    for field, rx, prio, words in _SENTENCE_RULES:
        if not any(w in seg.text for w in words):
            continue
        for m in rx.finditer(seg.text):
            s0, s1 = seg.sentence_at(m.start())
            cand = _typed(seg, field, m.group("value"), s0, s1, prio, "sentence")
            if cand:
                out.append(cand)
    return out


def _row_candidates(seg: Segment) -> list[Candidate]:
    """A two-cell Markdown row whose first cell is a label ("| 成立日期 | 2015-09-07 |")."""
    text = seg.text
    if not _ANY_LABEL.search(text):
        return []
    cells = row_cells(text)
    if len(cells) != 2 or not cells[0] or not cells[1]:
        return []
    for field, rx, prio in _LABEL_FULL:
        if rx.match(cells[0].strip()):
            cand = _typed(seg, field, cells[1], 0, len(text), prio - 1, "md:kv")
            return [cand] if cand else []
    return []


def _label_candidates(seg: Segment) -> list[Candidate]:
    """Labelled values of a plain line: "法定代表人：沈立帆", "公司的中文名称 澄岳智能装备股份有限公司"."""
    out: list[Candidate] = []
    text = seg.text
    if not _ANY_LABEL.search(text):
        return out
    if "：" in text or ":" in text:  # a "label：value" rule needs a colon
        for field, rx, prio in _LABEL_RE:
            for m in rx.finditer(text):
                value = m.group("value")
                # the value ends where the next "label：" starts ("注册资本：5,000万元，实收资本：3,200万元")
                nxt = _NEXT_LABEL_IN_VALUE.search(value)
                if nxt:
                    value = value[: nxt.start()]
                cand = _typed(
                    seg, field, value, m.start("label"), m.start("value") + len(value), prio, "label"
                )
                if cand:
                    out.append(cand)
    for field, rx, prio in _LABEL_SPACE:
        sm = rx.match(text)
        if sm and has_han(sm.group("label")):
            cand = _typed(seg, field, sm.group("value"), 0, len(text), prio, "label")
            if cand:
                out.append(cand)
    return out
