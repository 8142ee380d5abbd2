"""Text reader: encoding detection on real Chinese sentences, binary data, empty files, Markdown."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError
from assistant.ingest.readers import read_document

SIMPLIFIED = "2023年，公司实现营业收入8,652.30万元，同比增长31.2%；研发投入占营业收入的比例为11.8%。"
TRADITIONAL = "本公司於二零二三年度實現營業收入新台幣八億元，研發費用佔營業收入比例為百分之十二。"
SHORT = "研发人员58人。"


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        (SIMPLIFIED, SIMPLIFIED.encode("gb18030")),
        (SIMPLIFIED, SIMPLIFIED.encode("gbk")),
        (SHORT, SHORT.encode("gb18030")),  # short: UTF-16 would also decode it, but into Hangul
        (TRADITIONAL, TRADITIONAL.encode("big5")),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16-le")),  # no BOM
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16-be")),  # no BOM
        ("研发投入合计", "研发投入合计".encode("utf-16-le")),  # no BOM and no ASCII: no NUL bytes at all
        (SIMPLIFIED, codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8")),
        (SIMPLIFIED, SIMPLIFIED.encode("utf-16")),  # with BOM
        (SIMPLIFIED, SIMPLIFIED.encode("utf-32")),  # with BOM
        (
            "The company’s “record” year — Café Nord.",
            "The company’s “record” year — Café Nord.".encode("cp1252"),
        ),
    ],
    ids=[
        "gb18030",
        "gbk",
        "gb18030-short",
        "big5",
        "utf16le",
        "utf16be",
        "utf16le-cjk-only",
        "utf8-bom",
        "utf16-bom",
        "utf32-bom",
        "cp1252",
    ],
)
def test_encodings(tmp_path: Path, text: str, encoded: bytes) -> None:
    path = tmp_path / "n.txt"
    path.write_bytes(encoded)
    doc = read_document(path, "C")
    assert doc.pages[0].text == text
    assert doc.reader == "txt" and doc.pages[0].number is None and doc.warnings == []


def test_markdown_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text(
        "# 星河科技 Business plan\r\n\r\n| 项目 | 2023年 |\r\n|---|---|\r\n"
        "| 研发投入合计 | 31,572,004.18 |\r\n\r\n\r\n\r\nEnd.  \r\n",
        encoding="utf-8",
    )
    doc = read_document(path, "C")
    assert doc.reader == "md"
    assert doc.pages[0].text == (
        "# 星河科技 Business plan\n\n| 项目 | 2023年 |\n|---|---|\n| 研发投入合计 | 31,572,004.18 |\n\nEnd."
    )


@pytest.mark.parametrize(
    "blob",
    [
        bytes(range(256)) * 10,
        b"\x89\x50\x4e\x47 not really" + bytes(200),
        b"plain start then \x00\x01\x02\x03\x04\x05 binary" * 30,
        bytes([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0E, 0x0F, 0x10]) * 100,  # control bytes, no NUL
    ],
    ids=["all-bytes", "png-ish", "nul-mixed", "controls"],
)
def test_binary_named_txt(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "blob.txt"
    path.write_bytes(blob)
    with pytest.raises(DocumentError, match=r"blob\.txt: (binary data, not text|a PNG image)"):
        read_document(path, "C")


@pytest.mark.parametrize(
    "content", [b"", b"  \n\t\r\n ", codecs.BOM_UTF8 + b"\n", codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")]
)
def test_empty_or_blank_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=r"empty\.txt: the file is empty"):
        read_document(path, "C")


def test_a_few_damaged_bytes_are_replaced_with_a_warning(tmp_path: Path) -> None:
    data = bytearray((SIMPLIFIED * 5).encode("gb18030"))
    data[40] = 0xFF  # not a valid GB18030 lead byte
    path = tmp_path / "damaged.txt"
    path.write_bytes(bytes(data))
    doc = read_document(path, "C")
    bad = doc.pages[0].text.count("\ufffd")
    assert 1 <= bad <= 3 and doc.pages[0].text.endswith(SIMPLIFIED * 4)  # the damage stays local
    assert doc.warnings == [f"{bad} undecodable byte sequence(s) replaced by � (read as gb18030)"]
