"""URLs of the integration API v1 (app_name "api"), under /api/v1/ (config/urls.py).

    auth/…                        a user's token: obtain, logout, me
    creditor/…                    a creditor's API key: placements, its cases, their visits and audit
    cases/…, visits/…, notices/…  a user's token: what the user sees and does in the UI

Later stages slot in beside their objects (see docs/api.md): creditor/cases/<id>/recall/,
creditor/payments/, creditor/cases/<id>/agreement/ and /payments/; visits/<id>/check-in/,
/checks/, /conversation/, /outcome/; cases/<id>/agreements/.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import auth, cases, creditor, visits
from .views.misc import not_found

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
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
    # --- users: visits and notices ---------------------------------------------------------------
    path("visits/", visits.VisitList.as_view(), name="visit-list"),
    path("visits/<int:pk>/", visits.VisitDetail.as_view(), name="visit-detail"),
    path("visits/<int:pk>/approve/", visits.VisitApprove.as_view(), name="visit-approve"),
    path("visits/<int:pk>/send-back/", visits.VisitSendBack.as_view(), name="visit-send-back"),
    path("visits/<int:pk>/resubmit/", visits.VisitResubmit.as_view(), name="visit-resubmit"),
    path("visits/<int:pk>/cancel/", visits.VisitCancel.as_view(), name="visit-cancel"),
    path("visits/<int:pk>/notices/", visits.VisitNotices.as_view(), name="visit-notices"),
    path("notices/<int:pk>/answer/", visits.NoticeAnswer.as_view(), name="notice-answer"),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page or a login redirect.
    re_path(r"^[\s\S]*$", not_found, name="not-found"),
]
