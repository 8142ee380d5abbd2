"""The schema-constrained LLM extractor, with a scripted completer standing in for llama.cpp."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from assistant.core.records import Chunk
from assistant.profile.build import profile_from_chunks
from assistant.profile.extract.llm import SCHEMA, LLMFieldExtractor, to_candidate

CHUNKS = [
    Chunk(chunk_id="a", company="X", doc="memo.txt", page=None,
          text="X公司走访纪要。登记在册的计算机软件作品：17件（均在有效期内）。"),
    Chunk(chunk_id="b", company="X", doc="memo.txt", page=None, text="公司总部位于江苏省苏州市。"),
]  # fmt: skip


def test_a_reply_backed_by_its_passage_becomes_a_profile_value() -> None:
    asked: list[dict[str, Any]] = []

    def complete(messages: Sequence[BaseMessage], schema: dict[str, Any]) -> str:
        asked.append(schema)
        if "software_copyrights" in str(messages[-1].content):
            return json.dumps(
                {"found": True, "passage": 1, "quote": "登记在册的计算机软件作品：17件", "value": "17件"}
            )
        return json.dumps({"found": False, "passage": 0, "quote": "", "value": ""})

    assert profile_from_chunks(CHUNKS, "X").fields["software_copyrights"].status == "unknown"  # rules miss it
    profile = profile_from_chunks(CHUNKS, "X", llm_extractor=LLMFieldExtractor(complete))
    value = profile.fields["software_copyrights"]
    assert value.value == 17 and value.evidence[0].quote == "登记在册的计算机软件作品：17件"
    assert asked and all(s == SCHEMA for s in asked)


def test_an_invented_or_misquoted_reply_is_dropped() -> None:
    invented = {"found": True, "passage": 1, "quote": "登记在册的计算机软件作品：17件", "value": "27件"}
    assert to_candidate("software_copyrights", invented, CHUNKS) is None
    misquoted = {"found": True, "passage": 1, "quote": "登记的计算机软件作品：17件", "value": "17件"}
    assert to_candidate("software_copyrights", misquoted, CHUNKS) is None
    wrong_passage = {"found": True, "passage": 2, "quote": "登记在册的计算机软件作品：17件", "value": "17件"}
    assert to_candidate("software_copyrights", wrong_passage, CHUNKS) is None
    text = {"found": True, "passage": 2, "quote": "公司总部位于江苏省苏州市", "value": "江苏省苏州市"}
    assert to_candidate("headquarters", text, CHUNKS).value == "江苏省苏州市"
