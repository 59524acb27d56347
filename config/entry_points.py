"""The registry of what can reach a debtor or move a case, and from where (issue 15 point 7).

`SERVICES`: every service that contacts a debtor ("contact") or moves a case's stage ("stage"), with
the rules that judge it. Every contact passes the one contact gate (visits/services/gate.py: hours in
every zone, per-channel caps, cease / represented / dispute / vulnerable, SMS only to verified numbers,
LIMITATION for legal threats), recorded as a decision `contact.<purpose>`; every stage move asks the
case's state machine (django-fsm-2 `protected` transitions on `Case.stage`) inside its service's
transaction, after the service's policy and rule checks.

`ENTRY_POINTS`: every view, API endpoint, management command and beat task that calls one of them.

tests/test_entry_points.py reads the services' and the entry points' source (tests/entry_point_scan.py):
a new service that contacts or moves a stage, or a new URL, API endpoint, command or beat task that calls
one, fails the suite until it is described here — as tests/test_object_urls.py does for object URLs.
"""

from __future__ import annotations

GATE = "contact gate (visits/services/gate.py)"
FSM = "case state machine (cases/models.py Case.stage)"

# service name -> (what it does, the rules that judge it)
SERVICES: dict[str, tuple[frozenset[str], str]] = {
    # contacts with the debtor
    "contact_record": (frozenset({"contact"}), f"{GATE}: contact.recorded"),
    "notice_record": (
        frozenset({"contact", "stage"}),
        f"visit rules at the notice moment; {GATE}: contact.notice; {FSM}: give_notice",
    ),
    "notice_send": (frozenset({"contact"}), f"{GATE} again when the task sends: contact.notice"),
    "signing_link_send": (frozenset({"contact"}), f"{GATE}: contact.signing_link"),
    "reminders_send": (frozenset({"contact"}), f"{GATE}: contact.reminder (through instalment_remind)"),
    "instalment_remind": (frozenset({"contact"}), f"{GATE}: contact.reminder"),
    "case_escalate": (
        frozenset({"contact", "stage"}),
        f"{GATE}: contact.lawyer_letter (LIMITATION); legal_threat rules for a referral; {FSM}: escalate",
    ),
    # stage moves
    "case_verify": (frozenset({"stage"}), f"verification rules (stage 1); {FSM}: verify"),
    "case_unverify": (frozenset({"stage"}), f"{FSM}: unverify"),
    "identity_check_revoke": (frozenset({"stage"}), f"{FSM}: unverify (the debtor's verified cases)"),
    "address_invalidate": (frozenset({"stage"}), f"{FSM}: unverify (the debtor's verified cases)"),
    "dispute_open": (frozenset({"stage"}), f"{FSM}: hold"),
    "dispute_resolve": (frozenset({"stage"}), f"{FSM}: release_hold"),
    "visit_plan": (frozenset({"stage"}), f"visit rules at planning; {FSM}: plan_visit"),
    "visit_cancel": (frozenset({"stage"}), f"{FSM}: drop_visit_plan"),
    "visit_plans_expire": (frozenset({"stage"}), f"{FSM}: drop_visit_plan"),
    "notice_answer": (frozenset({"stage"}), f"{FSM}: refuse_visits"),
    "visits_resume": (frozenset({"stage"}), f"the pack's VISIT_REFUSED override; {FSM}: resume_visits"),
    "visit_check_in": (frozenset({"stage"}), f"visit rules at check-in; {FSM}: start_on_site"),
    "visit_complete": (
        frozenset({"stage"}),
        f"on-site rules at completion; {FSM}: log_conversation, follow_up_after_visit or refuse_visits",
    ),
    "visit_abort": (frozenset({"stage"}), f"{FSM}: follow_up_after_visit"),
    "agreement_sign": (frozenset({"stage"}), f"agreement rules at signing; {FSM}: sign_agreement"),
    "agreement_cancel": (frozenset({"stage"}), f"{FSM}: back_to_follow_up"),
    "agreements_break": (frozenset({"stage"}), f"the pack's agreement grace; {FSM}: back_to_follow_up"),
    "case_close": (frozenset({"stage"}), f"closure evidence; {FSM}: close"),
    "case_reopen": (frozenset({"stage"}), f"{FSM}: reopen"),
    "case_recall": (frozenset({"stage"}), f"{FSM}: close (recalled by the creditor)"),
}

# entry point ("url:<namespace:name>", "command:<name>", "beat:<task>") -> the services it calls
ENTRY_POINTS: dict[str, frozenset[str]] = {
    # beat tasks
    "beat:agreements.tasks.daily_follow_up": frozenset({"agreements_break"}),
    "beat:agreements.tasks.send_payment_reminders": frozenset({"reminders_send"}),
    "beat:visits.tasks.expire_unapproved_plans": frozenset({"visit_plans_expire"}),
    # management commands
    "command:seed_demo": frozenset({"case_verify"}),
    # pages
    "url:agreements:agreement-cancel": frozenset({"agreement_cancel"}),
    "url:agreements:agreement-sign": frozenset({"agreement_sign"}),
    "url:agreements:close": frozenset({"case_close"}),
    "url:agreements:escalate": frozenset({"case_escalate"}),
    "url:agreements:reopen": frozenset({"case_reopen"}),
    "url:agreements:signing-link-send": frozenset({"signing_link_send"}),
    "url:cases:case-address-invalidate": frozenset({"address_invalidate"}),
    "url:cases:case-complaint-add": frozenset({"dispute_open"}),
    "url:cases:case-identity": frozenset({"identity_check_revoke"}),
    "url:cases:case-transition": frozenset({"case_unverify", "case_verify"}),
    "url:cases:complaint-record": frozenset({"dispute_open"}),
    "url:cases:complaint-resolve": frozenset({"dispute_resolve"}),
    "url:visits:contact-list": frozenset({"contact_record"}),
    "url:visits:notice-answer": frozenset({"notice_answer"}),
    "url:visits:notice-create": frozenset({"notice_record"}),
    "url:visits:site-check-in": frozenset({"visit_check_in"}),
    "url:visits:site-finish": frozenset({"visit_complete"}),
    "url:visits:visit-abort": frozenset({"visit_abort"}),
    "url:visits:visit-cancel": frozenset({"visit_cancel"}),
    "url:visits:visit-plan": frozenset({"visit_plan"}),
    "url:visits:visit-resubmit": frozenset({"visit_plan"}),
    "url:visits:visits-resume": frozenset({"visits_resume"}),
    # the integration API
    "url:api:agreement-cancel": frozenset({"agreement_cancel"}),
    "url:api:agreement-sign": frozenset({"agreement_sign"}),
    "url:api:case-contacts": frozenset({"contact_record"}),
    "url:api:case-resume-visits": frozenset({"visits_resume"}),
    "url:api:case-unverify": frozenset({"case_unverify"}),
    "url:api:case-verify": frozenset({"case_verify"}),
    "url:api:case-visits": frozenset({"visit_plan"}),
    "url:api:creditor-case-recall": frozenset({"case_recall"}),
    "url:api:notice-answer": frozenset({"notice_answer"}),
    "url:api:visit-abort": frozenset({"visit_abort"}),
    "url:api:visit-cancel": frozenset({"visit_cancel"}),
    "url:api:visit-check-in": frozenset({"visit_check_in"}),
    "url:api:visit-complete": frozenset({"visit_complete"}),
    "url:api:visit-notices": frozenset({"notice_record"}),
}
