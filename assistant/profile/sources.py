"""What kind of document a source is, how far to trust it, and which dates frame it.

Reliability order (DOMAIN.md / issue 5): audited annual report or audit report > prospectus > unaudited
report > patent list / registry extract > profile card > business plan > news > visit notes. The type
comes from the file name first (``annual_report_2023.pdf``, ``商业计划书.docx``), then from the text
(审计意见 / 招股说明书 / 商业计划书 / Published: / 走访纪要 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.records import Chunk
from assistant.profile.schema import DocumentInfo
from assistant.text.dates import dates

RELIABILITY = {
    "audit_report": 100,
    "annual_report": 95,
    "prospectus": 90,
    "report": 75,
    "patent_list": 70,
    "profile": 55,
    "business_plan": 40,
    "news": 30,
    "visit_notes": 25,
    "other": 35,
}
UNAUDITED_ANNUAL = 80

_NAME_TYPES: tuple[tuple[str, str], ...] = (
    (r"audit|审计报告", "audit_report"),
    (r"prospectus|招股|offering[_ -]?circular", "prospectus"),
    (r"annual[_ -]?report|10-?k|年报|年度报告", "annual_report"),
    (r"business[_ -]?plan|商业计划|\bbp\b|pitch|deck", "business_plan"),
    (r"visit|走访|调研|call[_ -]?report|尽调|due[_ -]?diligence", "visit_notes"),
    (r"news|新闻|报道|press|article|financing[_ -]?news|融资", "news"),
    (r"patent|专利|知识产权|ip[_ -]?list", "patent_list"),
    (r"profile|画像|企业信息|工商", "profile"),
    (r"report|报告", "report"),
)
_TEXT_TYPES: tuple[tuple[str, str], ...] = (
    (r"招股说明书", "prospectus"),
    (r"审计报告|auditor'?s report", "audit_report"),
    (r"年度报告|年报|annual report", "annual_report"),
    (r"商业计划书|business plan", "business_plan"),
    (r"走访纪要|走访日期|visit notes|date of visit", "visit_notes"),
    (r"专利清单|知识产权清单|patent (?:and design )?portfolio", "patent_list"),
    (r"企业画像|company profile", "profile"),
    (r"来源[：:]|发布日期[：:]|记者|本报讯|published:|\bby [A-Z][a-z]+ [A-Z][a-z]+,", "news"),
)
_REPORTED = re.compile(
    r"((?:19|20)\d{2})\s*年(?:度|末|12月31日)|(?:December 31|31 December),? ((?:19|20)\d{2})"
)
_AUDITED = re.compile(
    r"审计意见|经审计|标准无保留|审计机构|会计师事务所.{0,10}审计"
    r"|audited|auditor|unqualified opinion|unmodified opinion",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"(?:发布日期|发布时间|报道日期|走访日期|编制日期|Published|Date of visit|Publication date)\s*[：:]\s*",
    re.IGNORECASE,
)
_AS_OF = re.compile(
    r"(?:统计截止日|数据截止日|截止日期|截至日期|Status as of|As of|Data as of)\s*[：:]\s*", re.IGNORECASE
)
_FISCAL_TITLE = re.compile(
    r"((?:19|20)\d{2})\s*年(?:年度|度)(?:报告|审计报告)|((?:19|20)\d{2})\s*年年度报告|"
    r"annual report (?:and [^\n]{0,40})?(?:for the year ended [^\n]{0,20}?)?((?:19|20)\d{2})|"
    r"((?:19|20)\d{2}) annual report|fiscal year ended [A-Za-z]+ \d{1,2}, ((?:19|20)\d{2})|"
    r"year ended 31 [A-Za-z]+ ((?:19|20)\d{2})|year ended [A-Za-z]+ \d{1,2}, ((?:19|20)\d{2})",
    re.IGNORECASE,
)


@dataclass
class DocContext:
    """A document's type and the dates that frame it."""

    info: DocumentInfo
    fiscal_year: int | None = None  # the year a report covers (annual / audit report)
    max_year: int | None = None  # no actual figure can be later than this
    published: str | None = None  # ISO date of a news item / visit
    as_of: str | None = None  # 统计截止日 of a list
    latest_year: int | None = (
        None  # the latest fiscal year the document reports on (2023年度 / 2023年12月31日)
    )

    @property
    def reliability(self) -> int:
        return self.info.reliability

    @property
    def type(self) -> str:
        return self.info.type

    @property
    def forward_looking(self) -> bool:
        return self.info.type == "business_plan"


def _head(chunks: list[Chunk]) -> str:
    ordered = sorted(chunks, key=lambda c: c.page or 0)
    return "\n".join(c.text for c in ordered[:4])


# a report of part of a year: never an annual report, and its 本期 is no fiscal year (by its file name, or
# by its title: "2023年半年度报告", "Interim Report 2023")
_INTERIM_NAME = re.compile(
    r"半年度报告|半年报|中期报告|季度报告|interim|quarterly|10-?q\b|(?<![a-z])h1(?![a-z])", re.IGNORECASE
)
_INTERIM_TITLE = re.compile(
    r"(?:19|20)\d{2}\s*年\s*(?:半年度|中期|第[一二三四]季度)报告|\b(?:interim|quarterly) report\b|\bform 10-q\b",
    re.IGNORECASE,
)


def doc_context(doc: str, chunks: list[Chunk]) -> DocContext:
    name = doc.lower()
    head = _head(chunks)
    interim = bool(_INTERIM_NAME.search(name) or _INTERIM_TITLE.search(head[:800]))
    kind = "report" if interim else next((t for rx, t in _NAME_TYPES if re.search(rx, name)), None)
    if not interim and (kind in (None, "report", "news") or kind == "other"):
        text_kind = next((t for rx, t in _TEXT_TYPES if re.search(rx, head[:1500], re.IGNORECASE)), None)
        if text_kind and (
            kind is None or kind == "report" or (kind == "news" and text_kind == "visit_notes")
        ):
            kind = text_kind
    kind = kind or "other"
    audited = kind == "audit_report" or (
        kind in ("annual_report", "prospectus") and bool(_AUDITED.search(head))
    )
    reliability = RELIABILITY[kind]
    if kind == "annual_report" and not audited:
        reliability = UNAUDITED_ANNUAL
    name_years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", name)]
    fiscal: int | None = None
    m = None if interim else _FISCAL_TITLE.search(head[:800])
    if m:
        fiscal = int(next(g for g in m.groups() if g))
    elif kind in ("annual_report", "audit_report") and name_years:
        fiscal = name_years[0]
    published = _dated(_PUBLISHED, head)
    as_of = _dated(_AS_OF, head)
    max_year = None
    candidates = [y for y in (name_years[:1] + [fiscal or 0] + [int(published[:4]) if published else 0]) if y]
    if candidates:
        max_year = max(candidates)
        if kind in ("annual_report", "audit_report") and fiscal:
            max_year = max(fiscal, name_years[0] if name_years else fiscal)
    year = fiscal or (name_years[0] if name_years else None)
    info = DocumentInfo(doc=doc, type=kind, audited=audited, reliability=reliability, year=year)
    reported = [int(a or b) for c in chunks for a, b in _REPORTED.findall(c.text)]
    reported = [y for y in reported if max_year is None or y <= max_year]
    return DocContext(
        info=info,
        fiscal_year=fiscal,
        max_year=max_year,
        published=published,
        as_of=as_of,
        latest_year=fiscal or (max(reported) if reported else None),
    )


def _dated(label: re.Pattern[str], text: str) -> str | None:
    for m in label.finditer(text):
        line_end = text.find("\n", m.end())
        found = dates(text[m.end() : line_end if line_end >= 0 else len(text)])
        if found and found[0].start <= 2:
            return found[0].iso
    return None
