"""The whole web app in a real headless Chromium (Debian ``chromium`` driven by Playwright).

Serves the API with the web app mounted (users file, sign-in), then as an RM: signs in, asks a corpus
question and opens its citation, opens a profile, uploads a document and finds it listed. Screenshots go
to ``docs/screenshots/`` (shown in the README). The browser comes from the project's setup
(``make install`` installs Debian's chromium); the test is skipped, saying so, where it is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.auth import hash_password, load_auth_config
from tests.serve.conftest import served

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "correct horse battery"
SERVED: dict[str, object] = {}  # the app under test (its audit log)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (make install installs it)"
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from assistant.serve.api import build_api

    store = tmp_path_factory.mktemp("browser-store")
    settings = Settings(store=store)  # the real embedded models
    services = Services(settings)
    ingest_paths([ROOT / "corpus"], services.store, settings)
    users = store / "users.toml"
    users.write_text(
        f'[users.rita]\nrole = "rm"\nportfolio = ["栖云智算", "Brightfold"]\n'
        f'password_hash = "{hash_password(PASSWORD, rounds=4)}"\n',
        encoding="utf-8",
    )
    app = build_api(services, load_auth_config(users))
    SERVED["app"] = app
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        yield context.new_page()
        browser.close()


def test_rm_signs_in_asks_opens_citation_profile_and_uploads(server: str, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_default_timeout(180_000)  # the embedded model answers on 2 shared cores
    page.goto(server + "/")
    # sign in (Gradio's login form)
    page.locator("input").first.fill("rita")
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("button").last.click()  # "Login" / "登录" (Gradio follows the browser's language)
    page.locator("#question textarea").wait_for()

    # ask a corpus question; the answer cites the annual report; open the citation
    page.locator("#question textarea").fill(
        "根据2023年年度报告（annual_report_2023.pdf），栖云智算经审计的2023年营业收入是多少？"
    )
    page.locator("#ask").click()
    citation = page.locator("#sources details.citation").first
    citation.wait_for()
    assert "annual_report_2023.pdf" in citation.inner_text()
    citation.locator("summary").click()
    quote = citation.locator("blockquote")
    quote.wait_for(state="visible")
    answer = page.locator("#chat .message").last.inner_text()
    assert "16,842.57" in answer and "16,842.57" in quote.inner_text()  # the truth file's audited figure
    page.screenshot(path=str(SHOTS / "browser_chat.png"), full_page=True)

    # a company outside the portfolio is unknown
    page.locator("#question textarea").fill("绿湃储能2023年营业收入是多少？")
    page.locator("#ask").click()
    page.locator("#sources .reason").wait_for()
    shown = page.locator("#sources").inner_text()
    assert "没有该企业的文档" in page.locator("#sources .reason.company_not_found").inner_text()
    assert "Not in the documents" in shown and "searched" not in shown.lower()  # refused before any search

    # the profile
    page.get_by_role("tab", name="Profile / 画像").click()
    page.locator("#profile-company input").fill("栖云智算")
    page.locator("#profile-company input").press("Enter")
    page.locator("#show-profile").click()
    frame = page.frame_locator("#profile-report iframe")
    frame.locator("body").wait_for()
    assert "杭州栖云智算科技股份有限公司" in frame.locator("body").inner_text()
    link = page.locator("#profile-downloads a").first  # downloads come from the signed-in user's own files
    download = page.request.get(server + str(link.get_attribute("href")))
    assert download.status == 200 and "杭州栖云智算科技股份有限公司" in download.text()
    page.screenshot(path=str(SHOTS / "browser_profile.png"), full_page=True)

    # upload a document and find it listed
    note = tmp_path / "visit_notes_2024-09.txt"
    note.write_text(
        "栖云智算 2024年9月走访纪要：公司在手订单约1.2亿元，客户主要为省级政务云平台。\n", encoding="utf-8"
    )
    page.get_by_role("tab", name="Documents / 文档").click()
    page.locator("#docs-company input").fill("栖云智算")
    page.locator("#docs-company input").press("Enter")
    page.locator("#upload input[type=file]").set_input_files(str(note))
    page.locator("#send").click()
    listing = page.locator("#documents")
    page.wait_for_function(
        "() => document.querySelector('#documents') && "
        "document.querySelector('#documents').innerText.includes('visit_notes_2024-09.txt')"
    )
    assert "stored" in page.locator("#ingest-report").inner_text()
    assert "visit_notes_2024-09.txt" in listing.inner_text()
    page.screenshot(path=str(SHOTS / "browser_documents.png"), full_page=True)

    # the real page used only routes the web app's gate allows, in sessions of its own user
    audit = SERVED["app"].state.ctx.audit  # type: ignore[attr-defined]
    for refused in ("ui_refused", "session_refused", "upload_refused", "download_refused"):
        assert audit.search(action=refused) == [], refused
    assert audit.search(user="rita", action="login") and audit.search(user="rita", action="download")
