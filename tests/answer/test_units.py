"""Answer verification on figures written with other scales (fictional figures); the parser itself is tested in
``test_figures``."""

from assistant.answer.figure_checks import unsupported_numbers
from assistant.answer.query import Query


def test_verification_accepts_wan_yuan_and_rejects_a_fabricated_figure() -> None:
    passages = ["研发投入合计 31,572,004.18 元"]
    assert unsupported_numbers("研发投入约3,157.20万元 [1]", passages) == []
    assert unsupported_numbers("研发投入约0.32亿元 [1]", passages) == []
    assert unsupported_numbers("研发投入约3,257.20万元 [1]", passages) == ["3257.20"]
    assert unsupported_numbers("R&D was $31.6 million [1]", ["R&D expense: $31,572 thousand"]) == []
    assert unsupported_numbers("R&D was $41.6 million [1]", ["R&D expense: $31,572 thousand"]) == ["41.6"]


def test_a_calculation_on_cited_figures_is_verified_and_a_wrong_one_is_not() -> None:
    from assistant.answer.verify import verify
    from assistant.core.records import Chunk, Evidence

    table = "| | 2019 | 2018 | 2017 |\nActive users | 31,720 | 28,450 | 26,010\nDevices sold | 12,400 | 11,250 | 10,980"
    passages = [
        Evidence(chunk=Chunk(chunk_id="x", company="F", doc="d.txt", page=None, text=table), score=0.5)
    ]
    question = "By how much did Lumio's active users change from 2018 to 2019 (thousands)?"
    ok = verify("Active users grew by 3,270 thousand [1].", Query.parse(question, "Lumio"), passages)
    assert not ok.problem and ok.cited == [1]
    wrong = verify("Active users grew by 3,370 thousand [1].", Query.parse(question, "Lumio"), passages)
    assert "3370" in wrong.problem
    pct = verify(
        "Devices sold increased by 10.2% [1].",
        Query.parse("Devices sold: percent change 2018 to 2019?", "Lumio"),
        passages,
    )
    assert not pct.problem
    # not a calculation question: a figure absent from the passages stays unsupported
    assert verify(
        "Lumio has 3,270 stores [1].", Query.parse("How many stores does Lumio have?", "Lumio"), passages
    ).problem
