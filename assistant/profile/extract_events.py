"""Events and lists: financing rounds, qualifications, lawsuits and court listings, listed patents,
the largest customer's name, and qualitative facts the signals need (IP pledges, related-party
transactions, working-capital deficits …). Each item keeps the quote it was read from."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.profile.candidates import Fact
from assistant.profile.extract_metrics import sentence_dates
from assistant.profile.numbers import Mention, dates, en_money, plain, zh_money
from assistant.profile.schema import Customer, Lawsuit, Patent, Qualification, Round, Source
from assistant.profile.sources import DocContext
from assistant.profile.text import Segment, clause_spans, is_rule_row, table_cells
from assistant.text.cjk import HAN

_CJK = re.compile(r"[" + HAN + r"]")


def _src(seg: Segment, s0: int, s1: int) -> Source:
    return Source(doc=seg.chunk.doc, page=seg.chunk.page, quote=seg.quote(s0, s1))


def _money(text: str) -> list[Mention]:
    found = zh_money(text) + en_money(text)
    return sorted(found, key=lambda m: m.start)


# ---- financing rounds -------------------------------------------------------------------------------------
_ZH_ROUND = re.compile(
    r"(?P<round>Pre-A\+?轮|pre-A\+?轮|Pre-IPO轮|天使\+?轮|种子轮|[A-F]\+{0,2}\d?轮|战略融资|战略投资)"
)
_EN_ROUND = re.compile(
    r"(?P<round>(?:pre-)?seed|angel|Series [A-F](?:\+|-\d)?|bridge|growth)\s+(?:funding\s+|financing\s+|equity\s+|investment\s+)?round",
    re.IGNORECASE,
)
_DONE = re.compile(
    r"完成|获得|领投|投资总额|出资|融资金额|获投|获|宣布|\braised\b|\bclosed\b|\bcompleted\b|\bsecured\b|"
    r"\bannounced\b|\breceived\b",
    re.IGNORECASE,
)
_NOT_DONE = re.compile(
    r"计划|拟|正在|洽谈|推进|筹备|启动|本轮为|目标|预计|意向|raising|to raise|will raise|plans? to|"
    r"preparing|seeking|intends?|expects?|aims?|in talks",
    re.IGNORECASE,
)
_ZH_LEAD = (
    re.compile(r"由(?P<inv>[^，。；、\s]{2,24}?)(?:领投|独家投资|投资|出资)"),
    re.compile(r"(?P<inv>[^，。；、\s]{2,24}?)(?:领投|以(?:货币)?出资)"),
)
_EN_LEAD = re.compile(
    r"led by\s+(?P<inv>[A-Z][A-Za-z0-9&.'’\- ]+?)(?=\s*(?:[.,;]|$|\band\b|\bwith\b|\bin\b))"
)
_LEAD_PREFIX = re.compile(r"^(?:本轮融资|本轮|公司获得|获得|公司|由|发行人|老股东)+")
_VALUATION = re.compile(r"投后估值(?:约为|约|为|达)?|post-money valuation of|valued at", re.IGNORECASE)
_MONTH_DAY = re.compile(r"(?<![年\d])(?P<m>\d{1,2})月(?:\s*(?P<d>\d{1,2})日)?")


def _event_date(text: str, pos: int, ctx: DocContext) -> str | None:
    found = [d for d in sentence_dates(text, bool(_CJK.search(text))) if d.start < pos + 40]
    before = [d for d in found if d.start <= pos]
    if before:
        return before[-1].iso
    if found:
        return found[0].iso
    if ctx.published:
        md = _MONTH_DAY.search(text[: pos + 1]) or _MONTH_DAY.search(text)
        if md and _CJK.search(text):
            return f"{ctx.published[:4]}-{int(md.group('m')):02d}"
        return ctx.published[:7]
    return None


def _sentence_date(text: str) -> str | None:
    found = sentence_dates(text, bool(_CJK.search(text)))
    return found[0].iso if found else None


def round_items(seg: Segment, ctx: DocContext) -> tuple[list[Round], list[Fact]]:
    rounds: list[Round] = []
    facts: list[Fact] = []
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        zh = bool(_CJK.search(sentence))
        marks = list((_ZH_ROUND if zh else _EN_ROUND).finditer(sentence))
        val = _VALUATION.search(sentence)
        if val:
            after = [m for m in _money(sentence) if m.start >= val.end() and m.start - val.end() <= 6]
            if after:
                facts.append(
                    Fact(
                        name="post_money_valuation",
                        value=plain(after[0].value),
                        currency=after[0].currency,
                        evidence=[_src(seg, s0, s1)],
                    )
                )
        for k, mark in enumerate(marks):
            lo = marks[k - 1].end() if k else 0
            hi = marks[k + 1].start() if k + 1 < len(marks) else len(sentence)
            window = sentence[lo:hi]
            pos = mark.start() - lo
            before = window[:pos]
            if _NOT_DONE.search(before) or (zh and _NOT_DONE.search(window)):
                continue
            if not _DONE.search(window):
                continue
            if zh and not _money(window) and not re.search(r"(?:完成|获得)[^，。；]{0,8}$", before):
                continue  # "A轮融资完成后…" mentions a round, it does not report one
            money = [m for m in _money(window) if not (val and lo + m.start > val.start())]
            money = [m for m in money if not re.search(r"估值", window[max(0, m.start - 6) : m.start])]
            amount = min(money, key=lambda m: abs(m.start - pos)) if money else None
            lead: list[str] = []
            if zh:
                for rx in _ZH_LEAD:
                    lm = rx.search(window)
                    if lm:
                        name = _LEAD_PREFIX.sub("", lm.group("inv")).strip()
                        if len(name) >= 2 and not re.search(r"\d", name):
                            lead = [name]
                            break
            else:
                lm = _EN_LEAD.search(window)
                if lm:
                    lead = [lm.group("inv").strip()]
            name = mark.group("round")
            if not zh:
                name = (
                    name[:1].upper() + name[1:]
                    if not name.lower().startswith("series")
                    else "Series " + name.split()[-1]
                )
            rounds.append(
                Round(
                    round=name,
                    date=_event_date(sentence, mark.start(), ctx),
                    amount=plain(amount.value) if amount else None,
                    currency=amount.currency if amount else None,
                    raw_amount=amount.raw if amount else None,
                    lead_investors=lead,
                    evidence=[_src(seg, s0, s1)],
                )
            )
    return rounds, facts


def round_rows(rows: list[Segment], ctx: DocContext) -> list[Round]:
    """A Markdown table of rounds: | 轮次 | 时间 | 金额 | 领投方 | or | Date | Round | Amount | Lead investor |."""
    if len(rows) < 3 or not is_rule_row(rows[1].text):
        return []
    header = [h.lower() for h in table_cells(rows[0].text)]

    def col(*names: str) -> int | None:
        return next((i for i, h in enumerate(header) if any(n in h for n in names)), None)

    c_round, c_date, c_amount = col("轮次", "round"), col("时间", "日期", "date"), col("金额", "amount")
    c_lead = col("领投", "lead", "投资方", "investor")
    if c_round is None or c_amount is None:
        return []
    out: list[Round] = []
    for row in rows[2:]:
        cells = table_cells(row.text)
        if len(cells) != len(header):
            continue
        money = _money(cells[c_amount])
        when = dates(cells[c_date]) if c_date is not None else []
        if _NOT_DONE.search(row.text):
            continue
        out.append(
            Round(
                round=cells[c_round],
                date=when[0].iso if when else None,
                amount=plain(money[0].value) if money else None,
                currency=money[0].currency if money else None,
                raw_amount=money[0].raw if money else None,
                lead_investors=[cells[c_lead]] if c_lead is not None and cells[c_lead] else [],
                evidence=[_src(row, 0, len(row.text))],
            )
        )
    return out


# ---- qualifications -------------------------------------------------------------------------------------
_REGION = (
    r"(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|"
    r"甘肃|青海|内蒙古|广西|西藏|宁夏|新疆)(?:省|市|自治区)?|国家级|省级|市级"
)
_QUAL = re.compile(
    r"(?P<name>(?:国家级?)?高新技术企业|科技型中小企业|创新型中小企业|"
    rf"(?:{_REGION})?专精特新(?:“小巨人”|\"小巨人\"|小巨人)(?:企业)?|"
    rf"(?:{_REGION})?专精特新中小企业|"
    r"ISO\s?\d{4,5}(?::\d{4})?|IATF\s?16949|CMMI\s?(?:\d级|(?:Level|ML)\s?\d)|UL\s?\d{3,4}|FDA\s+510\(k\)|"
    r"SOC\s?2(?:\s+Type\s+(?:II|I|1|2))?|CE\s+mark(?:ing)?)"
)
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
        cells = table_cells(seg.text)
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
                    evidence=[_src(seg, 0, len(seg.text))],
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
                        evidence=[_src(seg, 0, len(seg.text))],
                    )
                )
        return out
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        names = list(_QUAL.finditer(sentence))
        if _QUAL_NEG.search(sentence) and not re.search(
            r"到期|届满|valid until|expire", sentence, re.IGNORECASE
        ):
            continue
        if not names:
            exp = _EXPIRY.search(sentence)
            if exp and last and re.search(r"该证书|上述证书|证书|certificate", sentence):
                d = _first_date(next(g for g in exp.groups() if g))
                if d:
                    num = _QUAL_NO.search(sentence)
                    out.append(
                        Qualification(
                            name=last[-1],
                            kind=_qual_kind(last[-1]),
                            expires=d,
                            number=num.group("no") if num and num.group("no") else None,
                            evidence=[_src(seg, s0, s1)],
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
                    evidence=[_src(seg, s0, s1)],
                )
            )
            last[:] = [name]
        out.extend(_standards(seg, s0, s1, sentence))
    return out


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
                name=name, kind="rd_platform", level=level, status="claimed", evidence=[_src(seg, s0, s1)]
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
                evidence=[_src(seg, s0, s1)],
            )
        )
    return out


# ---- lawsuits and listings ---------------------------------------------------------------------------------
_LAW = re.compile(
    r"纠纷|诉讼|起诉|仲裁|被执行人|失信|限制高消费|限高|经营异常|行政处罚|lawsuit|litigation|\bsued\b|\bsuit\b|"
    r"arbitration|infringement",
    re.IGNORECASE,
)
_LAW_NEG = re.compile(
    r"未被列为|未被列入|不存在(?:其他)?(?:尚未了结的)?(?:重大)?(?:诉讼|仲裁)|无(?:其他)?(?:重大)?(?:诉讼|仲裁|被执行|失信|经营异常)|"
    r"没有(?:诉讼|仲裁)|not a party|no (?:material )?(?:pending )?legal proceedings|is not party",
    re.IGNORECASE,
)
_CAUSE = re.compile(
    r"(?P<c>(?:买卖合同|借款合同|金融借款合同|运输合同|服务合同|租赁合同|建设工程(?:施工)?合同|技术(?:服务)?合同|承揽合同|劳动(?:争议)?|"
    r"劳务合同|侵害(?:计算机)?软件著作权|侵害发明专利权|侵害实用新型专利权|侵害外观设计专利权|专利权权属|著作权权属|侵害商标权|"
    r"不正当竞争|股权转让|合同)纠纷)|(?P<e>patent infringement|breach of contract|trademark infringement|"
    r"copyright infringement|trade secret misappropriation)",
    re.IGNORECASE,
)
_AMOUNT_CUE = re.compile(
    r"要求|支付|赔偿|执行标的|诉请|涉案金额|标的额|标的金额|damages|seeking|claims? (?:of|for)", re.IGNORECASE
)
_COURT = re.compile(
    r"(?P<c>(?:["
    + HAN
    + r"]{2,3}(?:省|自治区))?["
    + HAN
    + r"]{2,4}?(?:市|县|区)(?:["
    + HAN
    + r"]{2,4}?(?:区|县))?"
    r"(?:中级|高级|基层)?人民法院)|(?P<e>U\.S\. District Court for the [A-Z][A-Za-z ]+?(?= seeking|,|\.|$)|"
    r"(?:High|District|Supreme|Crown) Court(?: of [A-Z][A-Za-z ]+)?)"
)
_CASE = re.compile(r"[（(]\d{4}[）)][" + HAN + r"]{1,4}\d{2,5}[" + HAN + r"]{1,3}\d+号")
_CLOSED = re.compile(
    r"结案|全额履行|履行完毕|已撤诉|撤诉|和解|settled|dismissed|withdrawn|performed in full", re.IGNORECASE
)
_STATUS = re.compile(
    r"尚在审理中|仍在审理中|审理中|尚未判决|一审尚未判决|一审判决[^，。；]{0,10}胜诉|一审胜诉|已提起上诉|"
    r"二审尚未开庭|已结案|全额履行|pending|no provision has been recognised",
    re.IGNORECASE,
)


_PLAINTIFF = re.compile(
    r"作为原告|(?:公司|发行人|我司)起诉|(?:公司|发行人)向[^，。；]{0,20}(?:提起|起诉)|"
    r"the Company (?:filed|sued|brought)|as (?:the )?plaintiff",
    re.IGNORECASE,
)


@lru_cache(maxsize=256)
def _defendant_rx(own_names: tuple[str, ...]) -> re.Pattern[str]:
    own = "|".join(re.escape(n) for n in own_names if n) or "公司"
    return re.compile(
        rf"作为被告|为该案被告|为被告|起诉(?:公司|我司|发行人|本公司|{own})|对方诉请|against the Company|"
        rf"against us|the Company is the defendant|as (?:a )?defendant",
        re.IGNORECASE,
    )


def lawsuit_items(seg: Segment, ctx: DocContext, own_names: list[str]) -> list[Lawsuit]:
    out: list[Lawsuit] = []
    if seg.table_row or not _LAW.search(seg.text):
        return out
    defendant_rx = _defendant_rx(tuple(own_names))
    plaintiff_rx = _PLAINTIFF
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        if not _LAW.search(sentence) or _LAW_NEG.search(sentence):
            continue
        listing = re.search(
            r"(?:被|已被)?(?:列为|列入)(?:失信)?被执行人|被列为失信被执行人|列入经营异常|限制高消费", sentence
        )
        money = _money(sentence)
        cue = _AMOUNT_CUE.search(sentence)
        amount = None
        if money:
            after = [m for m in money if cue and m.start >= cue.start()]
            amount = after[0] if after else money[0]
        if amount is None and not listing:
            continue
        kind = "lawsuit"
        role = "unknown"
        if listing:
            text = listing.group(0)
            kind = (
                "dishonest_listing"
                if "失信" in text
                else ("abnormal_operation" if "经营异常" in text else "enforcement_listing")
            )
            role = "judgment_debtor"
        elif re.search(r"行政处罚|罚款|penalty|fine of", sentence, re.IGNORECASE):
            kind = "penalty"
        else:
            if defendant_rx.search(sentence):
                role = "defendant"
            elif plaintiff_rx.search(sentence):
                role = "plaintiff"
        cause = _CAUSE.search(sentence)
        court = _COURT.search(sentence)
        court_name = None
        if court:
            court_name = court.group("c") or court.group("e") or ""
            cut = max(court_name.rfind(ch) for ch in "向被由在于告至到，")
            court_name = court_name[cut + 1 :] if cut >= 0 and court.group("c") else court_name
            court_name = court_name or None
        case = _CASE.search(sentence)
        status = _STATUS.search(sentence)
        counterparty = None
        cp = re.search(
            r"(?P<cp>[A-Z][\w.&\-]*(?: [A-Z][\w.&\-]*)* (?:Inc\.|Ltd\.|LLC|Corp\.?|GmbH|plc))(?= filed| sued| brought)",
            sentence,
        )
        if cp:
            counterparty = cp.group("cp")
        else:
            cp2 = re.search(
                r"(?:被告|原告|申请执行人为|起诉|一家)(?P<cp>某?[" + HAN + r"]{2,20}?(?:公司|供应商|厂))",
                sentence,
            )
            if cp2 and not re.fullmatch(r"(?:公司|本公司|发行人)", cp2.group("cp")):
                counterparty = cp2.group("cp")
        out.append(
            Lawsuit(
                kind=kind,
                role=role,
                cause=(cause.group("c") or cause.group("e")) if cause else None,
                amount=plain(amount.value) if amount else None,
                currency=amount.currency if amount else None,
                raw_amount=amount.raw if amount else None,
                date=_sentence_date(sentence),
                court=court_name,
                counterparty=counterparty,
                case_no=case.group(0) if case else None,
                status=status.group(0) if status else None,
                closed=bool(_CLOSED.search(sentence)),
                evidence=[_src(seg, s0, s1)],
            )
        )
    return out


# ---- listed patents ---------------------------------------------------------------------------------------
_PATENT_NO = re.compile(
    r"ZL\s?\d{8,12}\.[\dX]|(?:US|U\.S\.)\s?(?:Patent No\.\s?)?\d{1,2},\d{3},\d{3}(?:\s?B\d)?|"
    r"(?:GB|EP|CN|WO)\s?\d{6,10}\s?[AB]\d?|UK \d{7}"
)


def patent_rows(rows: list[Segment]) -> list[Patent]:
    """Patent / design tables (专利号 / Patent number / Design number columns) and plain rows with a ZL number."""
    out: list[Patent] = []
    if len(rows) >= 3 and is_rule_row(rows[1].text):
        header = [h.lower() for h in table_cells(rows[0].text)]

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
            cells = table_cells(row.text)
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
                    evidence=[_src(row, 0, len(row.text))],
                )
            )
        return out
    return out


def patent_lines(seg: Segment) -> list[Patent]:
    """Plain-text rows such as "1 口蹄疫疫苗制备方法 ZL200910092433.3"."""
    if seg.table_row:
        return []
    m = re.fullmatch(r"\s*\d{1,3}\s+(?P<title>.+?)\s+(?P<no>ZL\s?\d{8,12}\.[\dX])\s*", seg.text)
    if not m:
        return []
    return [
        Patent(
            number=m.group("no"),
            title=m.group("title"),
            type="unknown",
            evidence=[_src(seg, 0, len(seg.text))],
        )
    ]


# ---- customers and qualitative facts ----------------------------------------------------------------------
_TOP1_NAME = re.compile(
    r"第一(?:名|大)客户(?:为|是)(?P<n>[^，。；]{2,30})|第一(?:名|大)客户[（(](?P<n2>[^）)]{2,30})[）)]|"
    r"(?:Our|The) largest customer(?:,| is) (?P<n3>an? [^,.;]{3,60})"
)
_RELATED_NEG = re.compile(
    r"不存在关联方|均不是关联方|非关联方|不存在[^。；]{0,8}关联|no customer is a related party|"
    r"none of (?:our|the) (?:customers|suppliers) (?:is|are) (?:a )?related",
    re.IGNORECASE,
)
_FACTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    (
        "ip_pledge",
        re.compile(
            r"(?:专利|知识产权)[^。；]{0,20}质押(?:给|予)|已质押|pledged (?:as security|to)", re.IGNORECASE
        ),
        re.compile(r"未质押|不存在质押|has not pledged|no patents? (?:are|is) pledged", re.IGNORECASE),
    ),
    (
        "equity_pledge",
        re.compile(
            r"股权质押|股份质押|(?:所持|持有)[^。；]{0,10}股(?:权|份)(?!制)[^。；]{0,6}(?:已|被)?质押|"
            r"shares? (?:are|were) pledged",
            re.IGNORECASE,
        ),
        re.compile(
            r"不存在[^。；]{0,10}质押|无[^。；]{0,6}质押|no (?:shares|equity) (?:are|is) pledged",
            re.IGNORECASE,
        ),
    ),
    (
        "related_party_transaction",
        re.compile(
            r"向关联方[^。；]{0,40}(?:采购|销售|借款|拆借)|关联交易金额|related[- ]party (?:purchases|sales|transactions?) of",
            re.IGNORECASE,
        ),
        re.compile(r"无其他|不存在|no related", re.IGNORECASE),
    ),
    (
        "founder_held_patents",
        re.compile(
            r"由(?:创始人|实际控制人|法定代表人|股东)个人持有|held by (?:the )?founders? personally",
            re.IGNORECASE,
        ),
        re.compile(r"不存在|均为公司|none are|not held", re.IGNORECASE),
    ),
    (
        "unpaid_tax",
        re.compile(r"欠税|欠缴税款|unpaid tax|tax arrears", re.IGNORECASE),
        re.compile(r"无欠税|不存在欠|no unpaid", re.IGNORECASE),
    ),
    (
        "working_capital_deficit",
        re.compile(r"流动负债超过流动资产|current liabilities exceed(?:ed)? current assets", re.IGNORECASE),
        None,
    ),
    (
        "going_concern_doubt",
        re.compile(
            r"持续经营能力存在重大不确定性|substantial doubt about (?:its|the company's) ability to continue",
            re.IGNORECASE,
        ),
        None,
    ),
    (
        "legal_rep_change",
        re.compile(
            r"法定代表人(?:由[^。；]{1,10})?变更为|changed (?:its|the) legal representative", re.IGNORECASE
        ),
        None,
    ),
)


def fact_items(seg: Segment) -> tuple[list[Fact], list[Customer]]:
    facts: list[Fact] = []
    customers: list[Customer] = []
    for s0, s1 in seg.sentences():
        sentence = seg.text[s0:s1]
        for name, rx, neg in _FACTS:
            if rx.search(sentence) and not (neg and neg.search(sentence)):
                money = _money(sentence)
                facts.append(
                    Fact(
                        name=name,
                        value=plain(money[0].value) if money else None,
                        currency=money[0].currency if money else None,
                        evidence=[_src(seg, s0, s1)],
                    )
                )
        if re.search(r"客户|customer", sentence, re.IGNORECASE):
            if _RELATED_NEG.search(sentence):
                facts.append(Fact(name="customers_not_related", evidence=[_src(seg, s0, s1)]))
            m = _TOP1_NAME.search(sentence)
            if m:
                name = next(g for g in (m.group("n"), m.group("n2"), m.group("n3")) if g).strip()
                customers.append(Customer(rank=1, name=name, evidence=[_src(seg, s0, s1)]))
    return facts, customers


def iter_tables(segs: list[Segment]) -> list[list[Segment]]:
    tables: list[list[Segment]] = []
    i = 0
    while i < len(segs):
        if segs[i].table_row:
            j = i
            while j < len(segs) and segs[j].table_row:
                j += 1
            tables.append(segs[i:j])
            i = j
        else:
            i += 1
    return tables
