"""On-site URLs (under the `visits` namespace): the wizard, the statement, evidence, report, review."""

from django.urls import path

from . import onsite_views as views

onsite_urlpatterns = [
    path("<int:pk>/site/", views.site, name="site"),
    path("<int:pk>/site/check-in/", views.site_check_in, name="site-check-in"),
    path("<int:pk>/site/checks/", views.site_checks, name="site-checks"),
    path("<int:pk>/site/conversation/", views.site_conversation, name="site-conversation"),
    path("<int:pk>/site/outcome/", views.site_outcome, name="site-outcome"),
    path("<int:pk>/site/evidence/", views.site_evidence, name="site-evidence"),
    path("<int:pk>/site/finish/", views.site_finish, name="site-finish"),
    path("<int:pk>/statement/", views.statement, name="statement"),
    path("<int:pk>/statement/hand-over/", views.statement_hand_over, name="statement-hand-over"),
    path("<int:pk>/statement.pdf", views.statement_pdf, name="statement-pdf"),
    path("<int:pk>/evidence/<int:evidence_pk>/", views.evidence_download, name="evidence-download"),
    path("<int:pk>/report.pdf", views.visit_report, name="visit-report"),
    path("<int:pk>/log/v<int:version>/", views.log_version, name="log-version"),
    path("<int:pk>/log/accept/", views.log_accept, name="log-accept"),
    path("<int:pk>/log/return/", views.log_return, name="log-return"),
    path("<int:pk>/abort/", views.visit_abort, name="visit-abort"),
]
