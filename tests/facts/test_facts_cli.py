"""``assistant facts`` and ``assistant metric`` on the sample corpus (fictional companies)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_facts_and_metric_commands_show_each_row_they_read(cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("ingest", str(ROOT / "corpus" / "绿湃储能")) == 0
    capsys.readouterr()
    assert cli("facts", "绿湃储能", "--item", "total_assets", "--year", "2023", "--json") == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts and all(f["item"] == "total_assets" and f["period"] == "2023" for f in facts)
    assert any(
        f["doc"] == "audit_report_2023.pdf" and f["page"] == 2 and "资产总计" in f["quote"] for f in facts
    )
    assert cli("metric", "绿湃储能", "debt_to_assets", "--year", "2023", "--json") == 0
    metric = json.loads(capsys.readouterr().out)
    assert metric["value"] == "74.42" and set(metric["inputs"]) == {"debt_ratio"}  # the report states it
    assert cli("metric", "绿湃储能", "cost_ratio", "--year", "2023", "--json") == 0  # 营业成本 ÷ 营业收入
    cost = json.loads(capsys.readouterr().out)
    assert cost["value"].startswith("85.199") and set(cost["inputs"]) == {"cost_of_revenue", "revenue"}
    assert (
        cli("metric", "绿湃储能", "quick_ratio") == 1
    )  # no current assets in its facts: says which are missing
    assert "current_assets" in capsys.readouterr().err
    assert cli("metric", "绿湃储能", "no_such_metric") == 2
    assert cli("facts", "星海生物") == 2  # an unknown company lists the known ones
