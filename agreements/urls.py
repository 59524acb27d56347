"""Agreements URLs (app_name "agreements")."""

from django.urls import path

from . import acknowledgement_views, public_views, views

app_name = "agreements"

urlpatterns = [
    path("case/<int:case_pk>/new/", views.agreement_new, name="agreement-new"),
    path("<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("<int:pk>/edit/", views.agreement_edit, name="agreement-edit"),
    path("<int:pk>/submit/", views.agreement_submit, name="agreement-submit"),
    path("<int:pk>/approve/", views.agreement_approve, name="agreement-approve"),
    path("<int:pk>/cancel/", views.agreement_cancel, name="agreement-cancel"),
    path("<int:pk>/sign/", views.agreement_sign, name="agreement-sign"),
    path("<int:pk>/signing-link/", views.signing_link_send, name="signing-link-send"),
    path("<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement-pdf"),
    path("case/<int:case_pk>/payments/new/", views.payment_new, name="payment-new"),
    path("payments/import/", views.payments_import, name="payments-import"),
    path("case/<int:case_pk>/follow-up/", views.follow_up_new, name="follow-up-new"),
    path("follow-ups/", views.follow_up_list, name="follow-up-list"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow-up-done"),
    path("reviews/<int:pk>/done/", acknowledgement_views.review_done, name="review-done"),
    path(
        "case/<int:case_pk>/acknowledgements/new/",
        acknowledgement_views.acknowledgement_new,
        name="acknowledgement-new",
    ),
    path("case/<int:case_pk>/escalate/", views.escalate, name="escalate"),
    path("escalations/<int:pk>/document.pdf", views.escalation_document, name="escalation-document"),
    path("case/<int:case_pk>/close/", views.close, name="close"),
    path("case/<int:case_pk>/reopen/", views.reopen, name="reopen"),
    path("closures/<int:pk>/report.pdf", views.closing_report, name="closing-report"),
    path("s/<str:token>/", public_views.sign, name="public-sign"),
]
