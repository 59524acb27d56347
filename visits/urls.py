"""Visit URLs (app_name "visits"): planning pages here, then the notice pages of visits/notice_urls.py and
the on-site pages of visits/onsite_urls.py."""

from django.urls import path

from . import views

app_name = "visits"

planning_urlpatterns = [
    path("mine/", views.agenda, name="agenda"),
    path("calendar/", views.calendar, name="calendar"),
    path("plan/<int:case_pk>/", views.visit_plan, name="visit-plan"),
    path("<int:pk>/", views.visit_detail, name="visit-detail"),
    path("<int:pk>/approve/", views.visit_approve, name="visit-approve"),
    path("<int:pk>/override/", views.visit_override, name="visit-override"),
    path("<int:pk>/send-back/", views.visit_send_back, name="visit-send-back"),
    path("<int:pk>/resubmit/", views.visit_resubmit, name="visit-resubmit"),
    path("<int:pk>/cancel/", views.visit_cancel, name="visit-cancel"),
]

# --- notices, contacts, the public verification page: owned by visits/notice_urls.py ---------------
# --- on site: the wizard, statement, evidence, report and review: visits/onsite_urls.py ----------
from .notice_urls import notice_urlpatterns  # noqa: E402
from .onsite_urls import onsite_urlpatterns  # noqa: E402
from .receipt_urls import receipt_urlpatterns  # noqa: E402  (SMS gateways' delivery receipts)

urlpatterns = planning_urlpatterns + notice_urlpatterns + onsite_urlpatterns + receipt_urlpatterns
