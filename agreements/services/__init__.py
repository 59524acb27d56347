"""Every write of the agreements stage. `agreements` drafts, approves and signs repayment agreements
(also through the debtor's one-time link); `payments` records and imports payments and allocates them;
`followups` the follow-up plans; `closure` escalation, closure and reopening; `scheduled` the beat jobs
(reminders, overdue marking, broken agreements, promise tracking)."""

from .acknowledgements import acknowledgement_record
from .agreements import (
    agreement_approve,
    agreement_cancel,
    agreement_draft,
    agreement_editable,
    agreement_redraft,
    agreement_sign,
    agreement_sign_remote,
    agreement_submit,
    link_identify,
    link_lookup,
    parse_signature,
    signing_link_send,
)
from .closure import case_close, case_escalate, case_recall, case_reopen
from .followups import follow_up_done, follow_up_plan
from .payments import (
    parse_payment_records,
    parse_payments,
    payment_record,
    payments_import,
    payments_import_rows,
)
from .reviews import review_complete, reviews_schedule
from .scheduled import agreements_break, overdue_mark, promises_track, reminders_send

__all__ = [
    "acknowledgement_record",
    "agreement_approve",
    "agreement_cancel",
    "agreement_draft",
    "agreement_editable",
    "agreement_redraft",
    "agreement_sign",
    "agreement_sign_remote",
    "agreement_submit",
    "agreements_break",
    "case_close",
    "case_escalate",
    "case_recall",
    "case_reopen",
    "follow_up_done",
    "follow_up_plan",
    "link_identify",
    "link_lookup",
    "overdue_mark",
    "parse_payment_records",
    "parse_payments",
    "parse_signature",
    "payment_record",
    "payments_import",
    "payments_import_rows",
    "promises_track",
    "reminders_send",
    "review_complete",
    "reviews_schedule",
    "signing_link_send",
]
