"""The one domain error type: a refusal carrying rule codes, messages a user understands, and sources."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SOURCE_ROLES = _("FieldLedger roles and object permissions")


@dataclass(frozen=True)
class Failure:
    """One failed check: a stable SHOUTING_SNAKE code, a translatable message, and the rule's source."""

    code: str
    message: str | Promise
    source: str | Promise = ""
    field: str = ""
    # Where the rule pack allows it, a supervisor may proceed with a written reason (COMPLIANCE.md).
    overridable: bool = False
    # "refuse" blocks the action; "warn" is shown and recorded but does not block (e.g. LIMITATION).
    level: str = "refuse"

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": str(self.message),
            "source": str(self.source),
            "field": self.field,
        }


@dataclass
class DomainError(Exception):
    """A refused action. Views turn it into form errors; services audit it before raising."""

    failures: list[Failure] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{f.code}: {f.message}" for f in self.failures)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.failures]


class PermissionRefused(DomainError):
    """The actor may see the object but may not perform this action on it."""

    @classmethod
    def because(cls, message: str | Promise) -> PermissionRefused:
        return cls([Failure("PERMISSION_DENIED", message, SOURCE_ROLES)])


def raise_if_failed(failures: list[Failure]) -> None:
    if failures:
        raise DomainError(list(failures))
