"""Anonymizing a case's personal data when its retention period is over (compliance/retention.py runs it).

What goes, for a case the retention job covers:
- its documents' files (deleted from storage; the row keeps kind, size and SHA-256, so the audit trail's
  digests still name what existed) and their original file names;
- the notes of its capacity assessments;
- the debtor's own data — name, document number, identity-check note, occupation, employer, income,
  assets, phone numbers and address texts — but only when every case of the debtor is covered (a debtor
  with a case still within retention keeps their data until that one is covered too).
What stays: amounts, dates, stages, ids, digests, and the audit chain, which never held personal data, so
`verify_audit` stays green. simple-history's copies of those fields are blanked too (history tables would
otherwise keep every old value). Writes use `QuerySet.update` on purpose: an anonymization must not leave
a new history row holding the old values.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from compliance import registry
from compliance.registry import RetentionContext, RetentionItem

from .models import Case, CaseAssessment, CaseDocument, Debtor, DebtorAddress, DebtorPhone

MARK = "[anonymized]"


def _documents(ctx: RetentionContext) -> list[RetentionItem]:
    docs = list(CaseDocument.objects.filter(case_id=ctx.case_id).exclude(file=""))
    if docs and not ctx.dry_run:
        for doc in docs:
            doc.file.delete(save=False)
        ids = [d.pk for d in docs]
        CaseDocument.objects.filter(pk__in=ids).update(file="", original_name=MARK)
        CaseDocument.history.filter(id__in=ids).update(file="", original_name=MARK)
    return (
        [RetentionItem("case_document.file", _("case documents (files and file names)"), len(docs))]
        if docs
        else []
    )


def _assessments(ctx: RetentionContext) -> list[RetentionItem]:
    qs = CaseAssessment.objects.filter(case_id=ctx.case_id).exclude(note=MARK)
    count = qs.count()
    if count and not ctx.dry_run:
        ids = list(qs.values_list("pk", flat=True))
        qs.update(note=MARK)
        CaseAssessment.history.filter(id__in=ids).update(note=MARK)
    return [RetentionItem("case_assessment.note", _("assessment notes"), count)] if count else []


def _debtor(ctx: RetentionContext) -> list[RetentionItem]:
    case = Case.objects.only("debtor_id").get(pk=ctx.case_id)
    debtor_id = case.debtor_id
    waiting = Case.objects.filter(debtor_id=debtor_id).exclude(pk__in=ctx.covered_case_ids)
    if waiting.exists():
        return [
            RetentionItem("debtor.deferred", _("debtor's data kept: another case is within retention"), 1)
        ]
    debtor = Debtor.objects.get(pk=debtor_id)
    if debtor.name == f"{MARK} #{debtor.pk}":
        return []
    phones = DebtorPhone.objects.filter(debtor_id=debtor_id)
    addresses = DebtorAddress.objects.filter(debtor_id=debtor_id)
    items = [
        RetentionItem(
            "debtor.identity",
            _("debtor's name, document number, occupation, employer, income and assets"),
            1,
        ),
        RetentionItem("debtor.phones", _("phone numbers"), phones.count()),
        RetentionItem("debtor.addresses", _("address texts"), addresses.count()),
    ]
    if ctx.dry_run:
        return items
    blank = {
        "name": f"{MARK} #{debtor.pk}",
        "id_number": "",
        "identity_check_source": "",
        "occupation": "",
        "employer": "",
        "monthly_income": None,
        "assets": "",
    }
    Debtor.objects.filter(pk=debtor_id).update(id_digest=f"anonymized:{debtor_id}", **blank)
    Debtor.history.filter(id=debtor_id).update(**blank)
    for phone in phones.only("pk"):
        DebtorPhone.objects.filter(pk=phone.pk).update(number="", digest=f"anonymized:{phone.pk}")
    DebtorPhone.history.filter(debtor_id=debtor_id).update(number="")
    addresses.update(text=MARK, note="")
    DebtorAddress.history.filter(debtor_id=debtor_id).update(text=MARK, note="")
    return items


def anonymize(ctx: RetentionContext) -> list[RetentionItem]:
    return [*_documents(ctx), *_assessments(ctx), *_debtor(ctx)]


def register() -> None:
    registry.register_retention_source(
        registry.RetentionSource("cases", _("Debtor, documents and assessments"), anonymize)
    )
