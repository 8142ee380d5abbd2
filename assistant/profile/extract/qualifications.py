"""Qualifications: recognitions (高新技术企业, 专精特新“小巨人”, 科技型中小企业 …) and certificates
(ISO 9001, IATF 16949, CMMI, FDA 510(k), SOC 2 …) with number, issue and expiry dates, from sentences
and table rows; R&D platforms (企业技术中心, 重点实验室 …) and standards the company led or joined.
Denials ("尚未取得", "not yet certified") are skipped."""

from __future__ import annotations

import re

from assistant.profile.extract.items import sentence_source
from assistant.profile.extract.text import Segment, clause_spans
from assistant.profile.lexicon.regions import PROVINCES
from assistant.profile.schema import Qualification
from assistant.profile.sources import DocContext
from assistant.text.cjk import HAN
from assistant.text.dates import dates
from assistant.text.tables import is_rule_row, row_cells

_REGION = rf"(?:{PROVINCES})(?:省|市|自治区)?|国家级|省级|市级"
_QUAL = re.compile(
    r"(?P<name>(?:国家级?)?高新技术企业|科技型中小企业|创新型中小企业|"
    rf"(?:{_REGION})?专精特新(?:“小巨人”|\"小巨人\"|小巨人)(?:企业)?|"
    rf"(?:{_REGION})?专精特新中小企业|"
    r"ISO\s?\d{4,5}(?::\d{4})?|IATF\s?16949|CMMI\s?(?:\d级|(?:Level|ML)\s?\d)|UL\s?\d{3,4}|FDA\s+510\(k\)|"
    r"SOC\s?2(?:\s+Type\s+(?:II|I|1|2))?|CE\s+mark(?:ing)?)"
)
QUALIFICATION_NAME = (
    _QUAL  # a qualification's name in any text (group "name"): questions are read with it too
)
# a word every name _QUAL reads holds: a line without one names no qualification (a cheap first test —
# _QUAL itself tries its region prefixes at every position)
_QUAL_WORD = re.compile(r"高新技术企业|科技型中小企业|创新型中小企业|专精特新|ISO|IATF|CMMI|UL|FDA|SOC|CE")
_CERTIFICATE = re.compile(r"该证书|上述证书|证书|certificate")
_QUAL_NO = re.compile(
    r"(?:证书编号|登记编号|编号|证书号|certificate (?:no\.|number))\s*(?:为|是|：|:)?\s*(?P<no>[A-Z]{0,3}\d{8,})|"
    r"\((?P<k>K\d{6})\)",
    re.IGNORECASE,
)
_QUAL_NEG = re.compile(
    r"尚未取得|未取得|未通过|不再|未被认定|失去|提交[^。；]{0,12}申请|正在准备[^。；]{0,12}申请(?![^。；]*到期)|"
    r"not (?:yet )?(?:certified|obtained|granted)",
    re.IGNORECASE,
)
_EXPIRY = re.compile(
    r"(?:将于|已于|于)?(?P<d>[^，。；]{0,3}?(?:19|20)\d{2}\s*年[^，。；]{0,8}?)(?:到期|届满)|"
    r"有效期(?:至|到)\s*(?P<d2>[^，。；]{4,16})|valid until\s+(?P<d3>[^,.;]+)|expires? (?:on )?(?P<d4>[^,.;]+)",
    re.IGNORECASE,
)
_ISSUE_CUE = re.compile(
    r"取得|获得|认定|通过|发证日期|认证|入库|评价|since|issued|received|certified|certification|"
    r"certificate|listing|clearance|dated|cleared|completed|held|granted",
    re.IGNORECASE,
)
_PLATFORM = re.compile(
    r"(?P<name>[“\"]?["
    + HAN
    + r"A-Za-z0-9（）()\-]{2,30}?(?:企业技术中心|工程技术研究中心|研究开发中心|工程研究中心|"
    r"研发中心|重点实验室|工程实验室|联合实验室|技术中心)[”\"]?)"
)
_PLATFORM_CUE = re.compile(r"设有|拥有|获批|认定为|建有|依托|共建|组建|成立了?")
_STANDARD = re.compile(
    r"(?P<verb>主导|牵头|主持|参与|参加)(?:制定|起草|编制|修订)了?(?P<what>[^。；]{0,40}?)(?P<n>\d+|[一二三四五六七八九十两]+)?\s*项?"
    r"(?P<level>国际|国家|行业|团体|地方)标准(?:\s*(?P<n2>\d+)\s*项)?"
)


def _qual_kind(name: str) -> str:
    return "recognition" if re.search(r"企业|小巨人", name) else "certificate"


def _first_date(text: str) -> str | None:
    found = dates(text)
    return found[0].iso if found else None


def qualification_items(seg: Segment, ctx: DocContext, last: list[str]) -> list[Qualification]:
    """Qualifications stated in one logical line; ``last`` carries the previous certificate's name so
    that "该证书…已于2023年12月2日到期" updates it."""
    out: list[Qualification] = []
    if seg.table_row:
        if not _QUAL_WORD.search(seg.text):
            return out
        cells = row_cells(seg.text)
        if cells and _QUAL.search(cells[0]) and not is_rule_row(seg.text):
            m = _QUAL.search(cells[0])
            assert m is not None
            ds = [dates(c) for c in cells[1:]]
            issued = ds[0][0].iso if len(ds) > 0 and ds[0] else None
            expires = ds[1][0].iso if len(ds) > 1 and ds[1] else None
            name = (
                m.group("name")
                if len(cells[0]) > len(m.group("name")) + 4
                else cells[0].replace("认证", "").strip()
            )
            out.append(
                Qualification(
                    name=name,
                    kind=_qual_kind(name),
                    issued=issued,
                    expires=expires,
                    evidence=[sentence_source(seg, 0, len(seg.text))],
                )
            )
            last[:] = [name]
        else:
            for m in re.finditer(
                r"FDA\s+510\(k\)\s*(?P<k>K\d{6})?[^|]*?(?P<d>(?:19|20)\d{2}-\d{2}-\d{2})", seg.text
            ):
                out.append(
                    Qualification(
                        name="FDA 510(k)",
                        number=m.group("k"),
                        issued=m.group("d"),
                        evidence=[sentence_source(seg, 0, len(seg.text))],
                    )
                )
        return out
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        named = _QUAL_WORD.search(sentence) is not None
        if not (named or _may_hold_other(sentence, last)):
            continue
        names = list(_QUAL.finditer(sentence)) if named else []
        if _QUAL_NEG.search(sentence) and not re.search(
            r"到期|届满|valid until|expire", sentence, re.IGNORECASE
        ):
            continue
        if not names:
            exp = _EXPIRY.search(sentence)
            if exp and last and _CERTIFICATE.search(sentence):
                d = _first_date(next(g for g in exp.groups() if g))
                if d:
                    num = _QUAL_NO.search(sentence)
                    out.append(
                        Qualification(
                            name=last[-1],
                            kind=_qual_kind(last[-1]),
                            expires=d,
                            number=num.group("no") if num and num.group("no") else None,
                            evidence=[sentence_source(seg, s0, s1)],
                        )
                    )
            out.extend(_platforms(seg, s0, s1, sentence))
            out.extend(_standards(seg, s0, s1, sentence))
            continue
        clauses = clause_spans(sentence, 0, len(sentence))
        for m in names:
            name = re.sub(r"\s+", " ", m.group("name")).strip()
            a, b = next(((a, b) for a, b in clauses if a <= m.start() < b), (0, len(sentence)))
            # the clause, or the whole sentence when it names one qualification only
            scope = sentence if len(names) == 1 else sentence[a:b]
            offset = 0 if len(names) == 1 else a
            if (
                not _ISSUE_CUE.search(scope)
                and not _EXPIRY.search(scope)
                and not re.search(r"是|为|属于|is an?", scope)
            ):
                continue
            exp = _EXPIRY.search(scope)
            expires = _first_date(next(g for g in exp.groups() if g)) if exp else None
            name_at = m.start() - offset
            issue_dates = [
                d
                for d in dates(scope)
                if not (exp and exp.start() <= d.start < exp.end())
                and _ISSUE_CUE.search(
                    scope[max(0, min(d.start, name_at) - 12) : max(d.end, name_at + len(name)) + 14]
                )
            ]
            before = [d for d in issue_dates if d.start <= name_at]
            issued_d = before[-1] if before else (issue_dates[0] if issue_dates else None)
            issued = issued_d.iso if issued_d else None
            if (
                issued
                and issued_d is not None
                and re.match(r"\s*年度", scope[issued_d.end : issued_d.end + 2])
            ):
                issued = issued[:4]
            num = _QUAL_NO.search(scope)
            number = (num.group("no") or num.group("k")) if num else None
            out.append(
                Qualification(
                    name=name,
                    kind=_qual_kind(name),
                    number=number,
                    issued=issued,
                    expires=expires,
                    evidence=[sentence_source(seg, s0, s1)],
                )
            )
            last[:] = [name]
        out.extend(_standards(seg, s0, s1, sentence))
    return out


def _may_hold_other(sentence: str, last: list[str]) -> bool:
    """Whether a sentence naming no qualification can still yield one: the expiry of the certificate named
    before it, an R&D platform or a standard (most sentences of a report: none of them, skipped cheaply)."""
    return (
        "标准" in sentence
        or (bool(last) and _CERTIFICATE.search(sentence) is not None)
        or _PLATFORM_CUE.search(sentence) is not None
    )


def _platforms(seg: Segment, s0: int, s1: int, sentence: str) -> list[Qualification]:
    if not _PLATFORM_CUE.search(sentence):
        return []
    out: list[Qualification] = []
    for m in _PLATFORM.finditer(sentence):
        name = m.group("name").strip('“”"')
        name = re.sub(r"^(?:公司|发行人|并|还|已|设有|拥有|建有|依托|共建)+", "", name)
        if (
            len(
                re.sub(
                    r"(?:企业技术中心|工程技术研究中心|研究开发中心|工程研究中心|研发中心|重点实验室|工程实验室|联合实验室|技术中心)$",
                    "",
                    name,
                )
            )
            < 2
        ):
            continue
        level = None
        ctx_text = sentence[max(0, m.start() - 12) : m.end() + 16]
        if name.startswith("国家") or "国家级" in ctx_text:
            level = "national"
        elif re.search(r"省级|^[" + HAN + r"]{2,3}省", ctx_text if "省级" in ctx_text else name):
            level = "provincial"
        elif re.search(r"市级|^[" + HAN + r"]{2,4}市", ctx_text if "市级" in ctx_text else name):
            level = "municipal"
        out.append(
            Qualification(
                name=name,
                kind="rd_platform",
                level=level,
                status="claimed",
                evidence=[sentence_source(seg, s0, s1)],
            )
        )
    return out


def _standards(seg: Segment, s0: int, s1: int, sentence: str) -> list[Qualification]:
    out: list[Qualification] = []
    for m in _STANDARD.finditer(sentence):
        level = {
            "国际": "international",
            "国家": "national",
            "行业": "industry",
            "团体": "group",
            "地方": "local",
        }[m.group("level")]
        count = m.group("n") or m.group("n2")
        name = f"{m.group('level')}标准" + (f" × {count}" if count else "")
        out.append(
            Qualification(
                name=name,
                kind="standard",
                level=level,
                led=m.group("verb") in ("主导", "牵头", "主持"),
                status="claimed",
                evidence=[sentence_source(seg, s0, s1)],
            )
        )
    return out
