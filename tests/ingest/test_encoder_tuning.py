"""The encoder's threads and batch size come from timing this machine, once (kept in a file), not a constant."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.models import embeddings as emb


class Timed:
    """Stands in for the encoder: the time a setting takes is what the test says."""

    def __init__(self, seconds: dict[tuple[int, int], float]) -> None:
        self.seconds, self.calls = seconds, []  # type: ignore[var-annotated]

    def encode_with(self, texts: list[str], threads: int, batch_size: int) -> Any:
        self.calls.append((threads, batch_size))
        time.sleep(self.seconds.get((threads, batch_size), 0.05))


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "_MEASURED", {})
    monkeypatch.setattr(emb, "PROBE_TEXTS", 4)
    monkeypatch.setattr(emb, "_busy_seconds", lambda: None)  # the shared machine's load is not the test's


def test_the_fastest_setting_is_chosen_and_kept(tmp_path: Path) -> None:
    model = Timed({(1, 16): 0.04, (2, 16): 0.02, (2, 8): 0.03, (2, 32): 0.012, (2, 64): 0.03})
    file = tmp_path / "cache" / emb.TUNING_FILE
    got = emb.tune(model, None, None, 2, file)  # type: ignore[arg-type]
    assert (got["threads"], got["batch_size"], got["source"]) == (2, 32, "measured")
    assert set(got["texts_per_s"]) == {"1/16", "2/16", "2/8", "2/32", "2/64"}
    saved = json.loads(file.read_text(encoding="utf-8"))
    assert list(saved.values())[0] == got["texts_per_s"]
    # the next load (another process: nothing in memory) reads the file and measures nothing
    emb._MEASURED.clear()
    again = Timed({})
    got = emb.tune(again, None, None, 2, file)  # type: ignore[arg-type]
    assert (got["threads"], got["batch_size"], got["source"]) == (2, 32, "cached") and again.calls == []
    # unless told to measure afresh
    got = emb.tune(again, None, None, 2, file, remeasure=True)  # type: ignore[arg-type]
    assert got["source"] == "measured" and again.calls


def test_fewer_threads_win_when_more_do_not_help(tmp_path: Path) -> None:
    model = Timed({(1, 16): 0.03, (2, 16): 0.03, (1, 8): 0.03, (1, 32): 0.03, (1, 64): 0.03})
    got = emb.tune(model, None, None, 2, None)  # type: ignore[arg-type]
    assert (got["threads"], got["batch_size"]) == (1, 8)  # as fast: one thread, the smallest batch


def test_given_settings_are_kept_and_only_the_rest_measured() -> None:
    model = Timed({(2, 8): 0.01})
    got = emb.tune(model, 2, None, 4, None)  # type: ignore[arg-type]
    assert got["threads"] == 2 and got["batch_size"] == 8
    assert {t for t, _ in model.calls} == {2}


def test_a_failed_measurement_falls_back_without_failing_the_load() -> None:
    class Broken:
        def encode_with(self, *args: object) -> None:
            raise MemoryError("no room")

    got = emb.tune(Broken(), None, None, 2, None)  # type: ignore[arg-type]
    assert (got["threads"], got["batch_size"], got["source"]) == (2, 32, "default")


def test_probe_texts_are_of_a_chunks_size_in_both_languages() -> None:
    texts = emb.probe_texts(6)
    assert texts == emb.probe_texts(6)  # deterministic
    assert all(len(t) == 340 for t in texts[0::2]) and all(len(t) == 170 for t in texts[1::2])
    assert all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in texts[1::2])


def test_a_measurement_on_a_busy_machine_is_used_but_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(range(0, 10_000, 50))  # the machine's busy seconds jump 50 s between readings: others busy
    monkeypatch.setattr(emb, "_busy_seconds", lambda: float(next(clock)))
    file = tmp_path / emb.TUNING_FILE
    got = emb.tune(Timed({(2, 16): 0.01}), None, None, 2, file)  # type: ignore[arg-type]
    assert got["source"] == "measured on a busy machine (not kept)" and got["other_cores_while_measuring"] > 1
    assert got["threads"] == 2 and not file.exists()
