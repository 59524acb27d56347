from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from . import workspace

        workspace.register()  # agent metrics, dossier sections, anonymizer (compliance/registry.py)
