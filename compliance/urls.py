from django.urls import path

from . import complaint_views, export_views, pack_views, report_views, retention_views, views

app_name = "compliance"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
    path("exports/", export_views.export_list, name="export-list"),
    path("exports/new/", export_views.export_request, name="export-request"),
    path("exports/<int:pk>/", export_views.export_detail, name="export-detail"),
    path("exports/verify_audit_export.py", export_views.export_verifier, name="export-verifier"),
    path("exports/agency-certificate.pem", export_views.agency_certificate, name="agency-certificate"),
    path("exports/<int:pk>/status/", export_views.export_status, name="export-status"),
    path("exports/<int:pk>/files/<str:name>", export_views.export_file, name="export-file"),
    path("complaints/", complaint_views.complaint_list, name="complaint-list"),
    path("complaints/<int:pk>/", complaint_views.complaint_detail, name="complaint-detail"),
    path(
        "complaints/<int:pk>/acknowledge/",
        complaint_views.complaint_acknowledge,
        name="complaint-acknowledge",
    ),
    path("exceptions/", report_views.exceptions_report, name="exceptions"),
    path("exceptions.csv", report_views.exceptions_csv, name="exceptions-csv"),
    path("agents/", report_views.agents_report, name="agents"),
    path("access/", report_views.access_log, name="access-log"),
    path("retention/", retention_views.retention_page, name="retention"),
    path("retention/holds/", retention_views.legal_hold_set, name="legal-hold-set"),
    path("retention/holds/<int:pk>/lift/", retention_views.legal_hold_lift, name="legal-hold-lift"),
    path("packs/", pack_views.pack_list, name="rulepack-list"),
    path("packs/bind/", pack_views.creditor_bind, name="rulepack-bind"),
    path("packs/changes/", pack_views.change_list, name="rulepack-change-list"),
    path("packs/changes/<int:pk>/", pack_views.change_detail, name="rulepack-change-detail"),
    path("packs/changes/<int:pk>/approve/", pack_views.change_approve, name="rulepack-change-approve"),
    path("packs/changes/<int:pk>/decline/", pack_views.change_decline, name="rulepack-change-decline"),
    path("packs/<slug:code>/v<int:version>/", pack_views.pack_detail, name="rulepack-detail"),
    path("packs/<slug:code>/v<int:version>/copy/", pack_views.pack_copy, name="rulepack-copy"),
    path("packs/<slug:code>/new-version/", pack_views.pack_version, name="rulepack-new-version"),
    path("decisions/", report_views.decision_list, name="decision-list"),
    path("decisions/<int:pk>/", pack_views.decision_detail, name="decision-detail"),
]
