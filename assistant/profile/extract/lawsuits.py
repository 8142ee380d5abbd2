"""Lawsuits, arbitration, penalties and court listings (失信被执行人, 经营异常, 限制高消费): kind, the
company's role, cause, amount, court, counterparty, case number, status. Denials ("不存在诉讼", "not a
party to any legal proceedings") are skipped."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.profile.extract.items import money_figures, sentence_source
from assistant.profile.extract.periods import sentence_dates
from assistant.profile.extract.quick import quick
from assistant.profile.extract.text import Segment
from assistant.profile.schema import Lawsuit
from assistant.profile.sources import DocContext
from assistant.text.cjk import HAN, has_han
from assistant.text.figures import plain

_LAW = quick(
    re.compile(
        r"纠纷|诉讼|起诉|仲裁|被执行人|失信|限制高消费|限高|经营异常|行政处罚|lawsuit|litigation|\bsued\b|\bsuit\b|"
        r"arbitration|infringement",
        re.IGNORECASE,
    )
)  # searched in every line of a document: with the lookahead of its first characters
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
        money = money_figures(sentence)
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
                evidence=[sentence_source(seg, s0, s1)],
            )
        )
    return out


def _sentence_date(text: str) -> str | None:
    found = sentence_dates(text, has_han(text))
    return found[0].iso if found else None
