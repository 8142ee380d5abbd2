from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

import pytest

from assistant.ingest.companies import (
    CompanyMention,
    aliases,
    detect_company,
    match_companies,
    short_name,
    short_names,
    valid_credit_code,
)
from assistant.ingest.readers import read_document

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
TRUTH: list[dict] = json.loads((CORPUS / "_truth.json").read_text(encoding="utf-8"))["companies"]
BY_NAME = {c["name"]: c for c in TRUTH}
CORPUS_DOCS = [
    (folder.name, path.name)
    for folder in sorted(CORPUS.iterdir())
    if folder.is_dir() and not folder.name.startswith(("_", "."))
    for path in sorted(folder.iterdir())
    if path.suffix in {".txt", ".md", ".pdf"}
]


@cache
def corpus_text(company: str, doc: str) -> str:
    path = CORPUS / company / doc
    if path.suffix == ".pdf":
        return "\n".join(page.text for page in read_document(path, company).pages)
    return path.read_text(encoding="utf-8")


def detect(text: str) -> CompanyMention:
    mention = detect_company(text)
    assert mention is not None
    return mention


def truth_code(company: dict) -> str | None:
    codes = [f["value"] for f in company["facts"] if f["field"] == "unified_social_credit_code"]
    return codes[0] if codes else None


@cache
def known() -> dict[str, list[str]]:
    return {
        c["name"]: aliases([c["name"], c["legal_name"], c["english_name"], *c["short_names"], c["pinyin"]])
        for c in TRUTH
    }


# --------------------------------------------------------------------------------------------------
# Credit codes
# --------------------------------------------------------------------------------------------------


def test_truth_credit_codes_are_valid() -> None:
    codes = [truth_code(c) for c in TRUTH if truth_code(c)]
    assert len(codes) == 4
    assert all(valid_credit_code(code) for code in codes if code)


@pytest.mark.parametrize(
    "code",
    [
        "91330106MA2J7K4X6M",  # wrong check character (truth: …6L)
        "91330106MA2J7K4X6",  # 17 characters
        "91330106MA2J7K4X6LL",  # 19 characters
        "91330106MA2J7K4I6L",  # I is not in the GB 32100 charset
        "91330106MA2J7K4O6L",  # nor is O
        "",
    ],
)
def test_invalid_credit_codes(code: str) -> None:
    assert not valid_credit_code(code)


def test_credit_code_checks_every_position() -> None:
    good = "9151010739457126XN"
    assert valid_credit_code(good) and valid_credit_code(good.lower()) and valid_credit_code(f" {good} ")
    swapped = good[:3] + good[4] + good[3] + good[5:]  # transposed digits change the weighted sum
    assert not valid_credit_code(swapped)
    for i in range(17):
        replacement = "1" if good[i] != "1" else "2"
        assert not valid_credit_code(good[:i] + replacement + good[i + 1 :]), i


# --------------------------------------------------------------------------------------------------
# Detection on the sample corpus
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("company", "doc"), CORPUS_DOCS)
def test_detects_corpus_company(company: str, doc: str) -> None:
    truth = BY_NAME[company]
    text = corpus_text(company, doc)
    assert truth["legal_name"] in text  # every sample document states the legal name
    mention = detect_company(text)
    assert mention is not None
    assert mention.legal_name == truth["legal_name"]
    assert mention.english_name == (truth["english_name"] if truth["english_name"] in text else None)
    code = truth_code(truth)
    assert mention.credit_code == (code if code and code in text else None)
    assert truth["legal_name"] in mention.evidence or (mention.english_name or "") in mention.evidence
    assert 0.5 <= mention.confidence <= 1.0
    if mention.credit_code:
        assert mention.confidence >= 0.85
    if truth["lang"] == "zh":
        assert mention.short_names[0] == company  # the folder name is the usual 简称
    else:
        assert mention.short_names[0] in truth["short_names"]


def test_corpus_has_all_documents() -> None:
    assert len(CORPUS_DOCS) == 23
    assert {c for c, _ in CORPUS_DOCS} == set(BY_NAME)


def test_corpus_short_names_declared_in_text() -> None:
    mention = detect_company(corpus_text("栖云智算", "visit_notes_2024-03.txt"))  # 客户名称：…（栖云智算）
    assert mention is not None and mention.short_names[0] == "栖云智算"
    mention = detect_company(corpus_text("绿湃储能", "news_2024-05.txt"))  # （以下简称“绿湃储能”）
    assert mention is not None and mention.short_names[0] == "绿湃储能"
    mention = detect_company(corpus_text("Brightfold", "visit_notes_2024-02.txt"))  # Client: … (Brightfold)
    assert mention is not None and mention.short_names[0] == "Brightfold"


def test_corpus_counterparties_not_chosen() -> None:
    # The auditor 姑苏立明会计师事务所有限公司 sits on line 2 of the 铖泰精密 annual report.
    assert (
        detect(corpus_text("铖泰精密", "annual_report_2023.pdf")).legal_name == "苏州铖泰精密传感技术有限公司"
    )
    # 申请执行人为合肥顺畅达物流有限公司 in the news article.
    assert detect(corpus_text("绿湃储能", "news_2024-05.txt")).legal_name == "合肥绿湃储能科技有限公司"


# --------------------------------------------------------------------------------------------------
# Detection on written snippets
# --------------------------------------------------------------------------------------------------

ZH_SNIPPET = """云栈微电子 2023年经营情况说明
2023年，公司第一大客户为宁德时代新能源科技股份有限公司，销售占比41.2%。
宁德时代新能源科技股份有限公司同时为公司第一大应收账款客户。
2023年6月，公司完成B轮融资，由远帆资本管理有限公司领投，深圳华芯半导体有限公司跟投。
一、公司基本情况
公司名称：杭州云栈微电子科技有限公司（简称“云栈微电子”）
统一社会信用代码：914403001922038216
审计机构：天健会计师事务所有限公司
公司与宁德时代新能源科技股份有限公司签订了三年框架协议。
"""


def test_chinese_subject_beats_frequent_counterparties() -> None:
    mention = detect_company(ZH_SNIPPET)
    assert isinstance(mention, CompanyMention)
    assert mention.legal_name == "杭州云栈微电子科技有限公司"
    assert mention.english_name is None
    assert mention.credit_code == "914403001922038216"
    assert mention.short_names[:2] == ["云栈微电子", "云栈"]  # declared 简称 first, then short_name()
    assert "云栈微电子科技" in mention.short_names
    assert mention.evidence == "公司名称：杭州云栈微电子科技有限公司（简称“云栈微电子”）"
    assert mention.confidence >= 0.9


def test_customer_and_lead_investor_around_the_subject() -> None:
    text = (
        "杭州栖云智算科技股份有限公司2023年度融资简报\n"
        "本轮融资由远帆资本领投，远帆资本管理有限公司为本轮唯一领投方。"
        "公司主要客户为宁德时代新能源科技股份有限公司、比亚迪股份有限公司。\n"
        "宁德时代新能源科技股份有限公司2023年向公司采购金额增长35%。\n"
    )
    mention = detect_company(text)
    assert mention is not None and mention.legal_name == "杭州栖云智算科技股份有限公司"


def test_only_counterparties_named_gives_none() -> None:
    text = (
        "公司主要客户为宁德时代新能源科技股份有限公司。本轮由远帆资本管理有限公司领投。"
        "审计机构：天健会计师事务所有限公司。"
    )
    assert detect_company(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本公司全称为杭州栖云智算科技股份有限公司，成立于2017年。", "杭州栖云智算科技股份有限公司"),
        ("我们审计了合肥绿湃储能科技有限公司（以下简称“绿湃储能”）财务报表。", "合肥绿湃储能科技有限公司"),
        ("据公开信息，苏州铖泰精密传感技术有限公司近日完成融资。", "苏州铖泰精密传感技术有限公司"),
        ("| 企业名称 | 中国平安保险（集团）股份有限公司 |", "中国平安保险（集团）股份有限公司"),
        ("该项目系由深圳市星河智能科技有限公司承建。", "深圳市星河智能科技有限公司"),
        (
            "公司于2021年9月由有限责任公司整体变更为股份有限公司。发行人名称：成都知衡软件技术股份有限公司",
            None,
        ),
    ],
)
def test_chinese_name_boundaries(text: str, expected: str | None) -> None:
    mention = detect_company(text)
    if expected is None:  # the bare company forms are not names; the labelled name is
        assert mention is not None and mention.legal_name == "成都知衡软件技术股份有限公司"
    else:
        assert mention is not None and mention.legal_name == expected


def test_predecessor_and_plaintiff_names_lose() -> None:
    text = (
        "发行人前身成都知衡软件技术有限公司成立于2014年6月10日。\n"
        "公司向成都市中级人民法院起诉成都星河智造科技有限公司，要求赔偿260万元。\n"
        "成都知衡软件技术股份有限公司主营工业软件。\n"
    )
    mention = detect_company(text)
    assert mention is not None and mention.legal_name == "成都知衡软件技术股份有限公司"


EN_SNIPPET = """Acme Sensorics Inc. - Credit Memo
Legal name: Acme Sensorics Inc.
Our largest customer, Globex Corporation, accounted for 40% of revenue.
The Series B round was led by Initech Capital LLC.
Auditor: Hooli & Partners LLP (unqualified opinion).
Globex Corporation renewed its contract in 2024. Globex Corporation also signed a new order.
"""


def test_english_subject_beats_counterparties() -> None:
    mention = detect_company(EN_SNIPPET)
    assert mention is not None
    assert mention.legal_name == mention.english_name == "Acme Sensorics Inc."
    assert mention.credit_code is None
    assert mention.short_names == ["Acme Sensorics"]
    assert mention.evidence == "Legal name: Acme Sensorics Inc."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In 2023 the Company and Globex Corporation signed a supply agreement.", "Globex Corporation"),
        ("Tessavolt Ltd., a Cambridge-based maker of power electronics", "Tessavolt Ltd."),
        (
            "Hangzhou Qiyun Intelligent Computing Technology Co., Ltd. designs servers.",
            "Hangzhou Qiyun Intelligent Computing Technology Co., Ltd.",
        ),
        ("Registered name: Bank of the West Holdings PLC", "Bank of the West Holdings PLC"),
        ("The round was led by Initech Capital LLC.", None),
        (
            "Kestrel Drive Technologies Inc. v. Tessavolt: the plaintiff is Kestrel Drive Technologies Inc.",
            "Kestrel Drive Technologies Inc.",
        ),
    ],
)
def test_english_name_boundaries(text: str, expected: str | None) -> None:
    mention = detect_company(text)
    assert (mention.legal_name if mention else None) == expected


def test_english_name_of_a_chinese_company_is_linked() -> None:
    text = (
        "杭州栖云智算科技股份有限公司 2023年年度报告\n"
        "公司英文名称：Hangzhou Qiyun Intelligent Computing Technology Co., Ltd.\n"
        "公司主要供应商为NVIDIA Corporation。\n"
    )
    mention = detect_company(text)
    assert mention is not None
    assert mention.legal_name == "杭州栖云智算科技股份有限公司"
    assert mention.english_name == "Hangzhou Qiyun Intelligent Computing Technology Co., Ltd."
    # without the field label the pinyin (Qiyun ↔ 栖云) still links the two names
    unlabelled = "杭州栖云智算科技股份有限公司\nHangzhou Qiyun Intelligent Computing Technology Co., Ltd.\n"
    assert detect(unlabelled).english_name == "Hangzhou Qiyun Intelligent Computing Technology Co., Ltd."


def test_customer_english_name_in_chinese_text_is_not_the_english_name() -> None:
    text = "苏州铖泰精密传感技术有限公司 2023年度报告\n公司第一大客户为Globex Corporation，占比62.40%。\n"
    mention = detect_company(text)
    assert mention is not None
    assert mention.legal_name == "苏州铖泰精密传感技术有限公司" and mention.english_name is None


def test_credit_code_only_valid_ones() -> None:
    base = "苏州铖泰精密传感技术有限公司\n统一社会信用代码：{code}\n"
    valid = detect(base.format(code="91320594MA1MC3R63E"))
    assert valid.credit_code == "91320594MA1MC3R63E"
    corrupted = detect(base.format(code="91320594MA1MC3R63F"))
    assert corrupted.legal_name == valid.legal_name and corrupted.credit_code is None
    assert corrupted.confidence < valid.confidence
    # A code alone still identifies the document, with a low confidence and no name.
    alone = detect_company("统一社会信用代码：91320594MA1MC3R63E")
    assert alone is not None and alone.legal_name is None and alone.confidence < 0.5


def test_confidence_orders_evidence_strength() -> None:
    bare = detect_company("报告期内，公司与苏州铖泰精密传感技术有限公司开展合作。")
    titled = detect_company("苏州铖泰精密传感技术有限公司 2023年度报告\n公司主营MEMS压力传感器。")
    labelled = detect_company("企业名称：苏州铖泰精密传感技术有限公司\n统一社会信用代码：91320594MA1MC3R63E")
    assert bare and titled and labelled
    assert bare.confidence < titled.confidence < labelled.confidence


def test_nothing_to_detect() -> None:
    assert detect_company("") is None
    assert detect_company("2023年，公司实现营业收入16,842.57万元。Revenue grew 36%.") is None


def test_detection_is_fast_on_long_and_adversarial_text() -> None:
    long_doc = corpus_text("栖云智算", "annual_report_2023.pdf") * 150  # ~0.5 MB
    start = time.perf_counter()
    mention = detect_company(long_doc)
    for adversarial in ("公司" * 100_000, "Abc " * 50_000, "（" * 100_000 + "有限公司"):
        detect_company(adversarial)
    assert time.perf_counter() - start < 2.0
    assert mention is not None and mention.legal_name == "杭州栖云智算科技股份有限公司"


# --------------------------------------------------------------------------------------------------
# Short names
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legal", "short", "variants"),
    [
        ("杭州栖云智算科技股份有限公司", "栖云智算", ["栖云智算科技", "栖云智算", "栖云"]),
        (
            "苏州铖泰精密传感技术有限公司",
            "铖泰精密",
            ["铖泰精密传感技术", "铖泰精密传感", "铖泰精密", "铖泰"],
        ),
        ("合肥绿湃储能科技有限公司", "绿湃储能", ["绿湃储能科技", "绿湃储能", "绿湃"]),
        ("成都知衡软件技术股份有限公司", "知衡软件", ["知衡软件技术", "知衡软件", "知衡"]),
        ("上海市星河光电科技有限公司", "星河光电", ["星河光电科技", "星河光电", "星河"]),
        ("浙江省杭州市云栈生物技术有限责任公司", "云栈生物", ["云栈生物技术", "云栈生物", "云栈"]),
        ("华为技术有限公司", "华为", ["华为技术", "华为"]),
        ("Brightfold Robotics Inc.", "Brightfold Robotics", ["Brightfold Robotics", "Brightfold"]),
        ("Lumenaut Health Inc.", "Lumenaut Health", ["Lumenaut Health", "Lumenaut"]),
        ("Tessavolt Ltd.", "Tessavolt", ["Tessavolt"]),
        (
            "Hangzhou Qiyun Intelligent Computing Technology Co., Ltd.",
            "Qiyun Intelligent Computing Technology",
            [
                "Hangzhou Qiyun Intelligent Computing Technology",
                "Qiyun Intelligent Computing Technology",
                "Qiyun",
            ],
        ),
    ],
)
def test_short_names(legal: str, short: str, variants: list[str]) -> None:
    assert short_name(legal) == short
    assert short_names(legal) == variants


def test_short_name_matches_corpus_folder_names() -> None:
    for company in TRUTH:
        if company["lang"] == "zh":
            assert short_name(company["legal_name"]) == company["name"]
            assert set(company["short_names"]) - {company["pinyin"].split()[0]} <= set(
                short_names(company["legal_name"])
            )


# --------------------------------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------------------------------


def test_aliases_of_a_chinese_company() -> None:
    found = aliases(["栖云智算", "杭州栖云智算科技股份有限公司"])
    for alias in (
        "栖云智算",
        "棲雲智算",
        "栖云",
        "棲雲",
        "杭州栖云智算科技股份有限公司",
        "杭州棲雲智算科技股份有限公司",
        "栖云智算科技",
        "qiyunzhisuan",
        "Qiyun Zhisuan",
        "qiyun zhisuan",
        "qyzs",
        "qiyun",
        "Qiyun",
    ):
        assert alias in found, alias
    assert "qy" not in found  # initials shorter than 3 letters are dropped
    assert found[0] == "栖云智算"  # stable order: the first name comes first
    assert len(found) == len(set(found)) and all(len(a) >= 2 for a in found)
    assert aliases(["栖云智算", "杭州栖云智算科技股份有限公司"]) == found  # deterministic


def test_aliases_from_traditional_input() -> None:
    found = aliases(["鋮泰精密"])
    assert {"鋮泰精密", "铖泰精密", "鋮泰", "铖泰", "chengtaijingmi", "Chengtai Jingmi", "ctjm"} <= set(found)


def test_aliases_pinyin_matches_truth() -> None:
    for company in TRUTH:
        if company["lang"] == "zh":
            found = aliases([company["name"]])
            assert company["pinyin"] in found and company["pinyin"].replace(" ", "").lower() in found


def test_aliases_of_an_english_company() -> None:
    found = aliases(["Brightfold", "Brightfold Robotics Inc."])
    assert found[:3] == ["Brightfold", "Brightfold Robotics Inc.", "Brightfold Robotics"]
    assert {"brightfold", "brightfold robotics inc.", "brightfold robotics"} <= set(found)
    assert aliases(["X", ""]) == []


# --------------------------------------------------------------------------------------------------
# Matching questions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("棲雲智算2023年研發費用是多少？", ["栖云智算"]),
        ("What is Qiyun Zhisuan's revenue?", ["栖云智算"]),
        ("qiyunzhisuan 2023 revenue", ["栖云智算"]),
        ("QIYUN-ZHISUAN gross margin", ["栖云智算"]),
        ("铖泰精密第一大客户占比是多少？", ["铖泰精密"]),
        ("鋮泰的高新技术企业证书什么时候到期？", ["铖泰精密"]),
        ("绿湃的资产负债率", ["绿湃储能"]),
        ("What was Brightfold Robotics' net loss in 2023?", ["Brightfold"]),
        ("How many employees did LUMENAUT have?", ["Lumenaut"]),
        ("Hefei Lvpai Energy Storage Technology Co., Ltd. debt ratio", ["绿湃储能"]),
        ("成都知衡软件技术股份有限公司的发明专利数量", ["知衡软件"]),
        ("Compare 栖云 and 知衡软件 R&D ratios", ["知衡软件", "栖云智算"]),
        ("Is tessavolt's ISO 9001 certificate expiring?", ["Tessavolt"]),
        ("Tessavoltage and brightfoldable are not names", []),
        ("2023年营业收入是多少？", []),
    ],
)
def test_match_companies(question: str, expected: list[str]) -> None:
    assert match_companies(question, known()) == expected


def test_match_longest_alias_wins() -> None:
    catalogue = {
        "栖云智算": aliases(["栖云智算", "杭州栖云智算科技股份有限公司"]),
        "智算科技": ["智算科技", "智算"],
    }
    assert match_companies("栖云智算科技的营收", catalogue) == ["栖云智算"]
    assert match_companies("智算的营收", catalogue) == ["智算科技"]
    assert match_companies("栖云智算和智算科技谁的毛利率更高", catalogue) == ["栖云智算", "智算科技"]


def test_a_share_class_letter_before_a_year_ends_a_chinese_short_name() -> None:
    catalogue = {"澄岳B": ["澄岳B", "澄岳b"], "Corvane": ["Corvane"]}
    assert match_companies("澄岳B2024年营业收入是多少？", catalogue) == ["澄岳B"]
    assert (
        match_companies("Corvane2024 revenue", catalogue) == []
    )  # a Latin name still ends at a word boundary
    assert match_companies("澄岳BX的营收", catalogue) == []  # another letter: another name


def test_match_ambiguous_alias_returns_both() -> None:
    catalogue = {"星河科技（深圳）": ["星河科技", "深圳星河"], "星河科技（杭州）": ["星河科技", "杭州星河"]}
    assert match_companies("星河科技的营业收入", catalogue) == ["星河科技（深圳）", "星河科技（杭州）"]
    assert match_companies("杭州星河的营业收入", catalogue) == ["星河科技（杭州）"]


def test_match_uses_canonical_names_too() -> None:
    assert match_companies("Brightfold revenue", {"Brightfold": []}) == ["Brightfold"]


def test_match_converts_traditional_questions_without_traditional_aliases() -> None:
    catalogue = {"栖云智算": ["栖云智算", "栖云"], "绿湃储能": ["綠湃儲能"]}  # one script each
    assert match_companies("棲雲智算2023年研發費用是多少？", catalogue) == ["栖云智算"]
    assert match_companies("绿湃储能的负债率", catalogue) == ["绿湃储能"]
    assert match_companies("ＱＩＹＵＮ revenue", {"栖云智算": ["Qiyun"]}) == ["栖云智算"]  # full-width Latin
