"""The `assistant profile` command (registered by assistant.cli.main; tested here through its own parser)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from assistant.core.errors import InputError
from assistant.core.services import Services
from assistant.profile.command import add_parser, cmd_profile, resolve_company


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["profile", *argv])


def test_profile_json_to_stdout(corpus_services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    assert cmd_profile(_args("栖云智算", "--as-of", "2024-06-30"), corpus_services.settings) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["company"] == "栖云智算" and data["fields"]["revenue"]["value"] == 168_425_700
    assert data["reference_date"] == "2024-06-30"


def test_profile_html_to_file_by_alias(corpus_services: Services, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "brightfold.html"
    assert (
        cmd_profile(
            _args("Brightfold Robotics Inc.", "--format", "html", "--out", str(out)), corpus_services.settings
        )
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_unknown_company_and_bad_date(corpus_services: Services) -> None:
    with pytest.raises(InputError):
        resolve_company(corpus_services.store, "Nonexistent Widgets Ltd.")
    with pytest.raises(InputError):
        cmd_profile(_args("栖云智算", "--as-of", "yesterday"), corpus_services.settings)


def test_profile_with_a_verified_summary(
    corpus_services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cmd_profile(_args("栖云智算", "--as-of", "2024-06-30", "--summary"), corpus_services.settings) == 0
    )  # fake LLM
    data = json.loads(capsys.readouterr().out)
    assert (
        data["summary"]["text"].endswith("[1]")
        and data["summary"]["citations"][0]["doc"] == "annual_report_2023.pdf"
    )
