"""Every write on cases. `case` holds the per-case services and transitions; `placement` the bulk import."""

from .case import (
    address_add,
    address_invalidate,
    address_verify,
    assessment_record,
    case_assign_agents,
    case_unverify,
    case_verify,
    document_add,
    grant_case_access,
    identity_check_record,
    identity_check_revoke,
    pii_reveal,
)

__all__ = [
    "address_add",
    "address_invalidate",
    "address_verify",
    "assessment_record",
    "case_assign_agents",
    "case_unverify",
    "case_verify",
    "document_add",
    "grant_case_access",
    "identity_check_record",
    "identity_check_revoke",
    "pii_reveal",
]
