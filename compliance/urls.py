from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
]
