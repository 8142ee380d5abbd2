"""JSON / JSON Lines reader: records as dotted "key: value" lines, separated by blank lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import DocumentError
from assistant.ingest.readers import read_document
from assistant.ingest.readers.jsonrec import MAX_DEPTH, record_lines

RECORDS = [
    {
        "name": "星河科技",
        "finance": {"revenue": 86523000, "growth": 0.312, "rd": {"total": "31,572,004.18"}},
        "patents": [{"title": "机器人关节", "year": 2021}, {"title": "Servo drive", "year": 2022}],
        "tags": ["robotics", "工业"],
        "listed": False,
        "note": None,
    },
    {"name": "Acme Robotics", "finance": {}},
]


def test_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "companies.json"
    path.write_text(json.dumps(RECORDS, ensure_ascii=False, indent=2), encoding="utf-8")
    doc = read_document(path, "C")
    assert doc.reader == "json" and doc.warnings == []
    assert doc.pages[0].text == (
        "name: 星河科技\n"
        "finance.revenue: 86523000\n"
        "finance.growth: 0.312\n"
        "finance.rd.total: 31,572,004.18\n"
        "patents.0.title: 机器人关节\n"
        "patents.0.year: 2021\n"
        "patents.1.title: Servo drive\n"
        "patents.1.year: 2022\n"
        "tags: robotics, 工业\n"
        "listed: false\n"
        "note: null\n\n"
        "name: Acme Robotics"
    )


def test_one_object_and_json_lines(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text('{"公司": "星河科技", "城市": "深圳"}', encoding="utf-8")
    assert read_document(one, "C").pages[0].text == "公司: 星河科技\n城市: 深圳"
    lines = tmp_path / "news.jsonl"
    lines.write_text(
        '{"title": "融资新闻", "amount": "3亿元"}\n\n{"title": "Product launch"}\n', encoding="utf-8"
    )
    assert (
        read_document(lines, "C").pages[0].text == "title: 融资新闻\namount: 3亿元\n\ntitle: Product launch"
    )


def test_json_named_txt_is_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text('[{"项目": "研发投入合计", "2023年": "31,572,004.18"}]', encoding="utf-8")
    doc = read_document(path, "C")
    assert doc.reader == "json" and doc.pages[0].text == "项目: 研发投入合计\n2023年: 31,572,004.18"
    assert doc.warnings == ["wrong extension: looks like JSON"]


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"a": 1,\n "b": }', encoding="utf-8")
    with pytest.raises(DocumentError, match=r"bad\.json: invalid JSON \(line 2, column 7"):
        read_document(path, "C")


def test_deep_json_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DocumentError, match=r"deep\.json: "):
        read_document(path, "C")
    nested: object = "底"
    for _ in range(MAX_DEPTH + 5):
        nested = {"k": nested}
    line = record_lines(nested)[0]
    assert line.startswith("k." * (MAX_DEPTH - 1) + "k: {") and line.endswith('"底"}}}}}')
