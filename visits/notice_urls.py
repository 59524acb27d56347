"""URLs of prior notices, contacts, notice templates and the debtor's public verification page.

visits/urls.py appends `notice_urlpatterns` to its own (app_name "visits"). The public page
(`visits:public-verify`) needs no sign-in; every other page 404s for users who cannot see the case.
"""

from django.urls import path

from . import notice_views, public_views

notice_urlpatterns = [
    path("<int:pk>/notices/new/", notice_views.notice_create, name="notice-create"),
    path("notices/<int:pk>/", notice_views.notice_detail, name="notice-detail"),
    path("notices/<int:pk>/answer/", notice_views.notice_answer, name="notice-answer"),
    path("cases/<int:pk>/contacts/", notice_views.contact_list, name="contact-list"),
    path("cases/<int:pk>/resume/", notice_views.visits_resume, name="visits-resume"),
    path("notice-templates/", notice_views.template_list, name="notice-template-list"),
    path(
        "notice-templates/<str:language>/<str:group>/",
        notice_views.template_edit,
        name="notice-template-edit",
    ),
    path("v/<str:token>/", public_views.verify, name="public-verify"),
    path("v/<str:token>/agents/<int:agent_id>/photo/", public_views.agent_photo, name="public-agent-photo"),
]
