from django.urls import path

from . import complaint_views, fact_views, import_views, views, worklist_views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("bulk/", worklist_views.case_bulk, name="case-bulk"),
    path("bulk/apply/", worklist_views.case_bulk_apply, name="case-bulk-apply"),
    path("filters/", worklist_views.saved_filter_list, name="saved-filter-list"),
    path("filters/new/", worklist_views.saved_filter_create, name="saved-filter-create"),
    path("filters/<int:pk>/delete/", worklist_views.saved_filter_delete, name="saved-filter-delete"),
    path("import/", import_views.case_import, name="case-import"),
    path("import/<int:pk>/", import_views.case_import_confirm, name="case-import-confirm"),
    path("<int:pk>/", views.case_detail, name="case-detail"),
    path("<int:pk>/transition/<str:name>/", views.case_transition, name="case-transition"),
    path("<int:pk>/assign/", views.case_assign, name="case-assign"),
    path("<int:pk>/identity/", views.case_identity, name="case-identity"),
    path("<int:pk>/addresses/", views.case_address_add, name="case-address-add"),
    path(
        "<int:pk>/addresses/<int:address_id>/verify/", views.case_address_verify, name="case-address-verify"
    ),
    path(
        "<int:pk>/addresses/<int:address_id>/time-zone/",
        views.case_address_time_zone,
        name="case-address-time-zone",
    ),
    path(
        "<int:pk>/addresses/<int:address_id>/invalidate/",
        views.case_address_invalidate,
        name="case-address-invalidate",
    ),
    path("<int:pk>/phones/", views.case_phone_add, name="case-phone-add"),
    path("<int:pk>/phones/<int:phone_id>/verify/", views.case_phone_verify, name="case-phone-verify"),
    path(
        "<int:pk>/phones/<int:phone_id>/invalidate/",
        views.case_phone_invalidate,
        name="case-phone-invalidate",
    ),
    path("<int:pk>/documents/", views.case_document_add, name="case-document-add"),
    path("<int:pk>/documents/<int:doc_id>/", views.case_document_download, name="case-document-download"),
    path("<int:pk>/assessment/", views.case_assessment, name="case-assessment"),
    path("<int:pk>/facts/<str:kind>/", fact_views.case_fact_add, name="case-fact-add"),
    path("<int:pk>/facts/<int:fact_id>/lift/", fact_views.case_fact_lift, name="case-fact-lift"),
    path("<int:pk>/consents/", fact_views.case_consent_add, name="case-consent-add"),
    path("<int:pk>/finances/", fact_views.case_finances, name="case-finances"),
    path(
        "<int:pk>/consents/<int:consent_id>/withdraw/",
        fact_views.case_consent_withdraw,
        name="case-consent-withdraw",
    ),
    path("<int:pk>/reveal/<str:field>/", views.case_reveal, name="case-reveal"),
    path("<int:pk>/complaints/new/", complaint_views.case_complaint_add, name="case-complaint-add"),
    path("<int:pk>/dossier/", complaint_views.case_dossier, name="case-dossier"),
    path("complaints/new/", complaint_views.complaint_record, name="complaint-record"),
    path("complaints/<int:pk>/resolve/", complaint_views.complaint_resolve, name="complaint-resolve"),
]
