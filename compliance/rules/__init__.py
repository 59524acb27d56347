"""The one rules module: pure checks over plain facts, returning `Failure(code, message, source)` lists.

`stage1` holds the intake/verification checks and the PRC ID check digit; `visits` the visit checks
of COMPLIANCE.md (planning, approval, notice, check-in) and the rule-pack parameters they read.
"""

from .stage1 import (
    SOURCE_MANDATE,
    SOURCE_VERIFICATION,
    CaseFacts,
    MandateFacts,
    VerificationFacts,
    check_mandate_valid,
    check_verification,
    resident_id_check_char,
    resident_id_problem,
)
from .visits import (
    CHECKS,
    CHECKS_BY_MOMENT,
    AgentFacts,
    PackParams,
    VisitFacts,
    check_visit,
)

__all__ = [
    "CHECKS",
    "CHECKS_BY_MOMENT",
    "SOURCE_MANDATE",
    "SOURCE_VERIFICATION",
    "AgentFacts",
    "CaseFacts",
    "MandateFacts",
    "PackParams",
    "VerificationFacts",
    "VisitFacts",
    "check_mandate_valid",
    "check_verification",
    "check_visit",
    "resident_id_check_char",
    "resident_id_problem",
]
