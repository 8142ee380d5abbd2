from pathlib import Path

from assistant.answer.followup import Session, Turn, rewrite
from assistant.core.services import Services
from assistant.ingest.pipeline import ingest_paths


def test_a_year_only_follow_up_replaces_the_year() -> None:
    last = Turn(question="What was Brightfold's revenue in 2023?", company="Brightfold")
    assert rewrite("What about 2022?", last, "Brightfold") == "What was Brightfold's revenue in 2022?"
    zh = Turn(question="栖云智算2023年的营业收入是多少？", company="栖云智算")
    assert rewrite("那2022年呢？", zh, "栖云智算") == "栖云智算2022年的营业收入是多少？"


def test_an_attribute_follow_up_keeps_company_and_year() -> None:
    zh = Turn(question="栖云智算2023年的营业收入是多少？", company="栖云智算")
    assert rewrite("那净利润呢？", zh, "栖云智算") == "栖云智算2023年的净利润是多少？"
    en = Turn(question="What was Brightfold's revenue in 2023?", company="Brightfold")
    assert rewrite("and net profit?", en, "Brightfold") == "What is Brightfold's net profit in 2023?"


def test_a_pronoun_becomes_the_company() -> None:
    last = Turn(question="What does Brightfold make?", company="Brightfold")
    assert rewrite("Who is its CEO?", last, "Brightfold") == "Who is Brightfold's CEO?"
    zh = Turn(question="铖泰精密的主营业务是什么？", company="铖泰精密")
    assert rewrite("该公司有多少名员工？", zh, "铖泰精密") == "铖泰精密有多少名员工？"


def test_a_follow_up_naming_another_company_swaps_it() -> None:
    last = Turn(question="What was Brightfold's revenue in 2023?", company="Brightfold")
    assert (
        rewrite("What about Tessavolt?", last, "Tessavolt", named=True)
        == "What was Tessavolt's revenue in 2023?"
    )


def test_a_standalone_question_is_left_alone() -> None:
    last = Turn(question="What was Brightfold's revenue in 2023?", company="Brightfold")
    assert rewrite("How many invention patents does Tessavolt hold?", last, "Tessavolt", named=True) is None
    assert rewrite("What about 2022?", None, None) is None


def test_session_follow_up_is_answered_as_a_standalone_question(fake_services: Services, docs: Path) -> None:
    ingest_paths([docs], fake_services.store, fake_services.settings)
    session = Session()
    first = fake_services.answerer.ask("星河科技2023年营业收入是多少？", session=session)
    assert first.company == "星河科技" and first.standalone_question is None
    follow = fake_services.answerer.ask("那2019年呢？", session=session)
    assert follow.standalone_question == "星河科技2019年营业收入是多少？"
    assert follow.company == "星河科技"
    assert follow.insufficient_evidence  # no passage mentions 2019: refused, not answered with 2023's figure
    assert [t.question for t in session.turns] == [
        "星河科技2023年营业收入是多少？",
        "星河科技2019年营业收入是多少？",
    ]


def test_relative_years_count_from_the_previous_question() -> None:
    last = Turn(question="What was Brightfold's revenue in 2023?", company="Brightfold")
    assert rewrite("And the year before?", last, "Brightfold") == "What was Brightfold's revenue in 2022?"
    zh = Turn(question="栖云智算2023年的营业收入是多少？", company="栖云智算")
    assert rewrite("上一年呢？", zh, "栖云智算") == "栖云智算2022年的营业收入是多少？"
