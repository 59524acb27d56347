from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from common import demo

        from .demo import seed_visits

        demo.register("visits", seed_visits, order=20)
