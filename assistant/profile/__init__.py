"""Company profiles (issue 5): typed fields with evidence, reconciliation of conflicting documents,
qualification checks, credit signals and red flags, and JSON / Markdown / HTML reports.

    from assistant.profile import build_profile, render
    profile = build_profile(store, "栖云智算")
    print(render(profile, "md"))
"""

from assistant.profile.build import build_profile, profile_from_chunks
from assistant.profile.schema import FIELD_NAMES, REQUIRED_FIELDS, FieldValue, Profile

__all__ = ["FIELD_NAMES", "REQUIRED_FIELDS", "FieldValue", "Profile", "build_profile", "profile_from_chunks"]
