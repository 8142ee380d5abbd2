from assistant.core.records import Document, Page
from assistant.ingest.chunking import chunk_document, split_sentences


def _doc(pages: list[Page]) -> Document:
    return Document(path="x", doc="x.pdf", company="C", sha256="0", reader="pdf", pages=pages)


def test_chinese_and_english_sentence_boundaries() -> None:
    parts = split_sentences(
        "公司成立于2015年。营业收入增长31.2%！Revenue grew 31.2%. It is 3.5 times larger."
    )
    assert parts == [
        "公司成立于2015年。",
        "营业收入增长31.2%！",
        "Revenue grew 31.2%.",
        "It is 3.5 times larger.",
    ]


def test_chunks_respect_size_pages_and_keep_numbers_whole() -> None:
    sentence = "2023年，公司实现营业收入8,652.30万元，同比增长31.2%。"
    doc = _doc([Page(number=1, text=sentence * 20), Page(number=2, text="第二页：发明专利15项。")])
    chunks = chunk_document(doc, size=120, overlap=30)
    assert {c.page for c in chunks} == {1, 2}
    assert all(len(c.text) <= 120 + len(sentence) for c in chunks)
    page1 = [c for c in chunks if c.page == 1]
    assert all("8,652.30万元" in c.text for c in page1)  # sentences are never cut
    assert [c.text for c in chunks if c.page == 2] == ["第二页：发明专利15项。"]


def test_chunk_ids_are_stable_and_depend_on_content() -> None:
    a = chunk_document(_doc([Page(number=1, text="Alpha beta. Gamma delta.")]))
    b = chunk_document(_doc([Page(number=1, text="Alpha beta. Gamma delta.")]))
    c = chunk_document(_doc([Page(number=1, text="Alpha beta. Gamma epsilon.")]))
    assert [x.chunk_id for x in a] == [x.chunk_id for x in b]
    assert a[0].chunk_id != c[0].chunk_id


def test_section_heading_recorded() -> None:
    doc = _doc([Page(number=None, text="# 财务概况\n2023年营业收入1亿元。\n## 研发\n研发人员58人。")])
    chunks = chunk_document(doc, size=24, overlap=0)
    sections = {c.text: c.section for c in chunks}
    assert sections["## 研发\n研发人员58人。"] == "研发"
    assert sections["# 财务概况\n2023年营业收入1亿元。"] == "财务概况"  # a heading is never a passage alone


def test_english_words_joined_with_spaces_chinese_without() -> None:
    doc = _doc([Page(number=None, text="First sentence. Second sentence.\n第一句。第二句。")])
    (chunk,) = chunk_document(doc, size=400)
    assert chunk.text == "First sentence. Second sentence.\n第一句。第二句。"


def test_tables_kept_whole_or_split_by_rows_with_header() -> None:
    rows = "\n".join(f"| 项目{i} | {i},000.00 | {i * 2},000.00 |" for i in range(1, 41))
    text = (
        "这是一段较长的正文说明，超过四十个字符，因此不会被当作表格标题的一部分来处理，对吧。\n"
        "研发投入情况表\n单位：元\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n" + rows + "\n表后说明文字。"
    )
    chunks = chunk_document(_doc([Page(number=3, text=text)]), size=200, overlap=0)
    tables = [c.text for c in chunks if "| 项目 | 2023年 | 2022年 |" in c.text]
    assert len(tables) > 1  # a long table is split …
    for part in tables:  # … every part with the caption and header, and only whole rows
        lines = part.split("\n")
        assert lines[:3] == ["研发投入情况表 / 单位：元", "| 项目 | 2023年 | 2022年 |", "|---|---|---|"]
        assert all(line.startswith("|") and line.endswith("|") for line in lines[1:])
    body = [ln for part in tables for ln in part.split("\n")[3:]]
    assert body == rows.split("\n")  # every row exactly once, in order
    assert any(c.text == "表后说明文字。" for c in chunks)

    small = "| 项目 | 金额 |\n|---|---|\n| 研发投入合计 | 31,572,004.18 |"
    (chunk,) = chunk_document(_doc([Page(number=1, text=small)]), size=360)
    assert chunk.text == small


def test_pipe_tables_without_outer_bars_stay_whole_with_their_header() -> None:
    from assistant.core.records import Document, Page

    text = (
        "S&M grew in 2019.\n[TABLE]\n | Years ended December 31, |  |  | 2019 vs 2018\n"
        " | 2019 | 2018 | 2017 | % Change\n"
        " | (in thousands) |  |  | \nSelling and marketing | $ 84,210 | $ 61,530 | $ 52,870 | 36.9 %\n[/TABLE]\n"
    )
    doc = Document(
        company="S", doc="s.txt", path="s.txt", sha256="x", reader="text", pages=[Page(number=1, text=text)]
    )
    (table,) = [c for c in chunk_document(doc) if "84,210" in c.text]
    assert "| 2019 | 2018 | 2017 | % Change" in table.text and "Years ended December 31" in table.text


# A Chinese page as pypdf gives it: justified lines cut mid-word ("研\n发"), paragraphs ending with 。
ZH_PAGE = "\n".join(
    [
        "一、研发平台优势",
        "公司是省内首家可以同时开展激光焊缝、电池极片、光伏组件缺陷检测研究开发相关实验的",
        "智能检测企业。依托省级工程技术研究中心和机器视觉联合实验室，与合作方共建华东智能制造研",
        "发中心，加快了重要科研成果的转化效率。",
        "从显性研发成果来看：获得发明专利7项、实用新型5项，受理发明专利11项，获批软件著作权4",
        "个，获批行业标准立项2个。",
        "澄岳控股 指 江苏澄岳智能控股有限公司澄岳智能控股有限公司澄岳智能控股集团有限公司",
        "澄岳视觉 指 澄岳视觉科技有限公司澄岳视觉科技有限公司澄岳视觉科技有限公司澄岳视",
        "1、公司已建立图像算法平台、光学设计平台、运动控制平台等十余个研发平台",
        "2、组建了锂电检测装备、光伏检测装备等分产品线研发攻关团队。",
    ]
)

# An English page with ragged-right lines, and short lines whose breaks are the author's
EN_PAGE = "\n".join(
    [
        "Legal name: Brightfold Robotics Inc.",
        "Main products: FoldPick autonomous mobile robots (AMR) and FoldOS fleet software",
        "Brightfold Robotics Inc. was founded on March 14, 2016 and is headquartered in Pittsburgh,",
        "Pennsylvania.",
        "Daniel R. Whitcombe, a co-founder, has served as Chief Executive Officer since the company was",
        "founded.",
        "In 2023, robot hardware accounted for 71.8% of revenue and FoldOS subscriptions and services",
        "for 28.2%.",
    ]
)


def test_lines_a_pdf_layout_wrapped_are_joined_and_the_authors_breaks_kept() -> None:
    zh = "\n".join(c.text for c in chunk_document(_doc([Page(number=3, text=ZH_PAGE)]), size=2000))
    assert "共建华东智能制造研发中心，加快了" in zh  # the word cut by the line end is whole again
    assert "相关实验的智能检测企业。依托" in zh
    assert "一、研发平台优势\n公司是省内首家" in zh  # a heading keeps its line
    assert "获批软件著作权4个，" in zh  # a Chinese line may end in a figure
    assert "立项2个。\n澄岳控股 指" in zh  # a paragraph's end keeps its break
    assert "有限公司\n澄岳视觉 指" in zh  # rows of a layout table (column gaps) are never run together
    assert "十余个研发平台\n2、组建了" in zh  # nor list items

    en = "\n".join(c.text for c in chunk_document(_doc([Page(number=1, text=EN_PAGE)]), size=2000))
    assert "headquartered in Pittsburgh, Pennsylvania." in en
    assert "since the company was founded." in en and "FoldOS subscriptions and services for 28.2%." in en
    assert "Brightfold Robotics Inc.\nMain products:" in en  # short lines keep their breaks …
    assert (
        "fleet software\nBrightfold Robotics Inc. was founded" in en
    )  # … and so does a line "Brightfold" fitted on


def test_an_empty_line_is_always_the_authors_break() -> None:
    title = (
        "星河科技宣布完成数亿元人民币C轮融资将加速新一代固态储能电池量产与海外市场布局"  # full width, no 。
    )
    body = ZH_PAGE.split("\n", 1)[1]
    doc = Document(
        path="x",
        doc="news.txt",
        company="C",
        sha256="0",
        reader="txt",
        pages=[Page(number=None, text=f"{title}\n\n{body}")],
    )
    text = "\n".join(c.text for c in chunk_document(doc, size=2000))
    assert text.startswith(f"{title}\n公司是省内首家") and "智能制造研发中心" in text


def test_only_layout_formats_are_unwrapped() -> None:
    docx = Document(
        path="x",
        doc="x.docx",
        company="C",
        sha256="0",
        reader="docx",
        pages=[Page(number=None, text=EN_PAGE)],
    )
    text = "\n".join(c.text for c in chunk_document(docx, size=2000))
    assert "Pittsburgh,\nPennsylvania." in text  # a Word paragraph break is the author's


def test_a_statement_goes_on_with_its_years_and_its_captions_are_no_passages_of_their_own() -> None:
    text = (
        "Consolidated Balance Sheets\nAs of December 31, | 2023 | 2022\nAssets\nCurrent assets:\n"
        "Cash and cash equivalents | $4,210 | $3,118\nTotal current assets | 9,640 | 7,905\n"
        "Liabilities and Stockholders Equity\nCurrent liabilities:\n"
        "Accounts payable | 1,311 | 1,020\nTotal current liabilities | 5,032 | 4,377\n"
    )
    chunks = chunk_document(_doc([Page(number=3, text=text)]))
    texts = [c.text for c in chunks]
    liabilities = next(t for t in texts if "Total current liabilities" in t)
    assert "As of December 31, | 2023 | 2022" in liabilities  # the columns' years go with the rows
    assets = next(t for t in texts if "Total current assets" in t)
    assert "As of December 31, | 2023 | 2022" in assets and "Current assets:" in assets
    assert not any(t.strip() in ("Liabilities and Stockholders Equity\nCurrent liabilities:",) for t in texts)
    assert all("|" in t or len(t) > 60 for t in texts if "Consolidated" not in t)  # no caption-only passage


def test_a_sentence_up_to_twice_a_chunk_stays_whole_and_a_longer_one_is_cut_after_a_clause() -> None:
    cause = (
        "The increase in net sales was driven by a 41% increase in Sensor segment sales primarily due to "
        "higher shipments of our LX lidar units, a 12% increase in Services segment sales primarily due to "
        "longer maintenance contracts, and a significant increase in Drive segment sales from the prior "
        "year driven by the inclusion of Orvik motor controller sales."
    )  # fictional, ~330 characters: longer than a chunk of 200
    text = "Net sales for 2024 were $812 million. " + cause + " Client demand stayed weak."
    chunks = chunk_document(_doc([Page(number=1, text=text)]), size=200, overlap=0)
    assert any(cause in c.text for c in chunks)  # one passage answers "what drove net sales?" in full

    longer = ", ".join(f"clause number {n} of a very long list of contract terms" for n in range(20)) + "."
    pieces = chunk_document(_doc([Page(number=1, text=longer)]), size=200, overlap=0)
    assert len(pieces) > 1 and all(len(c.text) <= 200 for c in pieces)
    assert all(c.text.endswith((",", ".")) for c in pieces)  # cut after a clause, never inside a word


def test_an_english_line_that_goes_on_in_lower_case_was_wrapped() -> None:
    page = (
        "Revenue for 2024 was $9.1 million, an increase of 18% compared to 2023. The increase was driven by\n"
        "higher subscription renewals from hospital customers, and by the new imaging module\n"
        "launched in March.\n"
        "Outlook\n"
        "We expect growth to continue."
    )
    text = "\n".join(c.text for c in chunk_document(_doc([Page(number=1, text=page)]), size=2000))
    assert (
        "driven by higher subscription renewals from hospital customers, and by the new imaging module "
        "launched in March." in text
    )
    assert "\nOutlook\nWe expect" in text  # a capitalised line after a finished sentence keeps its break


def test_a_table_going_on_over_a_page_break_keeps_its_years_header() -> None:
    pages = [
        Page(
            number=7,
            text="合并利润表\n单位：元\n| 项目 | 2023年 | 2022年 |\n|---|---|---|\n| 营业收入 | 16,842.57 | 1.18 |",
        ),
        Page(number=8, text="| 营业成本 | 9,001.20 | 7,002.10 |\n| 净利润 | 1,234.50 | 987.60 |"),
    ]
    (chunk,) = [c for c in chunk_document(_doc(pages)) if c.page == 8]
    assert chunk.text.split("\n")[:2] == ["| 项目 | 2023年 | 2022年 |", "| 营业成本 | 9,001.20 | 7,002.10 |"]


def test_a_short_fragment_joins_the_prose_before_it_on_its_page() -> None:
    text = (
        "公司主营业务为工业传感器的研发、生产与销售，产品用于机器人与自动化产线。" * 6
        + "\n| 项目 | 2023年 |\n|---|---|\n| 营业收入 | 1.00 |\n注：单位为万元。"
    )
    chunks = chunk_document(_doc([Page(number=2, text="第二节 公司业务概要\n" + text)]), size=120, overlap=0)
    assert chunks[0].text.startswith(
        "第二节 公司业务概要\n公司主营业务"
    )  # the heading leads the passage below it
    assert "注：单位为万元。" in {
        c.text for c in chunks
    }  # after a table it stays (a table's passage is not prose)


def test_a_short_fragment_of_prose_is_never_a_passage_alone() -> None:
    long = (
        "公司主营业务为工业传感器的研发、生产与销售，产品主要用于工业机器人与自动化产线，" * 5
        + "客户遍及全国。"
    )
    text = long + "员工86人。\n| 项目 | 2023年 |\n|---|---|\n| 营业收入 | 1.00 |"
    chunks = chunk_document(_doc([Page(number=2, text=text)]))
    assert [c.text for c in chunks if "员工86人。" in c.text] == [long + "\n员工86人。"]


def test_a_text_exports_pages_are_unwrapped_at_the_documents_width() -> None:
    prose = "公司坚持以技术创新驱动发展，持续加大研发投入，报告期内新增授权发明专利多项，核心产品的市场份额稳步提升"
    rows = [
        "五、净利润 49,272,294.61 37,208,387.07",
        "归属于母公司股东的净利润 33,772,651.61 28,051,814.36",
        "少数股东损益 15,499,642.00 9,156,572.71",
        "六、其他综合收益的税后净额 1,204,512.35 -356,108.20",
    ]
    pages = [Page(number=n, text="\n".join([prose + f"（{n}）。"] * 4)) for n in (1, 2)]
    document = Document(path="x", doc="r.txt", company="C", sha256="0", reader="txt",
                        pages=[*pages, Page(number=3, text="\n".join(rows))])  # fmt: skip
    (statement,) = [c for c in chunk_document(document) if c.page == 3]
    assert statement.text.split("\n") == rows  # a statement's rows are no lines a layout wrapped


def test_a_tables_caption_takes_the_column_titles_printed_one_per_line() -> None:
    page = (
        "The following table provides a summary of net sales by segment for 2024 and 2023:\n"
        "Year Ended\nDecember 28,\n2024\nDecember 30,\n2023\n(In millions)\nNet sales:\n"
        "Sensor | $2,104 | $1,492\nDrive | 3,377 | 3,015\nTotal net sales | $5,481 | $4,507\n"
    )
    doc = Document(
        path="x",
        doc="veltrona_10k.txt",
        company="C",
        sha256="0",
        reader="txt",
        pages=[Page(number=4, text=page)],
    )
    chunks = chunk_document(doc, size=360)
    table = next(c.text for c in chunks if "Sensor | $2,104" in c.text)
    assert table.startswith(
        "Year Ended / December 28, / 2024 / December 30, / 2023 / (In millions) / Net sales:"
    )
    assert not any(
        c.text.startswith("Year Ended\nDecember 28,") for c in chunks
    )  # no passage of titles alone


def test_a_markup_tag_alone_is_never_a_passage() -> None:
    rows = "\n".join(f"Line item {n} | {n * 1000:,} | N/A" for n in range(1, 30))
    text = (
        "The following table summarizes the fair values of the assets of Brightfold acquired:\n[TABLE]\n"
        + rows
        + "\n[/TABLE]"
    )
    chunks = chunk_document(_doc([Page(number=1, text=text)]), size=200, overlap=0)
    assert len(chunks) > 2
    assert all(c.text.strip() not in ("[TABLE]", "[/TABLE]") for c in chunks)
    assert chunks[-1].text.endswith("Line item 29 | 29,000 | N/A\n[/TABLE]")  # it closes the table's passage
