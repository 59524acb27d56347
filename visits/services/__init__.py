"""Every write on visits. `planning` holds plan, approval, send-back, resubmit, cancel and overrides;
`notices` prior notice, answers, sending and notice texts; `contacts` every other contact and the
resumption of visits; `scheduled` the beat jobs; `public` the debtor's verification page; `onsite` the
check-in, the visit log, attestations, completion and abort; `review` the supervisor's review of the
log; `evidence` photos, recordings, the statement handed over and the visit report."""

from .contacts import contact_record, visits_resume
from .evidence import evidence_add, evidence_open, statement_hand_over, statement_preview_pdf, visit_report
from .notices import (
    notice_answer,
    notice_delivered,
    notice_record,
    notice_send,
    notice_template_save,
    notices_requeue_stuck,
    notify_supervisor_of_refusal,
)
from .onsite import (
    Position,
    notify_log_submitted,
    visit_abort,
    visit_attest,
    visit_check_in,
    visit_complete,
    visit_log_save,
)
from .planning import (
    visit_approve,
    visit_cancel,
    visit_override,
    visit_plan,
    visit_resubmit,
    visit_send_back,
)
from .public import complaint_record, token_lookup
from .review import visit_log_accept, visit_log_resubmit, visit_log_return
from .scheduled import notice_lead_time_flag, visit_plans_expire, visit_reminders_send
from .sms_receipts import sms_receipt_record, sms_receipts_pull

__all__ = [
    "Position",
    "complaint_record",
    "contact_record",
    "evidence_add",
    "evidence_open",
    "notice_answer",
    "notice_delivered",
    "notice_lead_time_flag",
    "notice_record",
    "notice_send",
    "notice_template_save",
    "notices_requeue_stuck",
    "notify_log_submitted",
    "notify_supervisor_of_refusal",
    "sms_receipt_record",
    "sms_receipts_pull",
    "statement_hand_over",
    "statement_preview_pdf",
    "token_lookup",
    "visit_abort",
    "visit_approve",
    "visit_attest",
    "visit_cancel",
    "visit_check_in",
    "visit_complete",
    "visit_log_accept",
    "visit_log_resubmit",
    "visit_log_return",
    "visit_log_save",
    "visit_override",
    "visit_plan",
    "visit_plans_expire",
    "visit_reminders_send",
    "visit_report",
    "visit_resubmit",
    "visit_send_back",
    "visits_resume",
]
