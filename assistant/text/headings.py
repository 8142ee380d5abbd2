"""The home of section headings in running text: "# Overview", "第三节 管理层讨论与分析", "一、主要业务" — a line
that names what follows and says nothing itself."""

from __future__ import annotations

import re

HEADING = re.compile(
    r"^\s{0,3}(#{1,6}\s+.+|第[一二三四五六七八九十百\d]+[章节部分].*|[一二三四五六七八九十]+、.{1,40})$"
)
HEADING_MAX = 60  # characters: a longer line of that shape is a numbered paragraph


def is_heading(line: str) -> bool:
    """Whether a line is a section heading."""
    return bool(HEADING.match(line)) and len(line) <= HEADING_MAX
