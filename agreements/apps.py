from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Agreements")

    def ready(self) -> None:
        from common import demo

        from . import workspace
        from .demo import seed_agreements

        demo.register("agreements", seed_agreements, order=30)
        workspace.register()  # dossier section, access action, anonymizer (compliance/registry.py)
        from . import limitation_sources

        limitation_sources.register()  # what restarts the limitation period (compliance/limitation.py)
