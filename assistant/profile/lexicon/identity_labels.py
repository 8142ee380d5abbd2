"""Labels a document prints before a company's identity fields ("法定代表人：", "公司的中文名称 |", "Legal name:"):
field → (label regex, priority). The profile's identity extraction reads values after them; retrieval ranks the
rows that carry them for a question naming the label."""

from __future__ import annotations

IDENTITY_LABELS: tuple[tuple[str, str, int], ...] = (
    (
        "legal_name",
        r"公司的中文名称|公司中文名称|中文名称|公司名称|企业名称|发行人名称|公司全称|Legal name|Company name|"
        r"Registered name",
        10,
    ),
    ("english_name", r"公司的外文名称|公司英文名称|英文名称|英文全称|外文名称|English name", 10),
    (
        "unified_social_credit_code",
        r"统一社会信用代码|社会信用代码|信用代码|USCC|Unified social credit code",
        10,
    ),
    ("legal_representative", r"公司的法定代表人|法定代表人|法人代表|Legal representative", 10),
    ("legal_representative", r"Chief Executive Officer(?: and director)?|CEO|首席执行官", 8),
    (
        "founded",
        r"(?:有限公司)?成立日期|成立时间|注册日期|Founded|Incorporated|Date of incorporation|Established|"
        r"Incorporation date",
        10,
    ),
    ("registered_capital", r"注册资本|Registered capital", 10),
    ("paid_in_capital", r"实收资本|实缴资本|Paid-in capital", 10),
    ("headquarters", r"总部(?:地址|所在地)?|Headquarters|Registered office and headquarters|Head office", 10),
    ("headquarters", r"注册地址|住所|Registered office|Registered address", 8),
    ("industry", r"所属行业|行业分类|Industry", 10),
    ("main_business", r"主营业务|Main business|Principal activities", 10),
    ("main_business", r"主营产品|主要产品|Main products?", 9),
    ("main_business", r"经营范围|Business scope", 8),
    ("actual_controller", r"(?:控股股东(?:及|、)?)?实际控制人|Actual controller|Controlling shareholder", 10),
)
