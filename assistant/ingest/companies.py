"""Company names: detect which company a document is about, derive short names and aliases, and find
the known companies a question mentions.

Everything here is pure, fast and deterministic (regular expressions, OpenCC and pypinyin; no model,
no network).

- :func:`detect_company` reads a document's text and returns a :class:`CompanyMention` (legal name,
  English name, unified social credit code, short names, a confidence and the evidence line).
- :func:`valid_credit_code` checks the check character of an 18-character unified social credit code
  (统一社会信用代码, GB 32100-2015).
- :func:`short_name` / :func:`short_names` derive short names from a legal name
  (``杭州栖云智算科技股份有限公司`` → ``栖云智算``; variants ``栖云智算科技``, ``栖云智算``, ``栖云``).
- :func:`aliases` expands any known names into the alias set used for matching (short forms, Simplified
  and Traditional script, pinyin, lowercase).
- :func:`match_companies` returns the known companies a question mentions, longest match first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, Field

from assistant.text.cjk import HAN, has_han, to_simplified, to_traditional

__all__ = [
    "CompanyMention",
    "aliases",
    "detect_company",
    "match_companies",
    "short_name",
    "short_names",
    "valid_credit_code",
]


class CompanyMention(BaseModel):
    """The company a document is about, as detected from its text."""

    legal_name: str | None = Field(
        None, description="Full registered name (Chinese if the document gives one, else English)."
    )
    english_name: str | None = Field(None, description="English legal name, e.g. 'Brightfold Robotics Inc.'.")
    credit_code: str | None = Field(
        None, description="Unified social credit code (18 characters, check character verified)."
    )
    short_names: list[str] = Field(
        default_factory=list, description="Short names declared in the text (简称) first, then derived ones."
    )
    confidence: float = Field(
        description="0–1: higher with a name field, a title line and a valid credit code."
    )
    evidence: str = Field(description="The line of text the legal name (or credit code) was found on.")


# --------------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# --------------------------------------------------------------------------------------------------

_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
_CODE_LABEL_RE = re.compile(
    r"(统一社会信用代码|社会信用代码|信用代码|credit code|USCC)\s*[:：|]?\s*$", re.IGNORECASE
)


def valid_credit_code(code: str) -> bool:
    """True if ``code`` is 18 characters of the GB 32100 charset with a correct check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _CODE_CHARSET for c in code):
        return False
    total = sum(_CODE_CHARSET.index(c) * w for c, w in zip(code[:17], _CODE_WEIGHTS, strict=True))
    return _CODE_CHARSET[(31 - total % 31) % 31] == code[17]


def _find_credit_code(text: str) -> tuple[str, int] | None:
    """The first valid code after a 统一社会信用代码 label, else the first valid code; with its offset."""
    first: tuple[str, int] | None = None
    for m in _CODE_RE.finditer(text):
        code = m.group(0).upper()
        if not valid_credit_code(code):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _CODE_LABEL_RE.search(text[line_start : m.start()].replace("|", " ")):
            return code, m.start()
        if first is None:
            first = (code, m.start())
    return first


# --------------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Space-separated word lists stay readable (Chinese lists as list literals would not)."""
    return tuple(text.split())


_PROVINCES = _words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
    "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 中国"
)
_CITIES = _words(
    "杭州 苏州 合肥 成都 深圳 广州 南京 武汉 西安 青岛 宁波 无锡 常州 厦门 福州 济南 郑州 长沙 沈阳 大连 "
    "哈尔滨 长春 石家庄 太原 昆明 贵阳 南宁 南昌 兰州 乌鲁木齐 呼和浩特 银川 西宁 拉萨 海口 三亚 珠海 佛山 "
    "东莞 中山 惠州 温州 嘉兴 绍兴 金华 台州 湖州 南通 扬州 徐州 镇江 泰州 盐城 烟台 潍坊 淄博 芜湖 绵阳 "
    "宜昌 襄阳 洛阳 株洲 湘潭 泉州 漳州 昆山 江阴 常熟 张家港 义乌 宁德 唐山 保定 廊坊 威海 日照 蚌埠 "
    "马鞍山 连云港 淮安 宿迁 舟山 丽水 衢州 赣州 九江 柳州 桂林 遵义 德阳 宜宾 天府"
)
# Longest first so 黑龙江 wins over a shorter prefix.
_PLACES = tuple(sorted(set(_PROVINCES + _CITIES), key=lambda p: (-len(p), p)))
_PLACE_SUFFIXES = ("特别行政区", "自治区", "省", "市", "区", "县")

_ZH_ORG_SUFFIX_RE = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团(?:股份|控股)?公司|股份公司)$")
# Generic words stripped first (→ the usual 4-character 简称), then industry words one at a time.
_ZH_GENERIC = tuple(
    sorted(
        _words("科技 技术 实业 发展 控股 集团 股份 有限 管理 咨询 服务 工程 贸易 产业 企业 国际"),
        key=len,
        reverse=True,
    )
)
_ZH_INDUSTRY = tuple(
    sorted(
        _words(
            "精密 传感 传感器 计算机 储能 新能源 能源 软件 信息 网络 智能 智算 智造 智慧 数据 数字 电子 微电子 半导体 "
            "光电 光学 激光 生物 医药 医疗 医学 制药 健康 机器人 自动化 装备 设备 材料 新材料 通信 通讯 计算 "
            "云计算 算力 芯片 集成电路 系统 工业 机械 制造 仪器 仪表 汽车 物流 环保 环境 电气 电力 动力 电池 "
            "航空 航天 安防 视觉 互联网 物联网 人工智能 传媒 文化 教育 食品 农业 化工 医疗器械 检测"
        ),
        key=len,
        reverse=True,
    )
)

_EN_SUFFIX = (
    r"(?:Co\.,?[ \t]?Ltd\.?|Co\.,?[ \t]?Limited|Company[ \t]Limited|Pte\.?[ \t]Ltd\.?|Pty\.?[ \t]Ltd\.?"
    r"|Inc\.?|Incorporated|Ltd\.?|Limited|LLC|L\.L\.C\.|Corp\.?|Corporation|GmbH|PLC|plc|AG|S\.A\.|N\.V\.|B\.V\.)"
)
_EN_SUFFIX_END_RE = re.compile(r"[ \t,]*" + _EN_SUFFIX + r"$")
_EN_WORD = r"(?:[A-Z][A-Za-z0-9'’&.\-]*|[0-9][A-Za-z0-9'’&.\-]*|&)"
_EN_CONNECT = r"(?:of|and|de|the|for|für|du|la|von|van)"
_EN_NAME_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?P<body>{_EN_WORD}(?:[ \t]+(?:{_EN_WORD}|{_EN_CONNECT})){{0,11}})"
    rf"(?P<suffix>,?[ \t]+{_EN_SUFFIX})(?![A-Za-z0-9])"
)
# Words that belong to the sentence or a label before a name, not to the name (the name starts after the
# last of them; connectors such as "of"/"and" inside a name are kept).
_EN_SENTENCE_WORDS = frozenset(
    _words(
        "a an in on at by from with to as our its their this that these those today yesterday we it "
        "client customer customers investor investors auditor auditors owner existing legal subsidiary plaintiff "
        "defendant led backed partner both also after before under between against including while when since "
        "unlike like per via dear name company issuer borrower applicant supplier vendor lender "
        "january february march april may june july august september october november december"
    )
)
_EN_CONNECTORS = frozenset(_words("of and de the for für du la von van &"))
_EN_CITY_PREFIXES = frozenset(
    _words(
        "hangzhou suzhou hefei chengdu beijing shanghai shenzhen guangzhou nanjing wuhan xian xi'an qingdao "
        "tianjin chongqing ningbo xiamen wuxi changzhou dongguan foshan zhuhai changsha zhengzhou jinan dalian "
        "shenyang harbin kunming fuzhou nanchang jiangsu zhejiang guangdong anhui sichuan shandong hubei hunan "
        "fujian henan hebei china"
    )
)
_EN_INDUSTRY = frozenset(
    _words(
        "robotics robot robots health healthcare technology technologies tech software systems solutions "
        "intelligent intelligence computing precision sensing sensors energy storage power electronics "
        "semiconductor semiconductors biotech bio pharma pharmaceuticals therapeutics medical labs laboratories "
        "networks digital data ai analytics cloud holdings group international industries capital ventures "
        "partners motors automation materials devices instruments optics photonics communications telecom "
        "information services global innovations dynamics engineering"
    )
)

_ZH_SUFFIX = r"(?:股份有限公司|有限责任公司|有限公司|集团(?:股份|控股)?公司)"
# Bounded so that a long CJK run without a suffix costs linear time (names are at most ~40 characters).
_ZH_NAME_RE = re.compile(rf"[{HAN}（）()]{{1,40}}?{_ZH_SUFFIX}")
# Words after which the name starts (the last one in the run wins).
_ZH_LEADIN_WORDS = _words(
    "公司全称为 全称为 全称是 全称 中文名称 英文名称 名称为 名称是 名称 以下简称 简称 前身为 前身是 前身 原名为 "
    "原名 更名为 变更为 客户为 客户是 客户包括 客户有 包括 包含 其中 以及 分别为 分别是 申请执行人为 执行人为 "
    "原告为 被告为 起诉 审计了 委托 作为 成为 同意 收购 并购 入股 参股 子公司 母公司 股东 携手 签署 签约 "
    "供应商 我们 本公司 该公司 公司 关联方"
)
_ZH_LEADIN_CHARS = frozenset("为是由与和及了对向被据系于在的将从自给把经同跟让令使即")
# A body ending in one of these is a sentence about a company form, not a name (由有限责任公司…).
_ZH_BARE_SUFFIX_CHARS = frozenset("为是由了被将对向于在的把从给即")
# Within the clause before a name: the name is a counterparty, not the subject.
_COUNTERPARTY_ZH = _words(
    "客户 供应商 经销商 代理商 投资方 投资人 投资机构 投资者 投资 领投 跟投 参投 股东 审计机构 审计单位 "
    "会计师事务所 律师事务所 银行 法院 起诉 诉讼 原告 被告 执行人 关联方 关联 子公司 母公司 参股 收购 并购 "
    "竞争对手 合作方 合作伙伴 前身 原名 曾用名 担保 债权人 债务人 出租方 承租方 委托 受托 对方 第三方 财务顾问 "
    "保荐 承销"
)
_COUNTERPARTY_EN_RE = re.compile(
    r"\b(customers?|clients?|suppliers?|vendors?|distributors?|resellers?|investors?|invested|led by|co-led by|"
    r"backed by|funded by|participation (?:from|of)|auditors?|audited by|accountants?|accounting firm|"
    r"banks?|banker|lenders?|court|plaintiff|defendant|sued by|suit by|filed by|brought by|acquired|"
    r"acquirer|acquisition of|competitors?|subsidiary|subsidiaries|parent company|partnership with|"
    r"agreement with|contract with|formerly|predecessor|guarantor|counterparty|landlord|tenant)\b",
    re.IGNORECASE,
)
_COUNTERPARTY_AFTER_RE = re.compile(
    r"^[\s,，]*(?:领投|跟投|参投|担任|"
    r"(?:同时|亦|也|均)?(?:为|是|系|成为)(?:公司|本公司|我司|发行人)[^。；;\n]{0,10}"
    r"(?:客户|供应商|股东|投资方|投资人|债权人|审计机构)|(?:\([^)]*\)\s*)?(?:led|co-led|invested|participated)\b|"
    r"(?:our|its|their|the company's) (?:largest |main |key |major )?"
    r"(?:customer|client|supplier|investor|auditor|lender|bank|partner))",
    re.IGNORECASE,
)
# Names that are auditors, banks, courts, investors… unless they sit in a name field.
_COUNTERPARTY_CONTENT_RE = re.compile(
    r"会计师事务所|律师事务所|银行|法院|证券|资本|创投|投资|基金|资产管理|保险|担保|某|"
    r"\b(?:Bank|Capital|Ventures|Partners|Court|Assurance|Accountants|CPAs|Audit|Law|Securities|"
    r"Investments?|Fund|Insurance)\b"
)
# A name field right before the name: 公司名称： / 企业名称 | / Legal name: / Client: …
_LABEL_RE = re.compile(
    r"(?:((?:公司|企业|发行人|客户|借款人|申请人|单位|注册|中文|英文|法定)*(?:名称|全称)"
    r"|专利权人|权利人|发行人|借款人"
    r"|(?:legal|company|corporate|registered|entity|official|full|english|chinese)?\s*name"
    r"|client|company|issuer|borrower|owner of record|patentee|assignee)\s*[:：|]"
    r"|(?:本公司|公司|企业|发行人)(?:的)?(?:中文)?(?:全称|名称)(?:为|是))\s*$",
    re.IGNORECASE,
)
_ALIAS_AFTER_RE = re.compile(
    r"^\s*[（(]\s*(?:以下)?(?:简称|合称|或称|下称|hereinafter|the)?\s*[:：]?\s*[“\"「『']?"
    r"(?P<alias>[^”\"」』'（）()，,。；;\n]{1,30}?)[”\"」』']?\s*(?:[或/、,，][^）)]*)?[）)]"
)
_SHORT_FIELD_RE = re.compile(
    r"(?:(?:公司|企业|证券)?简称|short name)\s*[:：|]\s*(?P<alias>["
    + HAN
    + r"A-Za-z0-9]["
    + HAN
    + r"A-Za-z0-9 .&\-]{1,40}?)"
    r"\s*(?:\||\n|$|（|\(|，|,|。)",
    re.IGNORECASE,
)
_GENERIC_ALIASES = frozenset(
    ("公司", "本公司", "发行人", "我们", "该公司", "集团", "本集团", "company", "the company", "we", "issuer")
)

_HEAD_CHARS = 5000
_CJK_RE = re.compile(r"[" + HAN + r"]")
_CLAUSE_END = "。；;！？!?\n，,"


# --------------------------------------------------------------------------------------------------
# Short names
# --------------------------------------------------------------------------------------------------


def _strip_place(core: str) -> str:
    """Remove leading province/city prefixes (with 省/市… suffixes) while a name of ≥ 2 characters remains."""
    changed = True
    while changed:
        changed = False
        for place in _PLACES:
            if not core.startswith(place):
                continue
            rest = core[len(place) :]
            for suffix in _PLACE_SUFFIXES:
                if rest.startswith(suffix) and len(rest) - len(suffix) >= 2:
                    rest = rest[len(suffix) :]
                    break
            if len(rest) >= 2:
                core, changed = rest, True
            break
    return core


def _strip_tail(core: str, words: tuple[str, ...]) -> str | None:
    """``core`` without one trailing word from ``words`` if ≥ 2 characters remain, else None."""
    for word in words:
        if core.endswith(word) and len(core) - len(word) >= 2:
            return core[: -len(word)]
    return None


def _zh_short_names(legal_name: str) -> list[str]:
    core = re.sub(r"[（(][^）)]*[）)]", "", legal_name.strip())
    core = _ZH_ORG_SUFFIX_RE.sub("", core)
    core = re.sub(r"(集团|控股|股份)+$", "", core) or core
    core = _strip_place(core)
    variants = [core]
    while (shorter := _strip_tail(core, _ZH_GENERIC)) is not None:
        core = shorter
    variants.append(core)
    while (shorter := _strip_tail(core, _ZH_INDUSTRY)) is not None:
        core = shorter
        variants.append(core)
    return _dedupe(v for v in variants if len(v) >= 2)


def _en_short_names(name: str) -> list[str]:
    core = _EN_SUFFIX_END_RE.sub("", name.strip()).strip(" ,")
    words = core.split()
    variants = [core]
    if len(words) > 1 and words[0].lower() in _EN_CITY_PREFIXES:
        words = words[1:]
        variants.append(" ".join(words))
    brand: list[str] = []
    for word in words:
        if word.lower() in _EN_INDUSTRY:
            break
        brand.append(word)
    if brand:
        variants.append(" ".join(brand))
    return _dedupe(v for v in variants if len(v) >= 2)


def short_names(legal_name: str) -> list[str]:
    """All short forms of a name, longest first, without the name itself if it is a legal name.

    Chinese: city/province prefix and organisational suffix removed, then generic words (科技, 技术…),
    then industry words one at a time: ``苏州铖泰精密传感技术有限公司`` → ``铖泰精密传感技术``,
    ``铖泰精密传感``, ``铖泰精密``, ``铖泰``. English: legal suffix, a Chinese city prefix and the
    industry words removed: ``Brightfold Robotics Inc.`` → ``Brightfold Robotics``, ``Brightfold``.
    """
    if has_han(legal_name):
        return _zh_short_names(legal_name)
    return _en_short_names(legal_name)


def short_name(legal_name: str) -> str:
    """The usual short name (简称) of a legal name.

    Chinese: the generic-word-stripped form if it has at most 4 characters, else the longest industry
    variant of at most 4 characters (``杭州栖云智算科技股份有限公司`` → ``栖云智算``,
    ``苏州铖泰精密传感技术有限公司`` → ``铖泰精密``). English: the name without its legal suffix and
    Chinese city prefix (``Brightfold Robotics Inc.`` → ``Brightfold Robotics``).
    """
    if not has_han(legal_name):
        words = _EN_SUFFIX_END_RE.sub("", legal_name.strip()).strip(" ,").split()
        if len(words) > 1 and words[0].lower() in _EN_CITY_PREFIXES:
            words = words[1:]
        return " ".join(words) or legal_name.strip()
    variants = short_names(legal_name)
    if not variants:
        return legal_name.strip()
    generic_free = variants[1] if len(variants) > 1 else variants[0]
    if len(generic_free) <= 4:
        return generic_free
    return next((v for v in variants[2:] if len(v) <= 4), generic_free)


# --------------------------------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------------------------------


def _pinyin_syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return [s for s in lazy_pinyin(text) if s.isascii() and s.isalpha()]


def _pinyin_forms(name: str) -> list[str]:
    """``栖云智算`` → ``qiyunzhisuan``, ``Qiyun Zhisuan`` (syllables paired into words), ``qyzs``."""
    syllables = _pinyin_syllables(name)
    if len(syllables) != len(name):
        return []
    words = ["".join(syllables[i : i + 2]).capitalize() for i in range(0, len(syllables), 2)]
    forms = ["".join(syllables), " ".join(words)]
    initials = "".join(s[0] for s in syllables)
    if len(initials) >= 3:
        forms.append(initials)
    return forms


def _is_legal_name(name: str) -> bool:
    return bool(_ZH_ORG_SUFFIX_RE.search(name) or _EN_SUFFIX_END_RE.search(name))


def _dedupe(items: Iterable[str]) -> list[str]:
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
        forms = _dedupe([name, *short_names(to_simplified(name) if has_han(name) else name)])
        for form in forms:
            out.extend((form, to_simplified(form), to_traditional(form)) if has_han(form) else (form,))
        for form in forms:
            # Pinyin of the short names only: the name itself if it is not a legal name, derived forms of
            # at most 4 characters (栖云智算, 栖云 — not 栖云智算科技).
            short = not _is_legal_name(form) and (form == name or len(form) <= 4)
            if short and has_han(form) and not re.search(r"[A-Za-z0-9]", form):
                out.extend(_pinyin_forms(to_simplified(form)))
    lowered = [a.lower() for a in out if re.search(r"[A-Za-z]", a)]
    return [a for a in _dedupe([*out, *lowered]) if len(a) >= 2]


# --------------------------------------------------------------------------------------------------
# Matching questions to companies
# --------------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=8192)
def _compact_alias(alias: str) -> str:
    """Alias as compared: NFKC, Simplified, lowercase, letters/digits/CJK only (no spaces or hyphens)."""
    return "".join(c for c in _normalise(alias) if c.isalnum())


def _is_ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


@dataclass(frozen=True)
class _Hit:
    company: str
    start: int
    end: int
    order: int


def match_companies(question: str, known: dict[str, list[str]]) -> list[str]:
    """Known companies (canonical name → aliases) that ``question`` mentions, best (longest alias) first.

    Case-, script- (Traditional/Simplified) and spacing-insensitive (``Qiyun Zhisuan`` = ``qiyunzhisuan``).
    Latin aliases must start and end at word boundaries. The longest match wins: an alias of another
    company inside a longer matched span does not count; two companies sharing the same alias are both
    returned.
    """
    text = _normalise(question)
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    compact = "".join(text[i] for i in positions)
    hits: list[_Hit] = []
    for order, (company, names) in enumerate(known.items()):
        for alias in _dedupe([company, *names]):
            needle = _compact_alias(alias)
            if len(needle) < 2:
                continue
            start = compact.find(needle)
            while start >= 0:
                end = start + len(needle)
                if _at_boundaries(text, positions, start, end):
                    hits.append(_Hit(company, start, end, order))
                start = compact.find(needle, start + 1)
    hits.sort(key=lambda h: (-(h.end - h.start), h.start, h.order))
    accepted: list[_Hit] = []
    for hit in hits:
        clash = any(
            hit.start < a.end and a.start < hit.end and (hit.start, hit.end) != (a.start, a.end)
            for a in accepted
        )
        if not clash:
            accepted.append(hit)
    return _dedupe(h.company for h in accepted)


def _at_boundaries(text: str, positions: list[int], start: int, end: int) -> bool:
    """A Latin/digit alias end must not run into another Latin letter or digit in the question."""
    first, last = positions[start], positions[end - 1]
    if _is_ascii_alnum(text[first]) and first > 0 and _is_ascii_alnum(text[first - 1]):
        return False
    return not (_is_ascii_alnum(text[last]) and last + 1 < len(text) and _is_ascii_alnum(text[last + 1]))


# --------------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    name: str
    lang: str
    first: int
    score: float = 0.0
    head_count: int = 0
    labelled: bool = False
    in_title: bool = False
    declared: bool = False
    best_weight: float = float("-inf")
    best_start: int = 0


def _plausible(core: str) -> bool:
    """A name body (without suffix) that is more than a place plus generic/industry words."""
    rest = _strip_place(core)
    if rest != core and len(rest) >= 2:
        core = rest
    while (shorter := _strip_tail(core, _ZH_GENERIC + _ZH_INDUSTRY)) is not None:
        core = shorter
    return len(core) >= 2 and not any(core == w for w in _ZH_GENERIC + _ZH_INDUSTRY)


def _balance(body: str) -> str:
    """Drop a leading unmatched parenthesis or text up to an unmatched closing one."""
    depth = 0
    cut = 0
    for i, c in enumerate(body):
        if c in "（(":
            depth += 1
        elif c in "）)":
            if depth == 0:
                cut = i + 1
            else:
                depth -= 1
    body = body[cut:]
    return body.lstrip("（(")


def _clean_zh_body(body: str) -> str:
    """Cut a preceding sentence fragment off a name body (the CJK run before the suffix).

    Returns "" when the suffix is not a name at all (``整体变更为股份有限公司``, ``由有限责任公司``).
    """
    body = _balance(body)
    if body[-1:] in _ZH_BARE_SUFFIX_CHARS or any(body.endswith(w) for w in _ZH_LEADIN_WORDS):
        return ""
    cuts = sorted(
        {m.end() for word in _ZH_LEADIN_WORDS for m in re.finditer(re.escape(word), body)}, reverse=True
    )
    for cut in cuts:
        if len(body) - cut >= 2 and _plausible(body[cut:]):
            body = body[cut:]
            break
    if any(body.startswith(p) for p in _PLACES):
        return body
    for p in range(1, len(body) - 1):
        if body[p - 1] in _ZH_LEADIN_CHARS and any(body.startswith(place, p) for place in _PLACES):
            rest = body[p:]
            if _plausible(rest):
                return rest
    for i in range(len(body) - 1, -1, -1):
        rest = body[i + 1 :]
        if body[i] in _ZH_LEADIN_CHARS and len(rest) >= 4 and _plausible(rest):
            return rest
    return body


def _line_at(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _clause_before(text: str, start: int, width: int) -> str:
    window = text[max(0, start - width) : start]
    cut = max(window.rfind(c) for c in _CLAUSE_END)
    return window[cut + 1 :]


def _title_end(text: str, lines: int = 3) -> int:
    for seen, m in enumerate(re.finditer(r"[^\n]*\S[^\n]*", text), start=1):
        if seen == lines:
            return m.end()
    return len(text)


def _en_name(body: str, suffix: str) -> tuple[str, int] | None:
    """The name (sentence words before it dropped) and its offset in ``body``."""
    words = list(re.finditer(r"\S+", body))
    for i in range(len(words) - 1, -1, -1):
        word = words[i].group(0).lower().strip(".,")
        if word in _EN_SENTENCE_WORDS or word.isdigit():
            words = words[i + 1 :]
            break
    while words and words[0].group(0).lower() in _EN_CONNECTORS:
        words = words[1:]
    if not words or not (words[0].group(0)[0].isupper() or words[0].group(0)[0].isdigit()):
        return None
    offset = words[0].start()
    return f"{' '.join(w.group(0) for w in words)}{' '.join(suffix.split(chr(9)))}", offset


def _en_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _occurrences(text: str) -> list[tuple[str, str, int, int]]:
    """(name, lang, start, end) of every Chinese and English legal name in ``text``."""
    found: list[tuple[str, str, int, int]] = []
    for m in _ZH_NAME_RE.finditer(text):
        suffix = re.search(_ZH_SUFFIX + "$", m.group(0))
        assert suffix is not None
        body = _clean_zh_body(m.group(0)[: suffix.start()])
        if len(body) >= 2 and _plausible(body):
            found.append((body + suffix.group(0), "zh", m.end() - len(body) - len(suffix.group(0)), m.end()))
    for m in _EN_NAME_RE.finditer(text):
        named = _en_name(m.group("body"), m.group("suffix"))
        if named and len(_en_key(named[0])) >= 4:
            found.append((named[0], "en", m.start("body") + named[1], m.end()))
    return found


def _weigh(text: str, name: str, start: int, end: int, title_end: int) -> tuple[float, bool, bool, bool]:
    """Weight of one occurrence and whether it was labelled, in the title, followed by a 简称."""
    line_start, _ = _line_at(text, start)
    before_line = text[line_start:start]
    labelled = bool(_LABEL_RE.search(before_line.replace("**", "")))
    clause = _clause_before(text, start, 24)
    en_clause = before_line[-60:]
    counterparty = (
        any(cue in clause for cue in _COUNTERPARTY_ZH)
        or bool(_COUNTERPARTY_EN_RE.search(en_clause.rsplit(". ", 1)[-1]))
        or bool(_COUNTERPARTY_AFTER_RE.search(text[end : end + 40]))
    )
    declared = bool(_ALIAS_AFTER_RE.match(text[end : end + 40]))
    in_title = start < title_end and not before_line.strip(" \t#>*|-•")
    if labelled:
        weight = 5.0
    elif counterparty:
        weight = -3.0
    else:
        weight = 1.0 + (3.0 if in_title else 0.0)
    if declared and not counterparty:
        weight += 3.0
    if not labelled and _COUNTERPARTY_CONTENT_RE.search(name):
        weight -= 2.0
    return weight, labelled, in_title and not counterparty, declared and not counterparty


def _candidates(text: str, head: str) -> list[_Candidate]:
    occurrences = _occurrences(head) or _occurrences(text)
    title_end = _title_end(text)
    by_key: dict[str, _Candidate] = {}
    forms: dict[str, dict[str, int]] = {}
    for name, lang, start, end in occurrences:
        key = name if lang == "zh" else _en_key(name)
        cand = by_key.setdefault(key, _Candidate(name=name, lang=lang, first=start))
        forms.setdefault(key, {})[name] = forms.get(key, {}).get(name, 0) + 1
        weight, labelled, in_title, declared = _weigh(text, name, start, end, title_end)
        cand.score += weight
        cand.head_count += 1
        cand.labelled |= labelled
        cand.in_title |= in_title
        cand.declared |= declared
        if weight > cand.best_weight:
            cand.best_weight, cand.best_start = weight, start
    for key, cand in by_key.items():
        cand.name = max(forms[key].items(), key=lambda kv: (kv[1], kv[0].endswith(".")))[0]
        extra = _count(text, cand) - cand.head_count
        if cand.score > 0 and extra > 0:
            cand.score += 0.5 * extra
    return sorted(by_key.values(), key=lambda c: (-c.score, c.first))


def _count(text: str, cand: _Candidate) -> int:
    if cand.lang == "zh":
        return text.count(cand.name)
    stem = _EN_SUFFIX_END_RE.sub("", cand.name).strip(" ,")
    return len(re.findall(re.escape(stem) + r",?[ \t]+" + _EN_SUFFIX, text))


def _declared_short_names(text: str, legal: str | None, english: str | None) -> list[str]:
    found: list[str] = []
    for name in (n for n in (legal, english) if n):
        for m in re.finditer(re.escape(name), text):
            alias = _ALIAS_AFTER_RE.match(text[m.end() : m.end() + 40])
            if alias:
                found.append(alias.group("alias").strip())
    found.extend(m.group("alias").strip() for m in _SHORT_FIELD_RE.finditer(text))
    names = " ".join(n for n in (legal, english) if n)
    return [a for a in _dedupe(found) if a.lower() not in _GENERIC_ALIASES and _is_part_of(a, names)]


def _is_part_of(alias: str, names: str) -> bool:
    """True if the alias' characters (CJK) or words (Latin) all occur in the names, in order."""
    if has_han(alias):
        it = iter(to_simplified(names))
        return all(c in it for c in to_simplified(alias))
    return all(w.lower() in names.lower() for w in alias.split())


def _linked(english: _Candidate, chinese: _Candidate) -> bool:
    """The English name belongs to the Chinese one: it sits in a name field or contains its pinyin."""
    if english.labelled:
        return True
    variants = _zh_short_names(chinese.name)
    brand = variants[-1] if variants else ""
    syllables = _pinyin_syllables(brand)
    return bool(syllables) and "".join(syllables) in _en_key(english.name)


def detect_company(text: str) -> CompanyMention | None:
    """The company a document is about, from its first ~5,000 characters plus counts over the whole text.

    Chinese legal names (…股份有限公司/有限责任公司/有限公司/集团…公司) and English ones (Inc., Ltd.,
    Co., Ltd., LLC, Corp., GmbH, PLC …) are scored per occurrence: a name field (公司名称：, Legal name:)
    or the first three lines count most, a name right after a counterparty cue (客户, 领投, 审计机构,
    法院, customer, led by, auditor …) counts against it. Returns None if no subject name and no valid
    credit code is found.
    """
    head = text[:_HEAD_CHARS]
    cands = _candidates(text, head)
    zh = next((c for c in cands if c.lang == "zh" and c.score > 0), None)
    en = next((c for c in cands if c.lang == "en" and c.score > 0), None)
    legal: _Candidate | None = zh
    english: _Candidate | None = None
    if zh and en:
        if _linked(en, zh):
            english = en
        elif en.score > zh.score:
            legal, english = en, en
    elif en:
        legal, english = en, en
    code = _find_credit_code(head) or _find_credit_code(text)
    if legal is None and code is None:
        return None
    legal_name = legal.name if legal else None
    english_name = english.name if english else None
    shorts = _declared_short_names(head, legal_name, english_name)
    for name in (legal_name, english_name):
        if name:
            shorts.extend((short_name(name), *short_names(name)))
    if legal is not None:
        line_start, line_end = _line_at(text, legal.best_start)
        evidence = text[line_start:line_end].strip()
    else:
        assert code is not None
        line_start, line_end = _line_at(text, code[1])
        evidence = text[line_start:line_end].strip()
    return CompanyMention(
        legal_name=legal_name,
        english_name=english_name,
        credit_code=code[0] if code else None,
        short_names=_dedupe(shorts),
        confidence=_confidence(legal, code is not None),
        evidence=evidence[:200],
    )


def _confidence(legal: _Candidate | None, has_code: bool) -> float:
    if legal is None:
        return 0.3
    score = 0.5
    score += 0.2 if legal.labelled else 0.0
    score += 0.1 if legal.in_title else 0.0
    score += 0.05 if legal.head_count >= 2 else 0.0
    score += 0.05 if legal.declared else 0.0
    score += 0.15 if has_code else 0.0
    return round(min(score, 0.99), 2)
