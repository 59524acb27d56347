"""Admin mixins that write the audit trail (here, beside `audit`, because common imports no app)."""

from typing import Any

from . import audit


class AuditedAdminMixin:
    """Every admin save or delete of reference data is an audit event (no personal data in the payload)."""

    audit_fields: tuple[str, ...] = ()

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        obj._history_user = request.user
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        data = {"changed": sorted(form.changed_data)}
        data.update({f: str(getattr(obj, f)) for f in self.audit_fields})
        audit.record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
            obj=obj,
            data=data,
        )

    def delete_model(self, request: Any, obj: Any) -> None:
        audit.record(actor=request.user, action=f"{obj._meta.model_name}.deleted", obj=obj, data={})
        super().delete_model(request, obj)  # type: ignore[misc]
