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
from .disputes import complaint_record, complaint_resolve, dispute_open, dispute_resolve
from .placement import (
    ImportReport,
    placement_assign_round_robin,
    placement_import,
    placement_upload_confirm,
    placement_upload_preview,
)

__all__ = [
    "ImportReport",
    "address_add",
    "address_invalidate",
    "address_verify",
    "assessment_record",
    "case_assign_agents",
    "case_unverify",
    "case_verify",
    "complaint_record",
    "complaint_resolve",
    "dispute_open",
    "dispute_resolve",
    "document_add",
    "grant_case_access",
    "identity_check_record",
    "identity_check_revoke",
    "pii_reveal",
    "placement_assign_round_robin",
    "placement_import",
    "placement_upload_confirm",
    "placement_upload_preview",
]
