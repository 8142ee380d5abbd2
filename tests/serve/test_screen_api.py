"""Screening as an attacker meets it: `assistant serve`'s app on a real port over the fictional corpus, two RMs with
disjoint portfolios and an admin, driven over real HTTP — ``POST /api/screen`` and the web app's Screen tab through
Gradio's queue — and the tab's handler called directly. User B's screen never shows user A's companies: not as a
match, not in a quote, not as a miss, not through an error, whatever the query or the body says."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.actions import portal_of
from assistant.serve.auth import Principal, hash_password, load_auth_config
from assistant.serve.web.context import WebContext, bound
from assistant.serve.web.screen import run_screen
from tests.serve.conftest import basic_auth, served

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
PASSWORD = "pw-screen-1"
HASH = hash_password(PASSWORD, rounds=4)
RITA = ("铖泰精密", "Brightfold")  # 铖泰精密: the corpus's customer-concentration red flag (62.40% / 81.70%)
SAM = ("栖云智算", "知衡软件")
USERS = f"""
[users.rita]
role = "rm"
portfolio = {json.dumps(list(RITA), ensure_ascii=False)}
password_hash = "{HASH}"

[users.sam]
role = "rm"
portfolio = {json.dumps(list(SAM), ensure_ascii=False)}
password_hash = "{HASH}"

[users.root]
role = "admin"
password_hash = "{HASH}"
"""
RITA_ONLY = (
    "62.40%",
    "81.70%",
    "客户A",
    "Whitcombe",
    "9,876.45",
)  # quotes only rita's companies' documents hold


class Server:
    def __init__(self, url: str, app: Any, services: Services) -> None:
        self.url, self.app, self.services = url, app, services

    def api(self, user: str | None, password: str = PASSWORD) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=basic_auth(user, password), timeout=60)

    def audit(self, **filters: Any) -> list[Any]:
        return list(self.app.state.ctx.audit.search(**filters))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from assistant.serve.api import build_api

    root = tmp_path_factory.mktemp("screen-api")
    settings = Settings(
        store=root / "store", llm_backend="fake", embedding_backend="fake", min_relevance=0.05
    )
    services = Services(settings)
    assert ingest_paths([CORPUS], services.store, settings).ok
    users = root / "users.toml"
    users.write_text(USERS, encoding="utf-8")
    app = build_api(services, load_auth_config(users))
    with served(app) as url:
        yield Server(url, app, services)


def _screen(server: Server, user: str | None, body: dict[str, Any]) -> httpx.Response:
    with server.api(user) as client:
        return client.post("/api/screen", json=body)


def _eventually(probe: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


# ---- the REST API --------------------------------------------------------------------------------------------
def test_each_user_screens_only_their_portfolio(server: Server) -> None:
    question = {"query": "who has a red flag for customer concentration?", "as_of": "2024-06-30"}
    rita = _screen(server, "rita", question)
    assert rita.status_code == 200, rita.text
    body = rita.json()
    assert (body["filter"], body["source"], body["considered"]) == ("flag customer_concentration", "rules", 2)
    assert [m["company"] for m in body["matches"]] == ["铖泰精密"]
    flag = body["matches"][0]["values"][0]
    assert flag["value"] == "62.4, 81.7" and flag["evidence"][0]["doc"] == "annual_report_2023.pdf"
    assert flag["evidence"][0]["page"] == 3 and "62.40%" in flag["evidence"][0]["quote"]
    assert body["not_matched"] == ["Brightfold"]

    sam = _screen(server, "sam", question)
    assert sam.status_code == 200 and sam.json()["considered"] == 2 and sam.json()["matches"] == []
    for name in RITA:
        assert name not in sam.text
    root = _screen(server, "root", question).json()
    assert root["considered"] == 7 and [m["company"] for m in root["matches"]] == ["铖泰精密"]


@pytest.mark.parametrize(
    "query",
    [
        "revenue > 0 or red_flags >= 0",  # everything the screen can see
        "headquarters ~ 苏州",  # 铖泰精密's city
        "legal_name ~ 铖泰",  # its name
        'legal_name = "苏州铖泰精密传感技术有限公司"',
        "signals.qualification_expiring ~ 高新技术企业",  # 铖泰精密's expiring certificate
        "top1_customer_share > 60",
        "哪些公司存在客户集中度风险？",
        "铖泰精密的营收超过1亿元吗",
    ],
)
def test_no_query_reaches_a_company_outside_the_portfolio(server: Server, query: str) -> None:
    r = _screen(server, "sam", {"query": query, "as_of": "2024-06-30"})
    assert r.status_code in (200, 400), r.text
    body = r.json()
    # what the screen read (the query, and the filter and tree it became, only echo the caller's own words)
    read = {k: v for k, v in body.items() if k not in ("query", "filter", "tree")}
    text = json.dumps(read, ensure_ascii=False).replace(query, "")
    for secret in (*RITA, *RITA_ONLY):
        assert secret not in text, (query, secret)
    if r.status_code == 200:
        result = body
        seen = {m["company"] for m in result["matches"] + result["undecided"]} | set(result["not_matched"])
        assert seen <= set(SAM) and result["considered"] == 2


def test_the_body_cannot_widen_the_portfolio(server: Server) -> None:
    for extra in (
        {"companies": ["铖泰精密"]},
        {"allowed": "*"},
        {"portfolio": ["铖泰精密"]},
        {"user": "rita"},
    ):
        r = _screen(server, "sam", {"query": "revenue > 0", **extra})
        assert r.status_code == 422 and "Extra inputs are not permitted" in r.text, (extra, r.text)
    r = _screen(server, "sam", {"query": "revenue > 0"})
    assert {m["company"] for m in r.json()["matches"]} == set(SAM)


def test_refusals_and_bad_input(server: Server) -> None:
    assert _screen(server, None, {"query": "revenue > 0"}).status_code == 401
    with server.api("rita", "wrong") as client:
        assert client.post("/api/screen", json={"query": "revenue > 0"}).status_code == 401
    bad = _screen(server, "rita", {"query": "rd_ratoi > 10"})
    assert bad.status_code == 400 and "unknown field 'rd_ratoi'" in bad.json()["detail"]
    syntax = _screen(server, "rita", {"query": "rd_ratio > 10 and (checks.专精特新 = pass"})
    assert syntax.status_code == 400 and "')' is missing" in syntax.json()["detail"]
    assert _screen(server, "rita", {"query": "hello there"}).status_code == 400
    assert _screen(server, "rita", {"query": "revenue > 0", "as_of": "30.06.2024"}).status_code == 422
    assert _screen(server, "rita", {"query": "revenue > 0", "as_of": "2024-02-30"}).status_code == 400
    assert _screen(server, "rita", {"query": "x" * 2001}).status_code == 422
    assert _screen(server, "rita", {"query": ""}).status_code == 422
    assert _screen(server, "rita", {"query": "R&D ratio above 10%", "mode": "filter"}).status_code == 400
    with server.api("rita") as client:
        r = client.post("/api/screen", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 400


def test_every_screen_is_audited_with_the_filter_that_ran(server: Server) -> None:
    marker = f"rd_ratio > {secrets.randbelow(5) + 1} and top5_customer_share < 99"
    assert _screen(server, "sam", {"query": marker}).status_code == 200
    entries = _eventually(
        lambda: [e for e in server.audit(user="sam", action="screen") if e.details.get("query") == marker]
    )
    entry = entries[0]
    assert entry.status == 200 and entry.details["filter"] == marker and entry.details["source"] == "filter"
    assert set(entry.details["matches"]) <= set(SAM) and entry.details["considered"] == 2
    _screen(server, "sam", {"query": "rd_ratoi > 1"})
    refused = _eventually(lambda: [e for e in server.audit(user="sam", action="screen") if e.status == 400])
    assert "rd_ratoi" in refused[0].details["error"]


def test_openapi_documents_the_screen_endpoint(server: Server) -> None:
    spec = httpx.get(server.url + "/openapi.json").json()
    post = spec["paths"]["/api/screen"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert "哪些公司通过了专精特新且营收增长超过25%？" in json.dumps(examples, ensure_ascii=False)
    assert "example" in post["responses"]["200"]["content"]["application/json"]


# ---- the web app ----------------------------------------------------------------------------------------------
class Browser:
    """A signed-in web-app user speaking Gradio's queue protocol over HTTP."""

    def __init__(self, server: Server, user: str) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=120)
        r = self.http.post("/ui/login", data={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.session = secrets.token_hex(6)
        config = self.http.get("/ui/config").json()
        self.fns = {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}

    def call(self, api_name: str, data: list[Any]) -> list[Any]:
        payload = {"data": data, "fn_index": self.fns[api_name], "session_hash": self.session,
                   "event_data": None, "trigger_id": None}  # fmt: skip
        joined = self.http.post("/ui/gradio_api/queue/join", json=payload)
        assert joined.status_code == 200, joined.text
        with self.http.stream("GET", "/ui/gradio_api/queue/data", params={"session_hash": self.session}) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        assert message["success"], message
                        output: list[Any] = message["output"]["data"]
                        return output
        raise AssertionError("the event did not complete")


def test_the_screen_tab_over_http_shows_the_filter_and_only_the_users_companies(server: Server) -> None:
    rita = Browser(server, "rita").call("screen", ["哪些公司存在客户集中度风险？", "2024-06-30"])
    assert "flag customer_concentration" in rita[0] and "rules" in rita[0]
    assert "铖泰精密" in rita[1] and "62.40%" in rita[1] and "annual_report_2023.pdf" in rita[1]
    sam = Browser(server, "sam").call("screen", ["revenue > 0 or red_flags >= 0", ""])
    assert "栖云智算" in sam[1] and "知衡软件" in sam[1]
    for secret in (*RITA, *RITA_ONLY):
        assert secret not in sam[0] + sam[1]
    assert _eventually(lambda: server.audit(user="sam", action="screen"))


class SamAccess:
    """The web app's access for an RM who may see 栖云智算 and 知衡软件, keeping the audit records."""

    def __init__(self) -> None:
        self.user = Principal("sam", "rm", frozenset(SAM))
        self.records: list[tuple[str, str | None, int, dict[str, Any]]] = []

    def principal(self, request: object) -> Principal:
        return self.user

    def record(
        self, request: object, action: str, company: str | None = None, status: int = 200, **details: Any
    ) -> None:
        self.records.append((action, company, status, details))

    def add_file(self, request: object, path: Path, name: str) -> str:
        return f"/ui/download/{name}"


def test_the_screen_handler_goes_through_the_portfolio(server: Server) -> None:
    access = SamAccess()
    ctx = WebContext(server.services, access, portal_of(server.services))
    handler = bound(ctx, run_screen)
    ran, shown = handler("R&D ratio above 10% and top-5 customers under 50%", "2024-06-30", None)  # type: ignore[call-arg]
    assert "`rd_ratio > 10 and top5_customer_share < 50`" in ran
    assert "栖云智算" in shown and "知衡软件" in shown and "12.49" in shown and "20.49" in shown
    assert "Brightfold" not in shown and "铖泰精密" not in shown
    ran, shown = handler("rd_ratoi > 10", "", None)  # type: ignore[call-arg]
    assert ran == "" and "unknown field &#x27;rd_ratoi&#x27;" in shown
    ran, shown = handler("revenue > 0", "not a date", None)  # type: ignore[call-arg]
    assert "YYYY-MM-DD" in shown
    statuses = [(a, s) for a, _, s, _ in access.records]
    assert statuses == [("screen", 200), ("screen", 400), ("screen", 400)]
    assert access.records[0][3]["filter"] == "rd_ratio > 10 and top5_customer_share < 50"
