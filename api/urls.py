"""URLs of the integration API v1 (app_name "api"), under /api/v1/ (config/urls.py).

auth/…                        a user's token: obtain, logout, me
creditor/…                    a creditor's API key: placements, its cases, their visits and audit
cases/…, visits/…, notices/…  a user's token: what the user sees and does in the UI
cases/<id>/debtor-facts/, debtor-facts/…, cases/<id>/consents/, consents/…
                              a user's token: debtor facts and consents (the case page's section)

visits/<id>/check-in/ … complete/  a user's token: on site (check-in, the log step by step, review)
cases/<id>/agreements/, agreements/…, cases/<id>/payments/, cases/<id>/follow-ups/, follow-ups/…
                              a user's token: repayment agreements, payments, follow-up plans
"""

from django.urls import path, re_path

from .docs_views import DocsView, SchemaView
from .views import agreements, auth, cases, creditor, facts, limitation, onsite, reviews, visits
from .views.misc import not_found

app_name = "api"

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    # --- users: tokens ---------------------------------------------------------------------------
    path("auth/token/", auth.TokenObtain.as_view(), name="token"),
    path("auth/logout/", auth.Logout.as_view(), name="logout"),
    path("auth/me/", auth.Me.as_view(), name="me"),
    # --- creditors: API keys ---------------------------------------------------------------------
    path("creditor/placements/", creditor.Placements.as_view(), name="creditor-placements"),
    path("creditor/payments/", creditor.CreditorPayments.as_view(), name="creditor-payments"),
    path("creditor/cases/", creditor.CreditorCases.as_view(), name="creditor-case-list"),
    path("creditor/cases/<int:pk>/", creditor.CreditorCaseDetail.as_view(), name="creditor-case-detail"),
    path(
        "creditor/cases/<int:pk>/visits/", creditor.CreditorCaseVisits.as_view(), name="creditor-case-visits"
    ),
    path(
        "creditor/cases/<int:pk>/recall/", creditor.CreditorCaseRecall.as_view(), name="creditor-case-recall"
    ),
    path(
        "creditor/cases/<int:pk>/agreement/",
        creditor.CreditorCaseAgreement.as_view(),
        name="creditor-case-agreement",
    ),
    path(
        "creditor/cases/<int:pk>/payments/",
        creditor.CreditorCasePayments.as_view(),
        name="creditor-case-payments",
    ),
    path(
        "creditor/cases/<int:pk>/audit-events/",
        creditor.CreditorCaseAuditEvents.as_view(),
        name="creditor-case-audit-events",
    ),
    # --- users: cases ----------------------------------------------------------------------------
    path("cases/", cases.CaseList.as_view(), name="case-list"),
    path("cases/<int:pk>/", cases.CaseDetail.as_view(), name="case-detail"),
    path("cases/<int:pk>/verify/", cases.CaseVerify.as_view(), name="case-verify"),
    path("cases/<int:pk>/unverify/", cases.CaseUnverify.as_view(), name="case-unverify"),
    path("cases/<int:pk>/agents/", cases.CaseAssignAgents.as_view(), name="case-agents"),
    path("cases/<int:pk>/visits/", cases.CaseVisits.as_view(), name="case-visits"),
    path("cases/<int:pk>/contacts/", cases.CaseContacts.as_view(), name="case-contacts"),
    path("cases/<int:pk>/resume-visits/", cases.CaseResumeVisits.as_view(), name="case-resume-visits"),
    # --- users: debtor facts and consents ---------------------------------------------------------
    path("cases/<int:pk>/debtor-facts/", facts.CaseDebtorFacts.as_view(), name="case-debtor-facts"),
    path("debtor-facts/<int:pk>/lift/", facts.DebtorFactLift.as_view(), name="debtor-fact-lift"),
    path("cases/<int:pk>/consents/", facts.CaseConsents.as_view(), name="case-consents"),
    path("consents/<int:pk>/withdraw/", facts.ConsentWithdraw.as_view(), name="consent-withdraw"),
    path("addresses/<int:pk>/time-zone/", facts.AddressTimeZone.as_view(), name="address-time-zone"),
    path("cases/<int:pk>/debtor-finances/", facts.CaseDebtorFinances.as_view(), name="case-debtor-finances"),
    # --- users: visits and notices ---------------------------------------------------------------
    path("visits/", visits.VisitList.as_view(), name="visit-list"),
    path("visits/<int:pk>/", visits.VisitDetail.as_view(), name="visit-detail"),
    path("visits/<int:pk>/approve/", visits.VisitApprove.as_view(), name="visit-approve"),
    path("visits/<int:pk>/send-back/", visits.VisitSendBack.as_view(), name="visit-send-back"),
    path("visits/<int:pk>/resubmit/", visits.VisitResubmit.as_view(), name="visit-resubmit"),
    path("visits/<int:pk>/cancel/", visits.VisitCancel.as_view(), name="visit-cancel"),
    path("visits/<int:pk>/notices/", visits.VisitNotices.as_view(), name="visit-notices"),
    path("notices/<int:pk>/answer/", visits.NoticeAnswer.as_view(), name="notice-answer"),
    # --- users: on site --------------------------------------------------------------------------
    path("visits/<int:pk>/check-in/", onsite.VisitCheckIn.as_view(), name="visit-check-in"),
    path("visits/<int:pk>/log/", onsite.VisitLogRead.as_view(), name="visit-log"),
    path("visits/<int:pk>/checks/", onsite.VisitChecks.as_view(), name="visit-checks"),
    path("visits/<int:pk>/conversation/", onsite.VisitConversation.as_view(), name="visit-conversation"),
    path("visits/<int:pk>/not-debtor/", onsite.VisitNotDebtor.as_view(), name="visit-not-debtor"),
    path("visits/<int:pk>/outcome/", onsite.VisitOutcome.as_view(), name="visit-outcome"),
    path("visits/<int:pk>/attest/", onsite.VisitAttest.as_view(), name="visit-attest"),
    path("visits/<int:pk>/complete/", onsite.VisitComplete.as_view(), name="visit-complete"),
    path("visits/<int:pk>/log/accept/", onsite.VisitLogAccept.as_view(), name="visit-log-accept"),
    path("visits/<int:pk>/log/return/", onsite.VisitLogReturn.as_view(), name="visit-log-return"),
    path("visits/<int:pk>/abort/", onsite.VisitAbort.as_view(), name="visit-abort"),
    # --- users: agreements, payments, follow-up --------------------------------------------------
    path("cases/<int:pk>/agreements/", agreements.CaseAgreements.as_view(), name="case-agreements"),
    path("cases/<int:pk>/payments/", agreements.CasePayments.as_view(), name="case-payments"),
    path("cases/<int:pk>/follow-ups/", agreements.CaseFollowUps.as_view(), name="case-follow-ups"),
    path("agreements/<int:pk>/", agreements.AgreementDetail.as_view(), name="agreement-detail"),
    path("agreements/<int:pk>/submit/", agreements.AgreementSubmit.as_view(), name="agreement-submit"),
    path("agreements/<int:pk>/approve/", agreements.AgreementApprove.as_view(), name="agreement-approve"),
    path("agreements/<int:pk>/sign/", agreements.AgreementSign.as_view(), name="agreement-sign"),
    path("agreements/<int:pk>/cancel/", agreements.AgreementCancel.as_view(), name="agreement-cancel"),
    path("follow-ups/<int:pk>/done/", agreements.FollowUpDone.as_view(), name="follow-up-done"),
    # --- users: the limitation period and the debtor's acknowledgements --------------------------
    path("cases/<int:pk>/limitation/", limitation.CaseLimitation.as_view(), name="case-limitation"),
    path("follow-up-reviews/", reviews.ReviewsDue.as_view(), name="follow-up-review-list"),
    path("follow-up-reviews/<int:pk>/done/", reviews.ReviewDone.as_view(), name="follow-up-review-done"),
    path(
        "cases/<int:pk>/acknowledgements/",
        limitation.CaseAcknowledgements.as_view(),
        name="case-acknowledgements",
    ),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page or a login redirect.
    re_path(r"^[\s\S]*$", not_found, name="not-found"),
]
