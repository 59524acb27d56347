from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        # The workspace's own extensions; the stage apps register theirs (compliance/registry.py).
        from . import agents, checks, documents, dossier, exceptions, registry, retention  # noqa: F401 (checks registers)

        for source in exceptions.BUILT_IN:
            registry.register_exception_source(source)
        for metric in agents.BUILT_IN:
            registry.register_agent_metric_source(metric)
        for section in dossier.BUILT_IN:
            registry.register_dossier_section(section)
        registry.register_retention_source(
            registry.RetentionSource(
                "compliance", _("Complaint and dispute texts"), retention.anonymize_complaints
            )
        )
        for action, label in documents.access_actions():
            registry.register_access_action(action, label)
        for action, label in (
            ("audit.exported", _("Audit trail exported")),
            ("audit.export_downloaded", _("Audit export downloaded")),
            ("dossier.exported", _("Case dossier exported")),
            ("exceptions.exported", _("Exceptions report exported")),
        ):
            registry.register_access_action(action, label)
