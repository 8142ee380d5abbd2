"""Integration fixtures: the real embedded models over the sample corpus, loaded once per run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.records import IngestReport
from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, IngestReport]]:
    settings = Settings(store=tmp_path_factory.mktemp("real-store"))  # defaults: llamacpp 1.5B + USE
    services = Services(settings)
    report = ingest_paths([CORPUS], services.store, settings)
    yield services, report
    services.close()
