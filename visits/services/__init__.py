"""Every write on visits. `planning` holds plan, approval, send-back, resubmit, cancel and overrides;
`notices` holds prior notice, answers, contacts and sending."""

from .notices import (
    complaint_record,
    contact_record,
    notice_answer,
    notice_lead_time_flag,
    notice_record,
    notice_send,
    notice_template_save,
    notify_supervisor_of_refusal,
    token_lookup,
    visit_plans_expire,
    visit_reminders_send,
    visits_resume,
)
from .planning import (
    RulesRefused,
    visit_approve,
    visit_cancel,
    visit_override,
    visit_plan,
    visit_resubmit,
    visit_send_back,
)

__all__ = [
    "RulesRefused",
    "complaint_record",
    "contact_record",
    "notice_answer",
    "notice_lead_time_flag",
    "notice_record",
    "notice_send",
    "notice_template_save",
    "notify_supervisor_of_refusal",
    "token_lookup",
    "visit_approve",
    "visit_cancel",
    "visit_override",
    "visit_plan",
    "visit_plans_expire",
    "visit_reminders_send",
    "visit_resubmit",
    "visit_send_back",
    "visits_resume",
]
