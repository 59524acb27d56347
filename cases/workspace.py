"""What the cases app gives the compliance workspace (compliance imports no stage app; see
compliance/registry.py): the case directory, the access actions of case documents and personal data,
the dossier sections (cases/dossier.py) and the anonymizer of a case's personal data (cases/retention.py).
Registered by `CasesConfig.ready()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from common.pii import id_digest
from compliance import registry

from . import policies
from .models import Case, Creditor, Debtor, IdType, Stage

DIGEST = re.compile(r"^[0-9a-f]{64}$")


class CasesDirectory:
    """compliance.registry.CaseDirectory, answered from the cases tables."""

    def case_ids(self, *, team_id: int | None = None, creditor_id: int | None = None) -> QuerySet[Any]:
        qs = Case.objects.all()
        if team_id:
            qs = qs.filter(team_id=team_id)
        if creditor_id:
            qs = qs.filter(creditor_id=creditor_id)
        return qs.values("pk")

    def teams(self) -> list[tuple[int, str]]:
        from accounts.models import Team

        return [(t.pk, t.name) for t in Team.objects.order_by("name")]

    def creditors(self) -> list[tuple[int, str]]:
        return [(c.pk, f"{c.name} ({c.code})") for c in Creditor.objects.order_by("code")]

    def labels(self, case_ids: Iterable[int]) -> dict[int, str]:
        ids = {i for i in case_ids if i}
        rows = Case.objects.filter(pk__in=ids).values_list("pk", "creditor__code", "external_ref")
        return {pk: f"{code}/{ref}" for pk, code, ref in rows}

    def exists(self, case_id: int) -> bool:
        return Case.objects.filter(pk=case_id).exists()

    def can_view(self, user: Any, case: Case) -> bool:
        return policies.can_view(user, case)

    def debtor_scope(self, ref: str) -> registry.DebtorScope | None:
        ref = (ref or "").strip()
        if ref.isdigit():
            debtor = Debtor.objects.filter(pk=int(ref)).first()
        elif DIGEST.match(ref):
            debtor = Debtor.objects.filter(id_digest=ref).first()
        else:
            return None
        if debtor is None:
            return None
        case_ids = tuple(Case.objects.filter(debtor=debtor).order_by("pk").values_list("pk", flat=True))
        return registry.DebtorScope(debtor.pk, case_ids, (("cases.debtor", str(debtor.pk)),))

    def debtor_ref_for_document(self, number: str) -> str | None:
        number = (number or "").strip()
        if not number:
            return None
        digests = [id_digest(id_type, number) for id_type in IdType.values]
        debtor = Debtor.objects.filter(id_digest__in=digests).only("pk").first()
        return str(debtor.pk) if debtor else None

    def closed_cases(self) -> Iterator[registry.ClosedCase]:
        rows = (
            Case.objects.filter(stage=Stage.CLOSED)
            .order_by("pk")
            .values_list("pk", "stage_changed_at", "updated_at", "creditor__rule_pack_code")
        )
        for pk, changed_at, updated_at, pack_code in rows.iterator(chunk_size=2000):
            yield registry.ClosedCase(pk, changed_at or updated_at, pack_code)


def register() -> None:
    from . import dossier, retention

    registry.set_case_directory(CasesDirectory())
    registry.register_access_action("pii.viewed", _("Full view of personal data"))
    registry.register_access_action("case.document_viewed", _("Case document downloaded"))
    dossier.register()
    retention.register()
