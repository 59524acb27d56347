"""Every write on cases. `case` holds the per-case services and transitions; `placement` the bulk import."""

from .bulk import (
    case_change_supervisor,
    cases_bulk_assign_agents,
    cases_bulk_change_supervisor,
    cases_export_csv,
)
from .case import (
    address_add,
    address_invalidate,
    address_time_zone_set,
    address_verify,
    assessment_record,
    case_assign_agents,
    case_share,
    case_unshare,
    case_unverify,
    case_verify,
    document_add,
    grant_case_access,
    identity_check_record,
    identity_check_revoke,
    pii_reveal,
)
from .disputes import complaint_record, complaint_resolve, dispute_open, dispute_resolve
from .facts import (
    consent_record,
    consent_withdraw,
    debtor_fact_lift,
    debtor_fact_record,
    debtor_finances_record,
)
from .phones import phone_add, phone_invalidate, phone_verify
from .placement import (
    ImportReport,
    placement_assign_round_robin,
    placement_import,
    placement_upload_confirm,
    placement_upload_preview,
)
from .saved_filters import saved_filter_create, saved_filter_delete
from .stage import case_can_move, case_stage_move

__all__ = [
    "ImportReport",
    "address_add",
    "address_invalidate",
    "address_time_zone_set",
    "address_verify",
    "assessment_record",
    "case_assign_agents",
    "case_can_move",
    "case_change_supervisor",
    "case_share",
    "case_stage_move",
    "case_unshare",
    "case_unverify",
    "case_verify",
    "cases_bulk_assign_agents",
    "cases_bulk_change_supervisor",
    "cases_export_csv",
    "complaint_record",
    "complaint_resolve",
    "consent_record",
    "consent_withdraw",
    "debtor_fact_lift",
    "debtor_fact_record",
    "debtor_finances_record",
    "dispute_open",
    "dispute_resolve",
    "document_add",
    "grant_case_access",
    "identity_check_record",
    "identity_check_revoke",
    "phone_add",
    "phone_invalidate",
    "phone_verify",
    "pii_reveal",
    "placement_assign_round_robin",
    "placement_import",
    "placement_upload_confirm",
    "placement_upload_preview",
    "saved_filter_create",
    "saved_filter_delete",
]
