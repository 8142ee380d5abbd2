"""One home per concept: field labels and units on FieldSpec, Citation as profile evidence, one safe file
name, the LLM extractor through the backend's JSON method and its prompt file, signals by family."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from assistant.core.names import is_safe_name, safe_name
from assistant.core.records import Answer, Chunk, Citation
from assistant.core.settings import REPO_ROOT, Settings
from assistant.ingest.uploads import Uploads
from assistant.models.llm import FakeChat
from assistant.models.llm_queue import LLMQueue, QueuedChat
from assistant.profile import signals
from assistant.profile.build import profile_from_chunks
from assistant.profile.extract.llm import LLMFieldExtractor, backend_completer
from assistant.profile.render import render
from assistant.profile.schema import FIELD_SPECS, FieldValue, Profile, field_label, field_spec


def test_every_field_has_its_labels_and_unit_on_its_spec() -> None:
    for spec in FIELD_SPECS:
        assert spec.label("zh") and spec.label("en") and spec.label("zh") != spec.label("en"), spec.name
    revenue = field_spec("revenue")
    assert (revenue.label("zh"), revenue.label("en"), revenue.unit) == ("营业收入", "Revenue", None)
    assert field_spec("rd_ratio").unit == "%" and field_spec("employees").unit == "count"
    assert field_spec("cash_runway_months").unit == "months" and field_spec("founded").unit == "date"
    net = field_spec("net_profit")
    assert net.label("zh", negative=True) == "净亏损" and net.label("en", negative=True) == "Net loss"
    assert field_spec("revenue").label("en", negative=True) == "Revenue"  # no special label: the plain one
    assert field_spec("employees").counter_zh == "人" and field_spec("legal_name").counter_zh is None
    assert field_label("not_a_field_amount") == "not_a_field_amount"
    with pytest.raises(KeyError, match="unknown profile field 'revenu'"):
        field_spec("revenu")


def test_reports_take_their_labels_from_the_spec() -> None:
    evidence = [Citation(doc="annual_report_2023.pdf", page=4, quote="研发人员占比为41.20%")]
    fv = FieldValue(value=41.2, unit="%", period="2023", raw="41.20%", evidence=evidence, status="found")
    profile = Profile(
        company="Fictional Co", fields={"rd_staff_ratio": fv}, financials={"2023": {"rd_staff_ratio": fv}}
    )
    label = field_spec("rd_staff_ratio").label("en")
    assert f"| {label} |" in render(profile, "md")
    assert f"<td>{html.escape(label)}</td>" in render(profile, "html")


def test_profile_evidence_and_answer_citations_are_one_type() -> None:
    evidence = Citation(doc="plan.docx", page=None, quote="员工总数为86人")
    assert json.loads(evidence.model_dump_json()) == {
        "doc": "plan.docx",
        "page": None,
        "quote": "员工总数为86人",
    }
    fv = FieldValue(value=86, unit="count", evidence=[evidence], status="found")
    assert json.loads(fv.model_dump_json())["evidence"] == [
        {"doc": "plan.docx", "page": None, "quote": "员工总数为86人"}
    ]
    cited = Citation(n=1, company="Fictional Co", doc="plan.docx", page=3, chunk_id="c9", quote="q")
    answer = Answer(question="?", answer="a [1]", insufficient_evidence=False, citations=[cited], model="fake",
                    latency_s=0.1)  # fmt: skip
    assert json.loads(answer.model_dump_json())["citations"] == [
        {"n": 1, "company": "Fictional Co", "doc": "plan.docx", "page": 3, "chunk_id": "c9", "quote": "q"}
    ]
    assert Citation.model_validate(json.loads(evidence.model_dump_json())) == evidence


def test_one_safe_name_for_batch_files_and_upload_folders(tmp_path: Path) -> None:
    uploads = Uploads(None, Settings(store=tmp_path))  # type: ignore[arg-type]  # path_of needs no store

    def folder_name(company: str) -> str:
        return uploads.path_of(company, "report.pdf").parent.name

    for name in ("栖云智算", "Brightfold", "Acme Robotics", "Fictional Co., Ltd", "A_B Co"):
        assert safe_name(name) == name and folder_name(name) == name
    odd = ["A/B Co", "CON", "con.txt", "..", "_hidden", ".hidden", "Acme Inc.", " padded ", "a" * 300,
           "x:y*?", "tab\there", "\u3000", "é".replace("é", "e\u0301")]  # fmt: skip
    names = [safe_name(n, "company") for n in odd]
    assert len(set(names)) == len(names) and names == [folder_name(n) for n in odd]
    for unsafe, safe in zip(odd, names, strict=True):
        assert safe != unsafe and is_safe_name(safe), (unsafe, safe)
        assert len(safe) <= 90 and len(safe.encode()) <= 220 and not safe.startswith((".", "_"))
    assert safe_name("A/B Co").startswith("A_B Co-") and safe_name("A/B Co") != safe_name("A_B Co")
    assert safe_name("..", "company").startswith("company-")


def test_removing_a_document_deletes_its_upload_kept_by_an_earlier_version(tmp_path: Path) -> None:
    import hashlib

    uploads = Uploads(None, Settings(store=tmp_path))  # type: ignore[arg-type]  # remove needs no store
    old_hashed = uploads.root / ("company-" + hashlib.sha256(b"A/B Co").hexdigest()[:16]) / "plan.pdf"
    old_plain = uploads.root / "Acme Inc." / "plan.pdf"  # a trailing dot was a plain folder name before
    for path in (old_hashed, old_plain):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"%PDF-")
    assert uploads.remove("A/B Co", "plan.pdf") and not old_hashed.parent.exists()
    assert uploads.remove("Acme Inc.", "plan.pdf") and not old_plain.parent.exists()
    outside = tmp_path / "plan.pdf"
    outside.write_bytes(b"%PDF-")
    assert (
        not uploads.remove("..", "plan.pdf") and outside.exists()
    )  # never a file outside the uploads folder


CHUNKS = [
    Chunk(
        chunk_id="a",
        company="X",
        doc="memo.txt",
        page=None,
        text="X公司走访纪要。登记在册的计算机软件作品：17件。",
    ),
]


def test_the_extractor_asks_through_the_backend_with_the_prompt_file(tmp_path: Path) -> None:
    seen: list[Sequence[BaseMessage]] = []

    class Recording(FakeChat):
        def complete_json(
            self, messages: Sequence[BaseMessage], schema: dict[str, Any], max_tokens: int = 200
        ) -> str:
            seen.append(messages)
            return json.dumps(
                {"found": True, "passage": 1, "quote": "登记在册的计算机软件作品：17件", "value": "17件"}
            )

    queue = LLMQueue()
    extractor = LLMFieldExtractor(
        backend_completer(QueuedChat(inner=Recording, queue=queue)), REPO_ROOT / "prompts"
    )
    profile = profile_from_chunks(CHUNKS, "X", llm_extractor=extractor)
    assert profile.fields["software_copyrights"].value == 17
    system = (REPO_ROOT / "prompts" / "profile_extract.txt").read_text(encoding="utf-8").split("### user")[0]
    assert seen and all(str(m[0].content) in system for m in seen)
    assert any("Field: software_copyrights — " in str(m[1].content) for m in seen)

    (tmp_path / "profile_extract.txt").write_text("### system\nS\n### user\n{field}\n", encoding="utf-8")
    with pytest.raises(Exception, match="missing variables"):  # the file must use the extractor's variables
        LLMFieldExtractor(backend_completer(FakeChat()), tmp_path)


def _fv(value: float, period: str = "2023", unit: str = "CNY") -> FieldValue:
    quote = f"fictional figure {value}"
    return FieldValue(value=value, unit=unit, period=period, raw=str(value), status="found",
                      evidence=[Citation(doc="report.pdf", page=1, quote=quote)])  # fmt: skip


def test_signal_families_are_small_named_functions() -> None:
    fields = {"total_assets": _fv(1000.0), "total_liabilities": _fv(750.0)}
    (debt,) = signals.leverage_signals(fields)
    assert (debt.name, debt.kind, debt.value) == ("debt_ratio", "red_flag", 75.0) and len(debt.evidence) == 2
    fields["total_liabilities"] = _fv(750.0, period="2022")  # different periods: no computed ratio
    assert signals.leverage_signals(fields) == []
    losing = {"net_profit": _fv(-120.0), "cash": _fv(600.0), "operating_cash_flow": _fv(-1200.0)}
    (runway,) = signals.runway_signals(losing)
    assert runway.kind == "red_flag" and runway.value == 6.0 and runway.severity == "high"
    assert signals.runway_signals({"net_profit": _fv(50.0)}) == []
    every = signals.compute_signals(losing | fields, {}, [], [], [], [], [], date(2024, 6, 30))
    assert [s.name for s in every] == ["loss_making", "cash_runway"]
