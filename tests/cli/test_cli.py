"""The CLI's public interface: JSON shapes and one-line errors with non-zero exits."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli.main import main


def test_ingest_companies_search_ask_json(cli, docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("ingest", str(docs), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [f["status"] for f in report["files"]] == ["stored", "stored"]

    assert cli("companies", "--json") == 0
    assert [c["company"] for c in json.loads(capsys.readouterr().out)] == ["Acme", "星河科技"]

    # without --company the query's own company is searched, as ask resolves it; none named: all companies
    assert cli("search", "星河科技 研发投入", "-k", "3", "--json") == 0
    out = capsys.readouterr()
    assert "(searched 星河科技)" in out.err and {h["company"] for h in json.loads(out.out)} == {"星河科技"}
    assert cli("search", "revenue", "-k", "5", "--json") == 0
    out = capsys.readouterr()
    assert "(searched all companies)" in out.err and {h["company"] for h in json.loads(out.out)} == {
        "Acme",
        "星河科技",
    }

    assert cli("search", "营业收入 2023", "--company", "星河科技", "-k", "3", "--json") == 0
    hits = json.loads(capsys.readouterr().out)
    assert list(hits[0]) == ["rank", "score", "company", "doc", "page", "chunk_id", "text"]
    assert hits[0]["rank"] == 1 and hits[0]["doc"] == "news.md" and hits[0]["company"] == "星河科技"

    assert cli("ask", "What was revenue in fiscal 2023?", "--company", "Acme", "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    assert list(answer)[:6] == [
        "question",
        "answer",
        "insufficient_evidence",
        "citations",
        "model",
        "latency_s",
    ]
    assert answer["path"] == "computed" and answer["company"] == "Acme"  # a figure: from the facts
    assert answer["insufficient_evidence"] is False
    assert list(answer["citations"][0]) == ["n", "company", "doc", "page", "chunk_id", "quote"]
    assert answer["citations"][0]["doc"] == "notes.txt"


def test_reingest_reports_unchanged(cli, docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli("ingest", str(docs))
    capsys.readouterr()
    assert cli("ingest", str(docs)) == 0
    out = capsys.readouterr().out
    assert "2 unchanged" in out and "0 stored" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "error: the question is empty"),
        (["ask", "revenue?", "--company", "Nobody"], "error: unknown company 'Nobody'"),
        (["search", " "], "error: the query is empty"),
    ],
)
def test_bad_input_one_line_error(cli, docs: Path, capsys, args: list[str], message: str) -> None:
    cli("ingest", str(docs))
    capsys.readouterr()
    assert cli(*args) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and "\n" not in err and "Traceback" not in err


def test_missing_path_and_unsupported_type(cli, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope"
    assert cli("ingest", str(missing)) == 1
    assert f"{missing}: no such file or directory" in capsys.readouterr().out
    bad = tmp_path / "deck.pptx"
    bad.write_bytes(b"PK\x03\x04")
    assert cli("ingest", str(bad), "--company", "Acme") == 1
    assert "deck.pptx: unsupported file type '.pptx'" in capsys.readouterr().out


def test_console_script_no_traceback(tmp_path: Path) -> None:
    """The installed entry point itself, in a subprocess: a clean one-line error."""
    exe = Path(sys.executable).parent / "assistant"
    proc = subprocess.run(
        [str(exe), "--store", str(tmp_path / "s"), "--llm", "fake", "--embeddings", "fake", "ask", "  "],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: the question is empty"


def test_invalid_backend_name(cli, capsys) -> None:
    assert main(["--llm", "gpt-9000", "companies"]) == 2
    assert "invalid setting llm_backend" in capsys.readouterr().err


def test_delete_document_and_company(cli, docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli("ingest", str(docs))
    capsys.readouterr()
    assert cli("delete", "notes.txt", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": ["Acme/notes.txt"]}
    assert cli("delete", "notes.txt") == 2
    assert "no stored document 'notes.txt'" in capsys.readouterr().err
    assert cli("delete", "--company", "星河科技") == 0
    assert "deleted   星河科技/news.md" in capsys.readouterr().out
    cli("companies", "--json")
    assert json.loads(capsys.readouterr().out) == []


def test_ingest_report_shows_reader_quality_and_reasons(cli, docs: Path, capsys) -> None:
    (docs / "Acme" / "empty.txt").write_bytes(b"")
    assert cli("ingest", str(docs)) == 1
    out = capsys.readouterr().out
    assert "stored" in out and "quality 1.00" in out
    assert "empty.txt: the file is empty" in out
    assert "1 failed" in out


def test_every_help_page_renders(capsys: pytest.CaptureFixture[str]) -> None:
    """`assistant --help` and each command's --help print (a stray "%" in a help text breaks argparse)."""
    from assistant.cli.main import build_parser

    parser = build_parser()
    subparsers = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for argv in [["--help"], *[[name, "--help"] for name in subparsers]]:
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0, argv
        assert "usage:" in capsys.readouterr().out, argv
