"""Profiles and batch jobs over the REST API, as an attacker meets them: the app on a real port (uvicorn),
driven over real HTTP by users with disjoint portfolios, an admin, and a restart of the server on the same
store (issue 17, item 4). Fake LLM and embeddings."""

from __future__ import annotations

import base64
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.core.services import Services
from assistant.core.settings import Settings
from assistant.ingest.pipeline import ingest_paths
from assistant.serve.auth import hash_password, load_auth_config, new_token
from tests.serve.conftest import basic_auth, served, write_two_companies

PASSWORD = "pw-batch-123"
HASH = hash_password(PASSWORD, rounds=4)
TOKEN, TOKEN_SHA = new_token()
USERS = f"""
[users.rita]
role = "rm"
portfolio = ["Acme"]
password_hash = "{HASH}"

[users.sam]
role = "rm"
portfolio = ["星河科技"]
password_hash = "{HASH}"

[users.root]
role = "admin"
password_hash = "{HASH}"

[tokens.rita-bot]
role = "rm"
portfolio = ["Acme"]
sha256 = "{TOKEN_SHA}"
"""
OUTSIDE = ("8,652.30", "1,021.5", "news.md")  # only in 星河科技's document
NO_JOB = "0123456789abcdef01234567"


class Server:
    def __init__(self, url: str, app: Any, root: Path) -> None:
        self.url, self.app, self.root = url, app, root
        self.calls = app.state.ctx.audit.verify().entries  # audited calls so far (kept across a restart)

    def _count(self, response: httpx.Response) -> None:
        if response.request.url.path.startswith("/api/"):
            self.calls += 1

    def client(self, user: str | None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers=basic_auth(user or None, PASSWORD),
            timeout=60,
            event_hooks={"response": [self._count]},
        )

    def audit(self, **filters: Any) -> list[Any]:
        """Audit entries, newest first (the gate writes a call's entry just after its response: the last
        call's entry is waited for)."""
        log = self.app.state.ctx.audit
        deadline = time.monotonic() + 5
        while log.verify().entries < self.calls and time.monotonic() < deadline:
            time.sleep(0.02)
        return log.search(limit=1000, **filters)


@contextmanager
def _serve(root: Path) -> Iterator[Server]:
    """The API on a free port over two companies' documents (ingested once: a second server over the same
    ``root`` is a restart)."""
    from assistant.serve.api import build_api

    settings = Settings(
        store=root / "store", llm_backend="fake", embedding_backend="fake", min_relevance=0.05
    )
    services = Services(settings)
    docs = root / "docs"
    if not docs.exists():
        write_two_companies(docs)
        ingest_paths([docs], services.store, settings)
        (root / "users.toml").write_text(USERS, encoding="utf-8")
    app = build_api(services, load_auth_config(root / "users.toml"), ui=False)
    with served(app) as url:
        yield Server(url, app, root)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with _serve(tmp_path_factory.mktemp("batch_api")) as served:
        yield served


def _wait(client: httpx.Client, job_id: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/batch/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"batch job {job_id} did not get there: {job}")


def _finished(job: dict[str, Any]) -> bool:
    return job.get("status") in ("done", "failed", "cancelled")


def _run_job(client: httpx.Client, companies: Any, **options: Any) -> dict[str, Any]:
    r = client.post("/api/batch", json={"companies": companies, "options": options})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/batch/{r.json()['id']}"
    return _wait(client, r.json()["id"], _finished)


def _not_found(r: httpx.Response, job_id: str) -> str:
    """The body of a 404, with the id asked for taken out (the same for another's job and a missing one)."""
    assert r.status_code == 404, (r.status_code, r.text)
    return str(r.json()["detail"]).replace(job_id, "<id>")


# ---- profiles ------------------------------------------------------------------------------------------
def test_profiles_in_each_format_and_at_a_date(server: Server) -> None:
    rita = server.client("rita")
    r = rita.get("/api/companies/Acme/profile")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json()["company"] == "Acme"
    dated = rita.get("/api/companies/Acme/profile", params={"as_of": "2024-06-30"}).json()
    assert dated["reference_date"] == "2024-06-30"
    md = rita.get("/api/companies/Acme/profile", params={"format": "md"})
    assert (
        md.status_code == 200 and md.headers["content-type"].startswith("text/markdown") and "Acme" in md.text
    )
    html = rita.get("/api/companies/Acme/profile", params={"format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert rita.get("/api/companies/Acme/profile", params={"as_of": "last week"}).status_code == 422
    assert rita.get("/api/companies/Acme/profile", params={"format": "pdf"}).status_code == 422
    old = rita.get("/api/profile/Acme", params={"as_of": "2024-06-30"})  # the former path keeps working
    assert old.status_code == 200 and old.json()["reference_date"] == "2024-06-30"
    for name in ("星河科技", "火星重工"):  # outside the portfolio or unknown: the same refusal, nothing of it
        r = rita.get(f"/api/companies/{name}/profile", params={"format": "html"})
        assert r.status_code == 403 and "not in your portfolio" in r.json()["detail"]
        assert all(fact not in r.text for fact in OUTSIDE)
    assert server.client(None).get("/api/companies/Acme/profile").status_code == 401
    assert server.client("root").get("/api/companies/星河科技/profile").status_code == 200
    views = [(e.user, e.status, e.details.get("path")) for e in server.audit(action="profile_view")]
    assert ("rita", 403, "/api/companies/星河科技/profile") in views
    assert ("rita", 200, "/api/profile/Acme") in views and (
        "root",
        200,
        "/api/companies/星河科技/profile",
    ) in views


def test_openapi_documents_the_endpoints_with_examples(server: Server) -> None:
    spec = server.client(None).get("/openapi.json").json()
    paths = spec["paths"]
    new = paths["/api/companies/{company}/profile"]["get"]
    assert not new.get("deprecated") and {p["name"] for p in new["parameters"]} >= {
        "company",
        "format",
        "as_of",
    }
    assert "example" in new["responses"]["200"]["content"]["text/markdown"]
    assert paths["/api/profile/{company}"]["get"]["deprecated"] is True
    start = paths["/api/batch"]["post"]
    assert start["requestBody"]["content"]["application/json"]["examples"]["some"]["value"]["companies"]
    assert set(start["responses"]) >= {"202", "403", "409"}
    assert set(paths["/api/batch/{job_id}"]) == {"get", "delete"}
    assert "404" in paths["/api/batch/{job_id}/files/{name}"]["get"]["responses"]
    assert spec["components"]["schemas"]["JobView"]["examples"][0]["progress"] == 0.5


# ---- batch jobs ----------------------------------------------------------------------------------------
def test_a_job_runs_and_its_own_files_download(server: Server) -> None:
    rita = server.client("rita")
    job = _run_job(rita, ["Acme Robotics Inc."], as_of="2024-06-30")  # any alias names the company
    assert job["status"] == "done" and job["owner"] == "rita" and job["companies"] == ["Acme"]
    assert (job["total"], job["done"], job["ok"], job["failed"], job["progress"]) == (1, 1, 1, 0, 1.0)
    assert job["errors"] == {} and job["options"] == {"as_of": "2024-06-30"}
    names = {f["name"] for f in job["files"]}
    assert names == {"profiles.jsonl", "summary.csv", "Acme.json", "Acme.md", "Acme.html"}
    summary = rita.get(next(f["url"] for f in job["files"] if f["name"] == "summary.csv"))
    assert summary.status_code == 200 and summary.headers["content-type"].startswith("text/csv")
    assert summary.text.splitlines()[1].startswith("Acme,ok,")
    assert rita.get(f"/api/batch/{job['id']}/files/Acme.json").json()["reference_date"] == "2024-06-30"
    html = rita.get(f"/api/batch/{job['id']}/files/Acme.html")
    assert html.status_code == 200 and html.headers["content-disposition"].startswith("attachment")
    assert html.headers["x-content-type-options"] == "nosniff"
    line = rita.get(f"/api/batch/{job['id']}/files/profiles.jsonl").text.splitlines()
    assert [json.loads(x)["company"] for x in line] == ["Acme"]
    assert job["id"] in {j["id"] for j in rita.get("/api/batch").json()}


def test_another_user_cannot_see_download_or_cancel_a_job(server: Server) -> None:
    rita, sam = server.client("rita"), server.client("sam")
    job = _run_job(rita, "all")
    assert job["companies"] == ["Acme"]  # "all" is the portfolio
    jid = job["id"]
    missing = _not_found(sam.get(f"/api/batch/{NO_JOB}"), NO_JOB)
    assert _not_found(sam.get(f"/api/batch/{jid}"), jid) == missing  # another's job looks missing
    for name in ("summary.csv", "profiles.jsonl", "Acme.md"):
        r = sam.get(f"/api/batch/{jid}/files/{name}")
        assert r.status_code == 404 and "Acme Robotics" not in r.text
    assert _not_found(sam.delete(f"/api/batch/{jid}"), jid) == missing
    assert jid not in {j["id"] for j in sam.get("/api/batch").json()}
    bot = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    bot.event_hooks["response"] = [server._count]
    assert _not_found(bot.get(f"/api/batch/{jid}"), jid) == missing  # a program with her portfolio is not her
    assert bot.get("/api/companies/Acme/profile").status_code == 200
    assert rita.get(f"/api/batch/{jid}").json()["status"] == "done"  # untouched
    for request in (lambda c: c.get(f"/api/batch/{jid}"), lambda c: c.get("/api/batch")):
        assert request(server.client(None)).status_code == 401
    # starting a job on a company outside the portfolio: refused whether it exists or not, nothing started
    before = len(rita.get("/api/batch").json())
    for companies in (["星河科技"], ["Acme", "星河科技"], ["火星重工"]):
        r = rita.post("/api/batch", json={"companies": companies})
        assert r.status_code == 403 and "not in your portfolio" in r.json()["detail"]
        assert all(fact not in r.text for fact in OUTSIDE)
    assert len(rita.get("/api/batch").json()) == before
    for body in ({"companies": []}, {"companies": "everything"}, {"options": {"summary": True}}, {"x": 1}):
        assert rita.post("/api/batch", json=body).status_code == 422, body


@pytest.fixture(scope="module")
def ritas_job(server: Server) -> str:
    job_id: str = _run_job(server.client("rita"), ["Acme"])["id"]
    return job_id


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "..",
        "....//job.json",
        "job.json",
        "batch.json",
        "state",
        "%2E%2E%2Fjob.json",
        "reports%2FAcme.md",
        "state%2FAcme.json",
        "Acme.md%00.txt",
        "Acme.md%2F..%2F..%2Fjob.json",
        "%5C..%5C..%5Cjob.json",
    ],
)
def test_file_names_are_never_paths(server: Server, ritas_job: str, name: str) -> None:
    """Sent as written (http.client: no client-side clean-up of dot segments), by the job's own owner."""
    import http.client

    ledger = Path(server.app.state.ctx.services.settings.store).resolve() / "ledger.sqlite3"
    host, port = server.url.removeprefix("http://").split(":")
    auth = "Basic " + base64.b64encode(f"rita:{PASSWORD}".encode()).decode()
    for path in (
        f"/api/batch/{ritas_job}/files/{name}",
        f"/api/batch/{ritas_job}/files/{str(ledger).replace('/', '%2F')}",
        f"/api/batch/..%2F..%2F{ritas_job}/files/summary.csv",  # the id is no path either
        f"/api/batch/{ritas_job}/../{ritas_job}/files/{name}",
    ):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("GET", path, headers={"Authorization": auth})
            r = conn.getresponse()
            body = r.read().decode("utf-8", "replace")
        finally:
            conn.close()
        assert r.status in (400, 404), (path, r.status)
        assert "root:" not in body and "SQLite format" not in body and '"owner"' not in body
    server.calls += 4


def test_cancel_queued_and_running_jobs(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.profile.batch import engines

    original, entered, release = engines.profile_task, threading.Event(), threading.Event()

    def held(task: Any) -> Any:  # the first company waits until the test lets it go
        entered.set()
        assert release.wait(30)
        return original(task)

    monkeypatch.setattr(engines, "profile_task", held)
    root, rita, sam = server.client("root"), server.client("rita"), server.client("sam")
    try:
        r = root.post("/api/batch", json={"companies": "all"})
        assert r.status_code == 202 and r.json()["total"] == 2
        big = r.json()["id"]
        assert entered.wait(30)
        assert root.get(f"/api/batch/{big}").json()["status"] == "running"
        queued = rita.post("/api/batch", json={"companies": ["Acme"]}).json()
        assert queued["status"] == "queued"  # one job runs at a time
        again = rita.post("/api/batch", json={"companies": ["Acme"]})
        assert again.status_code == 409 and queued["id"] in again.json()["detail"]  # one job per owner
        r = rita.delete(f"/api/batch/{queued['id']}")
        assert r.status_code == 202 and r.json()["status"] == "cancelled"  # queued: cancelled at once
        assert _not_found(sam.delete(f"/api/batch/{big}"), big)
        assert _not_found(rita.delete(f"/api/batch/{big}"), big)  # not even the other RM of Acme
        r = root.delete(f"/api/batch/{big}")
        assert r.status_code == 202 and r.json()["cancel_requested"] and r.json()["status"] == "running"
    finally:
        release.set()
    stopped = _wait(root, big, _finished)
    assert stopped["status"] == "cancelled" and (stopped["done"], stopped["total"]) == (1, 2)
    assert root.delete(f"/api/batch/{big}").status_code == 409  # finished
    assert rita.get(f"/api/batch/{queued['id']}").json()["done"] == 0  # it never ran


def test_admin_sees_every_job(server: Server) -> None:
    sam, root = server.client("sam"), server.client("root")
    job = _run_job(sam, ["星河科技"])
    assert job["status"] == "done"
    owners = {j["owner"] for j in root.get("/api/batch").json()}
    assert {"rita", "sam", "root"} <= owners
    assert root.get(f"/api/batch/{job['id']}").json()["owner"] == "sam"
    r = root.get(f"/api/batch/{job['id']}/files/summary.csv")
    assert r.status_code == 200 and "星河科技" in r.content.decode("utf-8-sig")
    assert {j["owner"] for j in sam.get("/api/batch").json()} == {"sam"}


def test_every_batch_action_is_audited(server: Server) -> None:
    rita, sam = server.client("rita"), server.client("sam")
    job = _run_job(rita, ["Acme"])
    jid = job["id"]
    rita.get(f"/api/batch/{jid}/files/summary.csv")
    rita.get(f"/api/batch/{jid}/files/../../etc/passwd")
    rita.get("/api/batch")
    rita.delete(f"/api/batch/{jid}")
    sam.get(f"/api/batch/{jid}")
    sam.get(f"/api/batch/{jid}/files/Acme.md")
    sam.delete(f"/api/batch/{jid}")
    rita.post("/api/batch", json={"companies": ["星河科技"]})
    start = next(e for e in server.audit(user="rita", action="batch_start") if e.details.get("job") == jid)
    assert start.status == 202 and start.company == "Acme" and start.details["companies"] == ["Acme"]
    mine = [(e.action, e.status) for e in server.audit(user="rita") if e.id > start.id]
    assert ("batch_status", 200) in mine and ("batch_file", 200) in mine and ("batch_list", 200) in mine
    assert ("batch_cancel", 409) in mine and ("batch_start", 403) in mine
    download = next(e for e in server.audit(user="rita", action="batch_file") if e.id > start.id)
    assert download.details["job"] == jid and download.details["file"] == "summary.csv"
    refused = [
        (e.action, e.status, e.details.get("job")) for e in server.audit(user="sam") if e.id > start.id
    ]
    assert {("batch_status", 404, jid), ("batch_file", 404, jid), ("batch_cancel", 404, jid)} <= set(refused)
    assert server.client("root").get("/api/audit/verify").json()["ok"] is True


# ---- restarts ------------------------------------------------------------------------------------------
def test_jobs_survive_a_restart_and_an_interrupted_job_resumes(tmp_path: Path) -> None:
    with _serve(tmp_path) as first:
        job = _run_job(first.client("rita"), ["Acme"])
    jobs = tmp_path / "store" / "jobs"
    folder = jobs / job["id"]
    # a second job, as a server killed part-way left it: state "running", its outputs not written yet
    crashed = "a" * 24
    shutil.copytree(folder, jobs / crashed)
    state = json.loads((jobs / crashed / "job.json").read_text(encoding="utf-8"))
    state.update(id=crashed, status="running", done=0, ok=0, finished_at=None)
    (jobs / crashed / "job.json").write_text(json.dumps(state), encoding="utf-8")
    shutil.rmtree(jobs / crashed / "out" / "state")
    (jobs / crashed / "out" / "summary.csv").unlink()
    # and one whose owner no longer sees its companies (sam's, over Acme)
    moved = "b" * 24
    shutil.copytree(jobs / crashed, jobs / moved)
    (jobs / moved / "job.json").write_text(
        json.dumps({**state, "id": moved, "owner": "sam"}), encoding="utf-8"
    )

    with _serve(tmp_path) as second:  # a new app object on the same directory
        rita, sam = second.client("rita"), second.client("sam")
        kept = rita.get(f"/api/batch/{job['id']}").json()
        assert {k: kept[k] for k in ("status", "owner", "companies", "done", "ok")} == {
            "status": "done", "owner": "rita", "companies": ["Acme"], "done": 1, "ok": 1,
        }  # fmt: skip
        assert "Acme" in rita.get(f"/api/batch/{job['id']}/files/summary.csv").text
        resumed = _wait(rita, crashed, _finished)
        assert (resumed["status"], resumed["done"], resumed["ok"], resumed["resumed"]) == ("done", 1, 1, 1)
        assert "Acme" in rita.get(f"/api/batch/{crashed}/files/summary.csv").text
        refused = _wait(sam, moved, _finished)
        assert refused["status"] == "failed" and "portfolio changed" in refused["error"]
        assert not sam.get(f"/api/batch/{moved}").json()["files"]  # Acme's files are not shown to sam
        assert sam.get(f"/api/batch/{moved}/files/Acme.md").status_code == 404
        assert _not_found(sam.get(f"/api/batch/{job['id']}"), job["id"])
        assert {j["id"] for j in second.client("root").get("/api/batch").json()} == {
            job["id"],
            crashed,
            moved,
        }
        assert [e.status for e in second.audit(user="rita", action="batch_start")] == [202]  # the log kept it
