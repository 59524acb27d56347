"""Every write on visits. `planning` holds plan, approval, send-back, resubmit, cancel and overrides."""

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
    "visit_approve",
    "visit_cancel",
    "visit_override",
    "visit_plan",
    "visit_resubmit",
    "visit_send_back",
]
