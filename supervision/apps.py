from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from common import demo

        from .demo import backdate_placements

        demo.register("supervision", backdate_placements, order=10)  # before visits (20), agreements (30)
