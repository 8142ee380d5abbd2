"""HTML reader: main content without menus, headings and tables as Markdown, charsets, deep nesting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError
from assistant.ingest.readers import read_document
from assistant.ingest.readers.html_page import nesting_depth

PAGE = """<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>星河科技完成B轮融资 - 科技新闻</title>
<style>body {{ color: red }}</style><script>var menu = "首页";</script></head>
<body class="has-sidebar">
<header class="site-header"><a href="/">首页 Home</a></header>
<nav><ul><li>新闻</li><li>行业</li></ul></nav>
<div class="breadcrumb">首页 &gt; 新闻</div>
<div id="main-menu">Products | About</div>
{body}
<div id="cookie-banner">We use cookies</div>
<footer>© 2024 新闻网</footer>
</body></html>"""

ARTICLE = """<main><article>
<h1>星河科技完成3亿元B轮融资</h1>
<p>2024年4月，星河科技
宣布完成3亿元B轮融资，由红杉中国领投。</p>
<p>The round was led by <b>HongShan</b>; proceeds fund R&amp;D.</p>
<h2>主要财务数据</h2>
<table>
  <thead><tr><th>项目</th><th>2023年</th><th>2022年</th></tr></thead>
  <tbody>
    <tr><td>研发投入合计</td><td>31,572,004.18</td><td>25,001,200.00</td></tr>
    <tr><td rowspan="2">营业收入</td><td colspan="1">86,523,000.00</td><td>65,900,000.00</td></tr>
    <tr><td>（含税）</td><td>—</td></tr>
  </tbody>
</table>
<ul><li>14 invention patents</li><li>研发人员58人</li></ul>
<aside class="related">相关阅读：另一篇新闻</aside>
<form><input name="q"> 搜索</form>
</article></main>"""


def test_main_content_headings_and_table(tmp_path: Path) -> None:
    path = tmp_path / "news.html"
    path.write_text(PAGE.format(body=ARTICLE), encoding="utf-8")
    doc = read_document(path, "C")
    assert doc.reader == "html" and doc.warnings == []
    assert doc.pages[0].text == (
        "# 星河科技完成B轮融资 - 科技新闻\n\n"
        "# 星河科技完成3亿元B轮融资\n\n"
        "2024年4月，星河科技宣布完成3亿元B轮融资，由红杉中国领投。\n"
        "The round was led by HongShan; proceeds fund R&D.\n\n"
        "## 主要财务数据\n\n"
        "| 项目 | 2023年 | 2022年 |\n"
        "|---|---|---|\n"
        "| 研发投入合计 | 31,572,004.18 | 25,001,200.00 |\n"
        "| 营业收入 | 86,523,000.00 | 65,900,000.00 |\n"
        "| 营业收入 | （含税） | — |\n\n"
        "- 14 invention patents\n"
        "- 研发人员58人"
    )


def test_page_without_main_drops_boilerplate_but_keeps_layout_wrappers(tmp_path: Path) -> None:
    body = '<div class="content with-sidebar"><h2>公司简介</h2><p>星河科技成立于2015年。Founded in 2015.</p></div>'
    path = tmp_path / "about.htm"
    path.write_text(PAGE.format(body=body), encoding="utf-8")
    text = read_document(path, "C").pages[0].text
    assert "星河科技成立于2015年。Founded in 2015." in text and "## 公司简介" in text
    for junk in ("首页", "Products", "cookies", "© 2024", "var menu", "color: red"):
        assert junk not in text


def test_declared_charset_gbk(tmp_path: Path) -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>'
        "<body><p>研发投入合计31,572,004.18元</p></body></html>"
    )
    path = tmp_path / "gbk.html"
    path.write_bytes(html.encode("gbk"))
    assert read_document(path, "C").pages[0].text == "研发投入合计31,572,004.18元"


def test_html_nested_100000_levels(tmp_path: Path) -> None:
    depth = 100_000
    path = tmp_path / "deep.html"
    path.write_text(
        "<html><body>" + "<div>" * depth + "深处的文字 deep text" + "</div>" * depth + "</body></html>"
    )
    started = time.perf_counter()
    doc = read_document(path, "C")
    assert time.perf_counter() - started < 2.0
    assert doc.pages[0].text == "深处的文字 deep text"
    assert doc.warnings == [
        "HTML nested more than 500 levels deep: read as plain text without headings or tables"
    ]


def test_unclosed_paragraphs_do_not_count_as_nesting() -> None:
    assert nesting_depth("<html><body>" + "<p>para" * 5000 + "</body></html>") == 2
    assert nesting_depth("<div>" * 600) == 501  # stops counting past the cap


def test_html_named_txt_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "saved.txt"
    path.write_text(
        "\n  <!doctype HTML><html><body><nav>菜单</nav><h1>标题 Title</h1><p>正文</p></body></html>"
    )
    doc = read_document(path, "C")
    assert doc.reader == "html" and doc.pages[0].text == "# 标题 Title\n\n正文"
    assert doc.warnings == ["wrong extension: looks like HTML"]


def test_html_with_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.html"
    path.write_text("<html><body><script>1</script><nav>menu</nav></body></html>")
    with pytest.raises(DocumentError, match=r"blank\.html: no text found in the HTML file"):
        read_document(path, "C")
