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


def test_facts_of_a_store_without_them_are_read_again_from_its_passages(
    cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from assistant.core.services import Services
    from assistant.core.settings import Settings

    assert cli("ingest", str(ROOT / "corpus" / "绿湃储能")) == 0
    capsys.readouterr()
    assert cli("facts", "绿湃储能", "--json") == 0
    before = {(f["doc"], f["item"], f["period"], f["value"]) for f in json.loads(capsys.readouterr().out)}
    services = Services(Settings(store=tmp_path / "store"))  # the store the cli fixture uses
    for _, doc in services.store.documents("绿湃储能"):
        services.store.replace_facts("绿湃储能", doc, [])  # a store from before facts existed
    assert cli("facts", "绿湃储能", "--json") == 0 and json.loads(capsys.readouterr().out) == []
    assert cli("facts", "绿湃储能", "--reread", "--json") == 0
    out = capsys.readouterr()
    again = json.loads(out.out)
    assert "facts read again from its stored passages" in out.err
    chunks = {c.chunk_id: c for c in services.store.company_texts("绿湃储能")}
    assert all(f["quote"] in chunks[f["chunk_id"]].text for f in again)  # each cites a stored passage
    got = {(f["doc"], f["item"], f["period"], f["value"]) for f in again}
    assert len(got & before) >= 0.9 * len(before)  # the table facts come back
