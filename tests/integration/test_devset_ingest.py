"""Ingesting the real devset documents (skipped when ../shared/devset is absent)."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths

DEVSET = Path(__file__).resolve().parents[2].parent / "shared" / "devset" / "docs"
PDF = "Jinyu_Bio-technology_600201__annual_report_2020_zh.pdf"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (DEVSET / PDF).exists(), reason="../shared/devset is not available"),
]


@pytest.fixture(scope="module")
def devset(tmp_path_factory: pytest.TempPathFactory):
    settings = Settings(store=tmp_path_factory.mktemp("devset"), llm_backend="fake", embedding_backend="fake")
    services = Services(settings)
    report = ingest_paths([DEVSET], services.store, settings, company="devset")
    return services, report


def test_every_devset_file_stored_with_its_pages(devset) -> None:
    _, report = devset
    assert report.ok, [f.error for f in report.files if f.error]
    assert len(report.files) == len(list(DEVSET.iterdir()))
    by_doc = {f.doc: f for f in report.files}
    assert by_doc[PDF].pages == 195 and by_doc[PDF].reader == "pdf"
    assert all(f.status == "stored" for f in report.files)


def test_rd_table_row_is_one_chunk_with_its_header(devset) -> None:
    services, _ = devset
    reader = pypdf.PdfReader(DEVSET / PDF)
    page = next(i for i, p in enumerate(reader.pages, 1) if "研发投入合计" in (p.extract_text() or ""))
    chunks, _ = services.store.company_chunks("devset")
    (chunk,) = [c for c in chunks if "| 研发投入合计 | 206,997,240.33 |" in c.text]
    assert chunk.doc == PDF and chunk.page == page
    lines = chunk.text.split("\n")
    assert "研发投入情况表" in lines[0]  # the caption leads the table
    header = lines.index("|---|---|") - 1
    assert header >= 1 and lines[header].startswith("|")  # the table's header row is in the chunk
    assert "| 本期费用化研发投入 | 130,828,817.71 |" in lines
    assert "| 研发投入总额占营业收入比例（%） | 13.09 |" in lines
