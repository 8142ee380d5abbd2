"""Profiles read the facts of their documents' tables: a row whose header another passage holds still gets
its year and unit (fictional company)."""

from pathlib import Path

from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths
from assistant.profile.build import build_profile, profile_from_chunks

ROWS = "\n".join(f"Other current item {n}\n{100 + n:,}\n{90 + n:,}" for n in range(1, 25))
EXPORT = (
    "Zentrix Photonics, Inc. Annual Report 2023. All amounts in US dollars ($).\nConsolidated Balance Sheets\n"
    "December 31,\n2023\nDecember 31,\n2022\n(In thousands)\n" + ROWS + "\nTotal assets\n15,220\n12,004\n"
)


def test_a_row_far_below_its_header_gets_its_year_and_unit_from_the_facts(
    fake_services: Services, tmp_path: Path
) -> None:
    folder = tmp_path / "docs" / "Zentrix"
    folder.mkdir(parents=True)
    (folder / "zentrix_annual_report_2023.txt").write_text(EXPORT, encoding="utf-8")
    store = fake_services.store
    ingest_paths([tmp_path / "docs"], store, fake_services.settings)
    chunks = store.company_texts("Zentrix")
    alone = profile_from_chunks(chunks, "Zentrix")
    assert "2023" not in alone.financials or "total_assets" not in alone.financials["2023"]
    profile = build_profile(store, "Zentrix")
    assets = profile.financials["2023"]["total_assets"]
    assert assets.value == 15_220_000 and assets.evidence[0].quote == "Total assets | 15,220 | 12,004"
    assert profile.financials["2022"]["total_assets"].value == 12_004_000
