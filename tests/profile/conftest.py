"""Profiles of the sample corpus, built once per run with the fake backends (no model is loaded)."""

from __future__ import annotations

import pytest
from profile_support import CORPUS, TODAY

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.profile import Profile, build_profile


@pytest.fixture(scope="session")
def corpus_services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    settings = Settings(
        store=tmp_path_factory.mktemp("profile-store"), llm_backend="fake", embedding_backend="fake"
    )
    services = Services(settings)
    report = ingest_paths([CORPUS], services.store, settings)
    assert report.ok, [f.error for f in report.files if f.error]
    return services


@pytest.fixture(scope="session")
def profiles(corpus_services: Services) -> dict[str, Profile]:
    store = corpus_services.store
    return {c.company: build_profile(store, c.company, today=TODAY) for c in store.companies()}
