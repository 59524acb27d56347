"""Admin helpers shared by every app (the audited-save mixin is compliance/admin_mixins.py)."""

from typing import Any


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
