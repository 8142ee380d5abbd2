"""`assistant batch`: outputs, resuming a killed run, one bad company, and the local, process-pool and Ray
engines giving the same files (the corpus store with fake embeddings; no model is loaded)."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from profile_support import TODAY

from assistant.core.errors import InputError
from assistant.core.services import Services
from assistant.profile import Profile
from assistant.profile.batch import BatchOptions, FolderLock, run_batch, safe_name
from assistant.profile.batch import task as batch_task
from assistant.profile.batch.command import add_parser, cmd_batch, read_company_list

ROOT = Path(__file__).resolve().parents[2]


def _files(out: Path) -> dict[str, bytes]:
    """Every output file except the run report and the state (which record times)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("batch.json", ".lock") and p.parent.name != "state"
    }


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _jsonl(out: Path) -> list[Profile]:
    return [
        Profile.model_validate_json(line)
        for line in (out / "profiles.jsonl").read_text(encoding="utf-8").splitlines()
    ]


@pytest.fixture(scope="module")
def local_run(corpus_services: Services, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("batch-local")
    report = run_batch(corpus_services.store, None, BatchOptions(out=out, as_of=TODAY))
    assert report.ok and report.profiled == 7 and report.skipped == 0
    return out


def test_outputs(local_run: Path, profiles: dict[str, Profile]) -> None:
    listed = _jsonl(local_run)
    assert [p.company for p in listed] == sorted(profiles)  # every company once, in the store's order
    assert {p.company: p for p in listed} == profiles  # the same profiles as build_profile
    rows = _rows(local_run)
    assert [r["company"] for r in rows] == sorted(profiles) and all(r["status"] == "ok" for r in rows)
    qiyun = next(r for r in rows if r["company"] == "栖云智算")
    assert (
        qiyun["revenue"] == "168425700" and qiyun["revenue_unit"] == "CNY" and qiyun["check_hnte"] == "pass"
    )
    assert qiyun["red_flags"] == str(sum(s.kind == "red_flag" for s in profiles["栖云智算"].signals))
    assert {
        "check_tech_based_sme",
        "check_specialised_sme",
        "check_little_giant",
        "check_star_market",
    } <= set(qiyun)
    for company in profiles:
        name = safe_name(company)
        assert (local_run / "reports" / f"{name}.md").read_text(encoding="utf-8").startswith("# ")
        assert (
            (local_run / "reports" / f"{name}.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        )
        state = json.loads((local_run / "state" / f"{name}.json").read_text(encoding="utf-8"))
        assert state["status"] == "ok" and state["fingerprint"]


def test_a_rerun_skips_what_is_done(corpus_services: Services, local_run: Path) -> None:
    before = _files(local_run)
    report = run_batch(corpus_services.store, None, BatchOptions(out=local_run, as_of=TODAY))
    assert report.skipped == 7 and report.profiled == 0 and report.ok
    assert _files(local_run) == before
    # other options (another reference date) are not "done"
    other = run_batch(
        corpus_services.store, ["Lumenaut"], BatchOptions(out=local_run, as_of=TODAY.replace(day=29))
    )
    assert other.profiled == 1 and other.skipped == 0
    run_batch(
        corpus_services.store, None, BatchOptions(out=local_run, as_of=TODAY)
    )  # restore for the other tests


def test_ray_engine_gives_the_local_engines_files(
    corpus_services: Services, local_run: Path, tmp_path: Path
) -> None:
    pytest.importorskip("ray")
    report = run_batch(
        corpus_services.store, None, BatchOptions(out=tmp_path, as_of=TODAY, engine="ray", workers=2)
    )
    assert report.ok and report.profiled == 7 and report.engine == "ray"
    assert _files(tmp_path) == _files(local_run)
    import ray

    assert not ray.is_initialized()  # the local cluster the run started is shut down


def test_process_pool_gives_the_same_files(
    corpus_services: Services, local_run: Path, tmp_path: Path
) -> None:
    report = run_batch(corpus_services.store, None, BatchOptions(out=tmp_path, as_of=TODAY, workers=2))
    assert report.ok and report.profiled == 7
    assert _files(tmp_path) == _files(local_run)


KILLER = textwrap.dedent("""
    import os, signal, sys
    from datetime import date
    from pathlib import Path
    from assistant.profile.batch import BatchOptions, open_store, run_batch
    from assistant.core.settings import Settings

    if __name__ == "__main__":
        settings = Settings(store=Path(sys.argv[1]), llm_backend="fake", embedding_backend="fake")
        done = []

        def die_after_three(result):
            done.append(result.company)
            if len(done) == 3:
                os.kill(os.getpid(), signal.SIGKILL)

        run_batch(open_store(settings), None, BatchOptions(out=Path(sys.argv[2]), as_of=date(2024, 6, 30)),
                  on_result=die_after_three)
""")


def test_a_killed_run_continues_where_it_stopped(
    corpus_services: Services, local_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), str(corpus_services.settings.store), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    done = sorted(p.stem for p in (out / "state").glob("*.json"))
    assert len(done) == 3
    assert not (out / "profiles.jsonl").exists()  # killed before the outputs were rebuilt
    # debris a kill between two writes could leave: a temp file, a profile without its state entry
    todo = next(c for c in sorted(_companies(corpus_services)) if safe_name(c) not in done)
    (out / "profiles" / f".{safe_name(todo)}.json.123.tmp").write_text("{half", encoding="utf-8")
    (out / "profiles" / f"{safe_name(todo)}.json").write_text("{stale", encoding="utf-8")

    report = run_batch(corpus_services.store, None, BatchOptions(out=out, as_of=TODAY))
    assert report.skipped == 3 and report.profiled == 4 and report.ok
    listed = [p.company for p in _jsonl(out)]
    assert (
        sorted(listed) == sorted(set(listed)) == sorted(_companies(corpus_services))
    )  # every company exactly once
    assert _files(out) == _files(local_run)
    assert not list(out.rglob("*.tmp"))


def _companies(services: Services) -> list[str]:
    return [c.company for c in services.store.companies()]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["batch", *argv])


def test_one_bad_company_is_recorded_and_the_rest_done(
    corpus_services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = batch_task.profile_from_chunks

    def flaky(chunks, company, *args, **kwargs):  # type: ignore[no-untyped-def]
        if company == "知衡软件":
            raise RuntimeError("extractor exploded")
        return real(chunks, company, *args, **kwargs)

    monkeypatch.setattr(batch_task, "profile_from_chunks", flaky)
    listing = tmp_path / "companies.txt"
    listing.write_text(
        "# portfolio\n栖云智算\nBrightfold Robotics Inc.\n知衡软件\nNonexistent Widgets Ltd.\n\nBrightfold\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code = cmd_batch(
        _args("--companies", str(listing), "--out", str(out), "--as-of", "2024-06-30"),
        corpus_services.settings,
    )
    assert code == 1
    printed = capsys.readouterr().out
    assert "failed    知衡软件: RuntimeError: extractor exploded" in printed and "2 profiled" in printed
    rows = {r["company"]: r for r in _rows(out)}
    assert list(rows) == [
        "栖云智算",
        "Brightfold",
        "知衡软件",
        "Nonexistent Widgets Ltd.",
    ]  # aliases resolved, deduplicated
    assert rows["知衡软件"]["status"] == "failed" and "extractor exploded" in rows["知衡软件"]["error"]
    assert (
        rows["Nonexistent Widgets Ltd."]["status"] == "failed"
        and "unknown company" in rows["Nonexistent Widgets Ltd."]["error"]
    )
    assert [p.company for p in _jsonl(out)] == ["栖云智算", "Brightfold"]
    state = json.loads((out / "state" / f"{safe_name('知衡软件')}.json").read_text(encoding="utf-8"))
    assert "extractor exploded" in state["traceback"]

    monkeypatch.setattr(
        batch_task, "profile_from_chunks", real
    )  # fixed: the next run retries the failure only
    code = cmd_batch(
        _args("--companies", str(listing), "--out", str(out), "--as-of", "2024-06-30", "--json"),
        corpus_services.settings,
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["skipped"] == 2 and report["profiled"] == 1
    assert list(report["failures"]) == ["Nonexistent Widgets Ltd."]
    assert [p.company for p in _jsonl(out)] == ["栖云智算", "Brightfold", "知衡软件"]


def test_summaries_in_a_batch(corpus_services: Services, tmp_path: Path) -> None:
    settings = corpus_services.settings  # the fake LLM
    report = run_batch(
        corpus_services.store,
        ["栖云智算", "Lumenaut"],
        BatchOptions(out=tmp_path, as_of=TODAY, summary=True),
        settings,
    )
    assert report.ok and report.summary_paths == {"verified": 2}
    assert all(p.summary.text and p.summary.citations for p in _jsonl(tmp_path))
    assert [r["summary_path"] for r in _rows(tmp_path)] == ["verified", "verified"]
    # the same documents without a summary are not "done" for a run that wants one, and the other way round
    again = run_batch(corpus_services.store, ["栖云智算"], BatchOptions(out=tmp_path, as_of=TODAY), settings)
    assert again.profiled == 1 and not _jsonl(tmp_path)[0].summary.text


def test_safe_names_and_company_lists(tmp_path: Path) -> None:
    assert safe_name("栖云智算") == "栖云智算" and safe_name("Brightfold") == "Brightfold"
    odd = ["A/B Co.", "A_B Co.", "CON", "..", "a" * 300, "x:y*?"]
    names = [safe_name(n) for n in odd]
    assert len(set(names)) == len(names)
    assert all(n and "/" not in n and len(n) <= 90 and not n.startswith(".") for n in names)
    listing = tmp_path / "list.csv"
    listing.write_text("\ufeffcompany,owner\n栖云智算,RM 1\nLumenaut,RM 2\n栖云智算,RM 3\n", encoding="utf-8")
    assert read_company_list(listing) == ["栖云智算", "Lumenaut"]


def test_one_writer_per_folder(corpus_services: Services, tmp_path: Path) -> None:
    with FolderLock(tmp_path / ".lock"), pytest.raises(InputError, match="another batch run"):
        run_batch(corpus_services.store, ["Lumenaut"], BatchOptions(out=tmp_path, as_of=TODAY))
    with pytest.raises(InputError):
        run_batch(corpus_services.store, None, BatchOptions(out=tmp_path, workers=0))
