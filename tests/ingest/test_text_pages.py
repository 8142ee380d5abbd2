"""Pages of text exports (form feeds, printed page markers in sequence) and their running headers removed
(fictional exports of the shapes real annual-report exports have)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.records import Document
from assistant.ingest.chunking import chunk_document
from assistant.ingest.readers import read_document
from assistant.ingest.readers.margins import find_margins, marker_chain, strip_margins

HEADER = "星澜微电子股份有限公司 2023 年年度报告全文"
BODIES = [
    ["星澜微电子股份有限公司", "2023 年年度报告", "2024 年 04 月"],
    [
        "第一节 重要提示、目录和释义",
        "公司董事会、监事会及董事、监事、高级管理人员保证年度报告内容的真实、准确、完整。",
    ],
    ["第二节 公司简介和主要财务指标", "公司的中文简称为星澜微电子，注册地址位于苏州工业园区星湖街 88 号。"],
    ["第三节 经营情况讨论与分析", "报告期内，公司研发投入合计 3,157.20 万元，占营业收入的比例为 11.8%。"],
    [],  # a page with nothing but its running header and number (an intentionally blank page)
    ["公司主要客户集中于新能源汽车与工业控制领域，前五名客户合计销售额占比为 42.6%。", "第四节 重要事项"],
    ["报告期内，公司不存在重大诉讼、仲裁事项，亦未发生对外担保。"],
]


def export(bodies: list[list[str]], header: str = HEADER) -> str:
    """A text export as real ones print it: each page opens with the running header and its number."""
    lines: list[str] = []
    for n, body in enumerate(bodies, start=1):
        lines += [f"{header} ", f"{n} " if n % 2 else f" {n} ", *[f"{x} " for x in body]]
    return "\n".join(lines) + "\n"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _page_of(chunks: list, words: str) -> int | None:  # type: ignore[type-arg]
    return next(c.page for c in chunks if words in c.text)


def test_gb18030_export_with_running_header_and_bare_numbers(tmp_path: Path) -> None:
    doc = read_document(_write(tmp_path, "report.txt", export(BODIES), "gb18030"), "星澜微电子")
    assert [p.number for p in doc.pages] == [1, 2, 3, 4, 5, 6, 7]
    assert all(
        line.strip() not in {"1", "2", "3", "4", "5", "6", "7"}
        for p in doc.pages
        for line in p.text.split("\n")
    )
    chunks = chunk_document(doc)
    assert doc.boilerplate == [HEADER]  # kept once, in the document's metadata
    assert all(c.page is not None for c in chunks)
    assert _page_of(chunks, "研发投入合计 3,157.20 万元") == 4
    assert _page_of(chunks, "前五名客户合计销售额占比") == 6
    assert not any("年年度报告全文" in c.text for c in chunks)  # the running header is in no passage
    assert "星澜微电子股份有限公司\n2023 年年度报告" in chunks[0].text  # the cover's own title stays


def test_no_passage_is_only_headings_markers_or_boilerplate(tmp_path: Path) -> None:
    doc = read_document(_write(tmp_path, "report.txt", export(BODIES)), "星澜微电子")
    chunks = chunk_document(doc)
    assert 5 not in {c.page for c in chunks}  # the blank page (header and number only) gives no passage
    assert "第四节 重要事项" not in {c.text for c in chunks}  # a heading at a page's end is no passage alone
    assert _page_of(chunks, "第四节 重要事项") == 6
    for chunk in chunks:
        lines = [x for x in chunk.text.split("\n") if x.strip()]
        assert not all(x == HEADER or x.strip().isdigit() or x.startswith("第") and "节" in x for x in lines)


def test_form_feeds_are_pages(tmp_path: Path) -> None:
    text = "第一页：公司概况。\f第二页：公司研发人员 58 人。\f第三页：公司授权专利 42 项。\f"
    doc = read_document(_write(tmp_path, "ff.txt", text), "C")
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert doc.pages[1].text == "第二页：公司研发人员 58 人。"
    assert _page_of(chunk_document(doc), "授权专利") == 3


def test_form_feed_pages_take_their_printed_numbers(tmp_path: Path) -> None:
    pages = ["星澜微电子 2023 年度报告（封面）"] + [
        f"正文第{n}部分：经营情况说明。\n— {n} —" for n in range(1, 5)
    ]
    doc = read_document(_write(tmp_path, "ff.txt", "\f".join(pages) + "\f"), "C")
    assert [p.number for p in doc.pages] == [None, 1, 2, 3, 4]  # an unnumbered cover, then as printed
    assert doc.pages[3].text == "正文第3部分：经营情况说明。"


def test_page_n_of_n_at_the_bottom(tmp_path: Path) -> None:
    bodies = [
        "Brightwave Sensors designs optical sensors for industrial robots.",
        "Revenue grew to $48.2 million in fiscal 2023.",
        "Research and development expense was $9.1 million.",
        "The company had 214 employees at year end.",
    ]
    text = "".join(
        f"Brightwave Sensors Inc. Annual Report 2023\n{b}\n\nPage {n} of 4\n" for n, b in enumerate(bodies, 1)
    )
    doc = read_document(_write(tmp_path, "annual.txt", text), "Brightwave")
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    chunks = chunk_document(doc)
    assert _page_of(chunks, "Research and development expense") == 3
    assert doc.boilerplate == ["Brightwave Sensors Inc. Annual Report 2023"]
    assert not any("Page" in c.text or "Annual Report 2023" in c.text for c in chunks)


@pytest.mark.parametrize("marker", ["第 {n} 页", "[第{n}页]", "- {n} -", "— {n} —", "{n}/5", "{n}"])
def test_printed_marker_styles(tmp_path: Path, marker: str) -> None:
    text = "".join(
        f"第{n}页的正文，说明公司第{n}项业务的情况。\n\n{marker.format(n=n)}\n\n" for n in range(3, 8)
    )
    doc = read_document(_write(tmp_path, "m.txt", text), "C")
    assert [p.number for p in doc.pages] == [3, 4, 5, 6, 7]  # printed numbers, not places
    assert doc.pages[2].text == "第5页的正文，说明公司第5项业务的情况。"


def test_a_stray_number_line_is_no_page(tmp_path: Path) -> None:
    text = "研发人员情况\n研发人员数量（人）\n12\n研发人员占比 32.4%\n公司持续加大研发投入。\n"
    doc = read_document(_write(tmp_path, "memo.txt", text), "C")
    assert [p.number for p in doc.pages] == [None]
    assert "\n12\n" in doc.pages[0].text


def test_a_column_of_row_numbers_is_no_page_sequence(tmp_path: Path) -> None:
    names = [
        "甲方科技有限公司",
        "乙方电子有限公司",
        "丙方材料有限公司",
        "丁方装备有限公司",
        "戊方能源有限公司",
    ]
    rows = "".join(f"{n}\n{name}\n{n * 1000:,}.00\n" for n, name in enumerate(names, 1))
    text = "前五名客户情况\n序号\n客户名称\n销售额（元）\n" + rows + "合计占年度销售总额比例为 42.6%。\n"
    doc = read_document(_write(tmp_path, "customers.txt", text), "C")
    assert [p.number for p in doc.pages] == [None]


def test_a_stray_number_of_a_page_does_not_move_its_break(tmp_path: Path) -> None:
    bodies = [list(b) for b in BODIES[1:4]] + [["报告期内公司经营稳定。"], ["公司治理结构完善。"]]
    bodies[0] += [
        "授权专利数量",
        "3",
        "其中发明专利 14 项。",
    ]  # a table cell "3" on page 2, before page 3's marker
    bodies[2] += ["核心技术人员（人）", "3", "均为公司员工。"]  # a table cell "3" on page 3, after its marker
    doc = read_document(_write(tmp_path, "report.txt", export(bodies)), "C")
    assert [p.number for p in doc.pages] == [1, 2, 3, 4, 5]
    assert "其中发明专利 14 项。" in doc.pages[0].text and "\n3\n" in doc.pages[0].text
    assert doc.pages[2].text.startswith(f"{HEADER}\n第三节") and "\n3\n均为公司员工。" in doc.pages[2].text


def test_marker_chain_needs_a_sequence() -> None:
    lines = ["正文", "1", "正文", "3", "正文", "9"]
    assert marker_chain(lines) == []
    assert marker_chain(["a", "- 1 -", "b", "- 2 -", "c", "- 3 -"]) == [(1, 1), (3, 2), (5, 3)]


def test_find_margins_reports_the_removed_lines_once_and_pdf_behaviour_is_unchanged() -> None:
    bodies = ["Revenue grew.", "Costs fell.", "Cash rose.", "Debt was repaid."]
    pages = [f"Acme Corp. Annual Report\n{b}\nConfidential {n}\n- {n} -" for n, b in enumerate(bodies, 1)]
    found = find_margins(pages)
    assert found.pages == bodies  # a short page's own line is in both zones but on one page: it stays
    assert found.boilerplate == ["Acme Corp. Annual Report", "Confidential 1"]
    assert strip_margins(pages) == found.pages


def test_a_document_is_normalised_once(tmp_path: Path) -> None:
    doc = read_document(_write(tmp_path, "report.txt", export(BODIES)), "星澜微电子")
    first = [c.text for c in chunk_document(doc)]
    again = Document.model_validate(doc.model_dump())
    assert [c.text for c in chunk_document(again)] == first and again.boilerplate == [HEADER]


TOPICS = (
    "报告期内公司传感器业务",
    "工业机器人板块",
    "新能源汽车客户",
    "研发中心",
    "苏州生产基地",
    "海外销售团队",
)
EVENTS = ("收入稳步增长。", "完成量产验证。", "新增发明专利。", "库存周转加快。", "获得客户认证。")


def test_each_part_of_a_report_loses_its_own_running_header(tmp_path: Path) -> None:
    # part one's header on 11 pages, part two's on 13: neither is on half of the 24 pages
    part_two = "截至 2023 年 12 月 31 日止年度财务报表"
    lines: list[str] = []
    for n in range(1, 25):
        lines += [HEADER if n <= 11 else part_two, str(n), TOPICS[n % 6] + EVENTS[n % 5]]
    doc = read_document(_write(tmp_path, "report.txt", "\n".join(lines)), "C")
    chunks = chunk_document(doc)
    assert doc.boilerplate == [HEADER, part_two]
    assert not any(HEADER in c.text or part_two in c.text for c in chunks)


def test_a_table_header_opening_many_pages_is_no_running_line() -> None:
    # a statement whose column header opens 12 pages in a row (fewer than half of the 30)
    def line(n: int) -> str:
        return TOPICS[n % 6] + EVENTS[n % 5]

    pages = [f"{line(n)}\n{line(n + 1)}" for n in range(30)]
    for n in range(5, 17):
        pages[n] = (
            f"项目 2023 年 2022 年\n{line(n)}\n{TOPICS[n % 6]}收入 {n},100.00 {n},000.00\n{line(n + 1)}"
        )
    assert find_margins(pages, runs=True).pages == pages


def test_the_removed_running_lines_are_kept_with_the_documents_record(tmp_path: Path) -> None:
    from assistant.core.services import Services
    from assistant.core.settings import Settings
    from assistant.ingest.pipeline import ingest_file

    settings = Settings(store=tmp_path / "store", llm_backend="fake", embedding_backend="fake")
    services = Services(settings)
    report = ingest_file(
        _write(tmp_path, "report.txt", export(BODIES)), "星澜微电子", services.store, settings
    )
    assert report.status == "stored"
    (row,) = services.store.ledger.documents("星澜微电子")
    assert json.loads(str(row["boilerplate"])) == [HEADER]
