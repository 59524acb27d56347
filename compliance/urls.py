from django.urls import path

from . import pack_views, views

app_name = "compliance"

urlpatterns = [
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
    path("complaints/", views.complaint_list, name="complaint-list"),
    path("packs/", pack_views.pack_list, name="rulepack-list"),
    path("packs/bind/", pack_views.creditor_bind, name="rulepack-bind"),
    path("packs/<slug:code>/v<int:version>/", pack_views.pack_detail, name="rulepack-detail"),
    path("packs/<slug:code>/v<int:version>/copy/", pack_views.pack_copy, name="rulepack-copy"),
    path("packs/<slug:code>/new-version/", pack_views.pack_version, name="rulepack-new-version"),
    path("decisions/<int:pk>/", pack_views.decision_detail, name="decision-detail"),
]
