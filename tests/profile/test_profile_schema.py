"""The profile JSON is a public contract (issue 5, item 1)."""

from __future__ import annotations

import inspect
import json

import pydantic

from assistant.profile import REQUIRED_FIELDS, Profile, schema

ISSUE_FIELDS = [
    "legal_name",
    "english_name",
    "unified_social_credit_code",
    "legal_representative",
    "founded",
    "registered_capital",
    "headquarters",
    "industry",
    "main_business",
    "employees",
    "rd_staff",
    "rd_staff_ratio",
    "rd_expense",
    "rd_ratio",
    "revenue",
    "net_profit",
    "gross_margin",
    "operating_cash_flow",
    "total_assets",
    "total_liabilities",
    "debt_ratio",
    "patents_total",
    "invention_patents",
    "utility_model_patents",
    "software_copyrights",
    "top1_customer_share",
    "top5_customer_share",
    "latest_financing_round",
]


def test_required_field_names_are_the_issues() -> None:
    assert list(REQUIRED_FIELDS) == ISSUE_FIELDS


def test_every_schema_field_is_described() -> None:
    for name, cls in vars(schema).items():
        if inspect.isclass(cls) and issubclass(cls, pydantic.BaseModel) and cls.__module__ == schema.__name__:
            undocumented = [f for f, info in cls.model_fields.items() if not info.description]
            assert not undocumented, (name, undocumented)


def test_profile_json_shape(profiles: dict[str, Profile]) -> None:
    for company, profile in profiles.items():
        data = json.loads(profile.model_dump_json())
        assert {
            "company",
            "aliases",
            "as_of",
            "fields",
            "financials",
            "lists",
            "checks",
            "signals",
            "conflicts",
            "summary",
        } <= set(data), company
        assert set(ISSUE_FIELDS) <= set(data["fields"]), company
        assert set(data["lists"]) == {
            "financing_rounds",
            "qualifications",
            "patents",
            "lawsuits",
            "top_customers",
        }
        assert set(data["summary"]) == {"text", "citations"} and data["summary"]["text"] == ""
        for name, fv in data["fields"].items():
            assert {"value", "unit", "period", "raw", "evidence", "confidence", "status"} <= set(fv), name
            assert fv["status"] in ("found", "conflict", "unknown")
            if fv["status"] == "unknown":
                assert fv["value"] is None and fv["evidence"] == [] and fv["looked_in"], (company, name)
            else:
                assert fv["value"] is not None and fv["evidence"], (company, name)
                assert all(set(e) == {"doc", "page", "quote"} for e in fv["evidence"])
        for year, row in data["financials"].items():
            assert year.isdigit()
            assert all(fv["period"] == year for fv in row.values())
        for check in data["checks"]:
            assert set(check) == {"name", "rule_version", "result", "inputs", "missing", "explanation"}
            assert check["result"] in ("pass", "fail", "unknown")
        assert Profile.model_validate(data) == profile


def test_normalised_units(profiles: dict[str, Profile]) -> None:
    qiyun = profiles["栖云智算"].fields
    assert (
        qiyun["revenue"].value == 168_425_700
        and qiyun["revenue"].unit == "CNY"
        and qiyun["revenue"].raw == "16,842.57万元"
    )
    assert qiyun["gross_margin"].value == 38.6 and qiyun["gross_margin"].unit == "%"
    assert qiyun["employees"].value == 286 and qiyun["employees"].unit == "count"
    assert qiyun["founded"].value == "2017-04-18" and qiyun["founded"].unit == "date"
    bright = profiles["Brightfold"].fields
    assert bright["revenue"].value == 18_742_000 and bright["revenue"].unit == "USD"  # "in thousands of USD"
    assert bright["net_profit"].value == -3_218_000
    assert profiles["Tessavolt"].fields["revenue"].value == 27_600_000  # "$ million"
    assert profiles["绿湃储能"].fields["net_profit"].value == -6_428_315.4  # 元 with two decimals
