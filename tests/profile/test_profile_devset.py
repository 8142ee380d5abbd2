"""The 195-page Chinese annual report of the devset, ingested as one company (skipped without the devset).

Gold values read from the PDF's text layer (pypdf): 在职员工的数量合计 1,444 (p.59); 公司研发人员的数量 269 and
研发人员数量占公司总人数的比例 18.63% (p.17); 研发投入合计 206,997,240.33元 and 研发投入总额占营业收入比例 13.09%
(p.17); 获得发明专利 9 项、实用新型 3 项 in 2020 (p.12); 前五名客户销售额占年度销售总额 18.20% (p.16).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdf
import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.profile import Profile, build_profile

DEVSET = Path(__file__).resolve().parents[2].parent / "shared" / "devset" / "docs"
PDF = "Jinyu_Bio-technology_600201__annual_report_2020_zh.pdf"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (DEVSET / PDF).exists(), reason="../shared/devset is not available"),
]

GOLD = {  # field: (value, page)
    "employees": (1444, 59),
    "rd_staff": (269, 17),
    "rd_staff_ratio": (18.63, 17),
    "rd_expense": (206_997_240.33, 17),
    "rd_ratio": (13.09, 17),
    "invention_patents": (9, 12),
    "utility_model_patents": (3, 12),
    "top5_customer_share": (18.2, 16),
}


@pytest.fixture(scope="module")
def jinyu(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    settings = Settings(
        store=tmp_path_factory.mktemp("devset-profile"), llm_backend="fake", embedding_backend="fake"
    )
    services = Services(settings)
    report = ingest_paths([DEVSET / PDF], services.store, settings, company="金宇生物")
    assert report.ok, [f.error for f in report.files if f.error]
    return build_profile(services.store, "金宇生物", today=date(2021, 6, 30))


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("field", sorted(GOLD))
def test_devset_annual_report_fields_with_page_evidence(jinyu: Profile, field: str) -> None:
    value, page = GOLD[field]
    fv = jinyu.fields[field]
    assert fv.status != "unknown", field
    assert fv.period == "2020"
    assert isinstance(fv.value, int | float) and abs(fv.value - value) < 0.005, (field, fv.value)
    assert any(e.page == page for e in fv.evidence), (field, [(e.page, e.quote) for e in fv.evidence])
    reader = pypdf.PdfReader(DEVSET / PDF)
    text = _squash(reader.pages[page - 1].extract_text() or "")
    quote = next(e.quote for e in fv.evidence if e.page == page)
    cells = [cell for cell in quote.split("|") if cell.strip()]  # a Markdown table row, or one sentence
    assert all(_squash(cell) in text for cell in cells), (field, quote)


def test_devset_patent_counts_are_marked_as_granted_in_the_year(jinyu: Profile) -> None:
    assert "obtained during the period" in (jinyu.fields["invention_patents"].note or "")


def test_devset_profile_identity_and_checks(jinyu: Profile) -> None:
    assert jinyu.fields["legal_name"].value == "金宇生物技术股份有限公司"
    assert jinyu.fields["revenue"].value == 1_581_905_632.48
    assert jinyu.fields["total_assets"].value == 6_278_282_683.24  # consolidated, not a subsidiary's
    assert {c.name.split(" ")[0]: c.result for c in jinyu.checks}[
        "科技型中小企业"
    ] == "fail"  # revenue > ¥200M
