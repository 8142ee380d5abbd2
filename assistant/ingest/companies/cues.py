"""The patterns that find company names in a document's text and weigh each occurrence: the name itself
(Chinese and English legal forms), the words that lead into it, counterparty cues (客户, 领投, auditor…),
name fields (公司名称：, Legal name:) and declared short names (以下简称…)."""

from __future__ import annotations

import re

from assistant.ingest.companies.lexicon import EN_SUFFIX, word_list
from assistant.text.cjk import HAN

_EN_WORD = r"(?:[A-Z][A-Za-z0-9'’&.\-]*|[0-9][A-Za-z0-9'’&.\-]*|&)"
_EN_CONNECT = r"(?:of|and|de|the|for|für|du|la|von|van)"
EN_NAME_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?P<body>{_EN_WORD}(?:[ \t]+(?:{_EN_WORD}|{_EN_CONNECT})){{0,11}})"
    rf"(?P<suffix>,?[ \t]+{EN_SUFFIX})(?![A-Za-z0-9])"
)
# Words that belong to the sentence or a label before a name, not to the name (the name starts after the
# last of them; connectors such as "of"/"and" inside a name are kept).
EN_SENTENCE_WORDS = frozenset(
    word_list(
        "a an in on at by from with to as our its their this that these those today yesterday we it "
        "client customer customers investor investors auditor auditors owner existing legal subsidiary plaintiff "
        "defendant led backed partner both also after before under between against including while when since "
        "unlike like per via dear name company issuer borrower applicant supplier vendor lender "
        "january february march april may june july august september october november december"
    )
)
EN_CONNECTORS = frozenset(word_list("of and de the for für du la von van &"))

ZH_SUFFIX = r"(?:股份有限公司|有限责任公司|有限公司|集团(?:股份|控股)?公司)"
# Bounded so that a long CJK run without a suffix costs linear time (names are at most ~40 characters).
ZH_NAME_RE = re.compile(rf"[{HAN}（）()]{{1,40}}?{ZH_SUFFIX}")
# Words after which the name starts (the last one in the run wins).
ZH_LEADIN_WORDS = word_list(
    "公司全称为 全称为 全称是 全称 中文名称 英文名称 名称为 名称是 名称 以下简称 简称 前身为 前身是 前身 原名为 "
    "原名 更名为 变更为 客户为 客户是 客户包括 客户有 包括 包含 其中 以及 分别为 分别是 申请执行人为 执行人为 "
    "原告为 被告为 起诉 审计了 委托 作为 成为 同意 收购 并购 入股 参股 子公司 母公司 股东 携手 签署 签约 "
    "供应商 我们 本公司 该公司 公司 关联方"
)
ZH_LEADIN_CHARS = frozenset("为是由与和及了对向被据系于在的将从自给把经同跟让令使即")
# A body ending in one of these is a sentence about a company form, not a name (由有限责任公司…).
ZH_BARE_SUFFIX_CHARS = frozenset("为是由了被将对向于在的把从给即")
# Within the clause before a name: the name is a counterparty, not the subject.
COUNTERPARTY_ZH = word_list(
    "客户 供应商 经销商 代理商 投资方 投资人 投资机构 投资者 投资 领投 跟投 参投 股东 审计机构 审计单位 "
    "会计师事务所 律师事务所 银行 法院 起诉 诉讼 原告 被告 执行人 关联方 关联 子公司 母公司 参股 收购 并购 "
    "竞争对手 合作方 合作伙伴 前身 原名 曾用名 担保 债权人 债务人 出租方 承租方 委托 受托 对方 第三方 财务顾问 "
    "保荐 承销"
)
COUNTERPARTY_EN_RE = re.compile(
    r"\b(customers?|clients?|suppliers?|vendors?|distributors?|resellers?|investors?|invested|led by|co-led by|"
    r"backed by|funded by|participation (?:from|of)|auditors?|audited by|accountants?|accounting firm|"
    r"banks?|banker|lenders?|court|plaintiff|defendant|sued by|suit by|filed by|brought by|acquired|"
    r"acquirer|acquisition of|competitors?|subsidiary|subsidiaries|parent company|partnership with|"
    r"agreement with|contract with|formerly|predecessor|guarantor|counterparty|landlord|tenant)\b",
    re.IGNORECASE,
)
COUNTERPARTY_AFTER_RE = re.compile(
    r"^[\s,，]*(?:领投|跟投|参投|担任|"
    r"(?:同时|亦|也|均)?(?:为|是|系|成为)(?:公司|本公司|我司|发行人)[^。；;\n]{0,10}"
    r"(?:客户|供应商|股东|投资方|投资人|债权人|审计机构)|(?:\([^)]*\)\s*)?(?:led|co-led|invested|participated)\b|"
    r"(?:our|its|their|the company's) (?:largest |main |key |major )?"
    r"(?:customer|client|supplier|investor|auditor|lender|bank|partner))",
    re.IGNORECASE,
)
# Names that are auditors, banks, courts, investors… unless they sit in a name field.
COUNTERPARTY_CONTENT_RE = re.compile(
    r"会计师事务所|律师事务所|银行|法院|证券|资本|创投|投资|基金|资产管理|保险|担保|某|"
    r"\b(?:Bank|Capital|Ventures|Partners|Court|Assurance|Accountants|CPAs|Audit|Law|Securities|"
    r"Investments?|Fund|Insurance)\b"
)
# A name field right before the name: 公司名称： / 企业名称 | / Legal name: / Client: …
LABEL_RE = re.compile(
    r"(?:((?:公司|企业|发行人|客户|借款人|申请人|单位|注册|中文|英文|法定)*(?:名称|全称)"
    r"|专利权人|权利人|发行人|借款人"
    r"|(?:legal|company|corporate|registered|entity|official|full|english|chinese)?\s*name"
    r"|client|company|issuer|borrower|owner of record|patentee|assignee)\s*[:：|]"
    r"|(?:本公司|公司|企业|发行人)(?:的)?(?:中文)?(?:全称|名称)(?:为|是))\s*$",
    re.IGNORECASE,
)
ALIAS_AFTER_RE = re.compile(
    r"^\s*[（(]\s*(?:以下)?(?:简称|合称|或称|下称|hereinafter|the)?\s*[:：]?\s*[“\"「『']?"
    r"(?P<alias>[^”\"」』'（）()，,。；;\n]{1,30}?)[”\"」』']?\s*(?:[或/、,，][^）)]*)?[）)]"
)
SHORT_FIELD_RE = re.compile(
    r"(?:(?:公司|企业|证券)?简称|short name)\s*[:：|]\s*(?P<alias>["
    + HAN
    + r"A-Za-z0-9]["
    + HAN
    + r"A-Za-z0-9 .&\-]{1,40}?)"
    r"\s*(?:\||\n|$|（|\(|，|,|。)",
    re.IGNORECASE,
)
GENERIC_ALIASES = frozenset(
    ("公司", "本公司", "发行人", "我们", "该公司", "集团", "本集团", "company", "the company", "we", "issuer")
)
