"""Every write on visits. `planning` holds plan, approval, send-back, resubmit, cancel and overrides;
`notices` prior notice, answers, sending and notice texts; `contacts` every other contact and the
resumption of visits; `scheduled` the beat jobs; `public` the debtor's verification page."""

from .contacts import contact_record, visits_resume
from .notices import (
    notice_answer,
    notice_record,
    notice_send,
    notice_template_save,
    notify_supervisor_of_refusal,
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
from .public import complaint_record, token_lookup
from .scheduled import notice_lead_time_flag, visit_plans_expire, visit_reminders_send

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
