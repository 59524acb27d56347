from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from common import demo

        from . import checks, exceptions, onsite_workspace, workspace  # noqa: F401 (checks: deploy checks)
        from .demo import seed_visits

        demo.register("visits", seed_visits, order=20)
        # What the compliance workspace reads of visits (compliance/registry.py): agent metrics, dossier
        # sections, exception rows, access actions and anonymizers.
        workspace.register()
        onsite_workspace.register()
        from . import limitation_sources

        limitation_sources.register()  # what restarts the limitation period (compliance/limitation.py)
        exceptions.register()
