"""What the agreements stage gives the compliance workspace (compliance/registry.py), registered by
`AgreementsConfig.ready()`: the dossier's agreements, payments, follow-ups, escalations and closures
(with the signed agreements, lawyer's letters and closing reports as files), the access log's actions,
and the anonymizer of the personal data the stage holds (drawn signatures and the PDFs that name the
debtor are deleted; amounts, dates and every SHA-256 stay)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from compliance import registry
from compliance.registry import DossierContext, DossierFile, DossierPart, RetentionContext, RetentionItem

from .models import Agreement, Closure, Escalation, FollowUp, Payment, Signature


def _file(name: str, field, sha: str, description: str, kind: str) -> DossierFile:  # type: ignore[no-untyped-def]
    return DossierFile(
        name=name,
        open=lambda field=field: field.open("rb"),
        sha256=sha,
        size=field.size,
        description=description,
        kind=kind,
    )


def agreements_part(ctx: DossierContext) -> DossierPart:
    agreements = list(
        Agreement.objects.filter(case_id=ctx.case_id)
        .prefetch_related("instalments", "signatures")
        .select_related("drafted_by", "approved_by")
        .order_by("created_at", "pk")
    )
    payments = list(
        Payment.objects.filter(case_id=ctx.case_id).select_related("recorded_by").order_by("paid_on", "pk")
    )
    follow_ups = list(
        FollowUp.objects.filter(case_id=ctx.case_id).select_related("owner").order_by("created_at", "pk")
    )
    escalations = list(
        Escalation.objects.filter(case_id=ctx.case_id).select_related("created_by").order_by("created_at")
    )
    closures = list(
        Closure.objects.filter(case_id=ctx.case_id)
        .select_related("closed_by", "reopened_by")
        .order_by("closed_at")
    )
    for agreement in agreements:  # staff are named as the profile allows (the debtor's copy: by role only)
        agreement.drafted_name = ctx.person(agreement.drafted_by)  # type: ignore[attr-defined]
        agreement.approved_name = ctx.person(agreement.approved_by) if agreement.approved_by else ""  # type: ignore[attr-defined]
    html = render_to_string(
        "pdf/dossier/_agreements.html",
        {
            "ctx": ctx,
            "agreements": agreements,
            "payments": payments,
            "follow_ups": follow_ups,
            "escalations": escalations,
            "closures": closures,
        },
    )
    files: list[DossierFile] = []
    if ctx.with_files:
        files += [
            _file(f"agreements/{a.number}.pdf", a.pdf, a.pdf_sha256, str(_("Signed agreement")), "agreement")
            for a in agreements
            if a.pdf
        ]
        if ctx.profile != "debtor":
            files += [
                _file(
                    f"escalations/{e.pk}-{e.kind}.pdf",
                    e.document,
                    e.document_sha256,
                    e.get_kind_display(),
                    "lawyer_letter",
                )
                for e in escalations
                if e.document
            ]
            files += [
                _file(
                    f"closures/{c.pk}-closing-report.pdf",
                    c.report,
                    c.report_sha256,
                    str(_("Closing report")),
                    "closing_report",
                )
                for c in closures
                if c.report
            ]
    return DossierPart(_("Repayment"), mark_safe(html), tuple(files))  # noqa: S308 - rendered by the template, escaped


def anonymize(ctx: RetentionContext) -> list[RetentionItem]:
    signatures = Signature.objects.filter(agreement__case_id=ctx.case_id).exclude(image="")
    pdfs = Agreement.objects.filter(case_id=ctx.case_id).exclude(pdf="")
    letters = Escalation.objects.filter(case_id=ctx.case_id).exclude(document="")
    reports = Closure.objects.filter(case_id=ctx.case_id).exclude(report="")
    texts = FollowUp.objects.filter(case_id=ctx.case_id)
    counts = (signatures.count(), pdfs.count() + letters.count() + reports.count(), texts.count())
    if not ctx.dry_run:
        for model, qs, field in (
            (Signature, signatures, "image"),
            (Agreement, pdfs, "pdf"),
            (Escalation, letters, "document"),
            (Closure, reports, "report"),
        ):
            ids = []
            for obj in qs:
                getattr(obj, field).delete(save=False)
                ids.append(obj.pk)
            model.objects.filter(pk__in=ids).update(**{field: ""})
            model.history.filter(id__in=ids).update(**{field: ""})
        Signature.objects.filter(agreement__case_id=ctx.case_id).update(name="[anonymized]")
        ids = list(texts.values_list("pk", flat=True))
        blank = {
            "assessment_note": "",
            "next_action_note": "",
            "done_note": "",
            "short_goal": "",
            "long_goal": "",
        }
        texts.update(**blank)
        FollowUp.history.filter(id__in=ids).update(**blank)
    items = [
        RetentionItem("signature.image", _("drawn signatures"), counts[0]),
        RetentionItem(
            "agreement.documents", _("agreement, lawyer's letter and closing report PDFs"), counts[1]
        ),
        RetentionItem("follow_up.texts", _("follow-up notes"), counts[2]),
    ]
    return [i for i in items if i.count]


def register() -> None:
    registry.register_dossier_section(registry.DossierSection("agreements.repayment", 300, agreements_part))
    for action, label in (("agreement.pdf_viewed", _("Signed agreement opened")),):
        registry.register_access_action(action, label)
    registry.register_retention_source(
        registry.RetentionSource("agreements", _("Signatures, agreement PDFs and follow-up notes"), anonymize)
    )
