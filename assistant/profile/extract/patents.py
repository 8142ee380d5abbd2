"""Listed patents: patent and design tables (专利号 / Patent number / Design number columns, with type,
grant date and legal status — 质押 marks a pledge) and plain-text rows with a ZL number."""

from __future__ import annotations

import re

from assistant.profile.extract.items import sentence_source
from assistant.profile.extract.text import Segment
from assistant.profile.schema import Patent
from assistant.text.dates import dates
from assistant.text.tables import is_rule_row, row_cells

_PATENT_NO = re.compile(
    r"ZL\s?\d{8,12}\.[\dX]|(?:US|U\.S\.)\s?(?:Patent No\.\s?)?\d{1,2},\d{3},\d{3}(?:\s?B\d)?|"
    r"(?:GB|EP|CN|WO)\s?\d{6,10}\s?[AB]\d?|UK \d{7}"
)


def patent_rows(rows: list[Segment]) -> list[Patent]:
    """Patent / design tables (专利号 / Patent number / Design number columns) and plain rows with a ZL number."""
    out: list[Patent] = []
    if len(rows) >= 3 and is_rule_row(rows[1].text):
        header = [h.lower() for h in row_cells(rows[0].text)]

        def col(*names: str) -> int | None:
            return next((i for i, h in enumerate(header) if any(n in h for n in names)), None)

        c_no = col("专利号", "patent number", "patent no", "design number", "申请号")
        if c_no is None:
            return out
        c_title, c_type = col("名称", "title"), col("类型", "type")
        c_granted = col("授权公告日", "授权日", "granted", "registered", "授权")
        c_status = col("法律状态", "状态", "status")
        design_table = "design number" in header[c_no]
        for row in rows[2:]:
            cells = row_cells(row.text)
            if len(cells) != len(header) or not _PATENT_NO.search(cells[c_no]):
                continue
            kind = "design" if design_table else "unknown"
            if c_type is not None:
                t = cells[c_type]
                kind = (
                    "invention"
                    if "发明" in t or "invention" in t.lower()
                    else (
                        "utility_model"
                        if "实用新型" in t or "utility" in t.lower()
                        else ("design" if "外观" in t or "design" in t.lower() else kind)
                    )
                )
            elif not design_table and any("invention" in h for h in header):
                kind = "invention"
            status = cells[c_status] if c_status is not None else None
            granted = dates(cells[c_granted]) if c_granted is not None else []
            out.append(
                Patent(
                    number=cells[c_no],
                    title=cells[c_title] if c_title is not None else None,
                    type=kind,
                    granted=granted[0].iso if granted else None,
                    legal_status=status,
                    pledged=bool(status and "质押" in status),
                    evidence=[sentence_source(row, 0, len(row.text))],
                )
            )
        return out
    return out


_PATENT_LINE = re.compile(r"\s*\d{1,3}\s+(?P<title>.+?)\s+(?P<no>ZL\s?\d{8,12}\.[\dX])\s*")


def patent_lines(seg: Segment) -> list[Patent]:
    """Plain-text rows such as "1 口蹄疫疫苗制备方法 ZL200910092433.3"."""
    if seg.table_row or "ZL" not in seg.text:
        return []
    m = _PATENT_LINE.fullmatch(seg.text)
    if not m:
        return []
    return [
        Patent(
            number=m.group("no"),
            title=m.group("title"),
            type="unknown",
            evidence=[sentence_source(seg, 0, len(seg.text))],
        )
    ]
