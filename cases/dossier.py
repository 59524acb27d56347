"""The cases app's sections of the case dossier (compliance/dossier.py builds the ZIP):
the case and its debtor (masked for the creditor's profile), the stage history, the timeline of audit
events, and the case documents (each file attached with its SHA-256; anonymized ones listed only).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from common.pii import mask_address, mask_id_number, mask_phone
from common.products import product_label
from compliance import audit, registry
from compliance.models import AuditEvent
from compliance.registry import DossierContext, DossierFile, DossierPart

from .models import Case, CaseDocument, Stage


def _case(ctx: DossierContext) -> Case:
    return (
        Case.objects.select_related("creditor", "mandate", "debtor", "team", "supervisor")
        .prefetch_related("debtor__phones", "debtor__addresses", "assignments__agent")
        .get(pk=ctx.case_id)
    )


def _render(template: str, ctx: DossierContext, **context: object) -> str:
    return mark_safe(render_to_string(template, {"ctx": ctx, **context}))  # noqa: S308 - escaped by the template


def case_part(ctx: DossierContext) -> DossierPart:
    case = _case(ctx)
    debtor = case.debtor
    masked = ctx.masked
    debtor_view = {
        "name": debtor.name,
        "id_type": debtor.get_id_type_display(),
        "id_number": mask_id_number(debtor.id_number) if masked else debtor.id_number,
        "phones": [mask_phone(p.number) if masked else p.number for p in debtor.phones.all()],
        "addresses": [
            (a.get_kind_display(), mask_address(a.text) if masked else a.text, a.get_status_display())
            for a in debtor.addresses.all()
        ],
        "flags": debtor.active_flags(),
    }
    html = _render(
        "pdf/dossier/_case.html",
        ctx,
        case=case,
        product=product_label(case.product),
        debtor=debtor_view,
        supervisor=ctx.person(case.supervisor) if case.supervisor else "",
        agents=[ctx.person(a.agent) for a in case.assignments.all()],
    )
    return DossierPart(_("The case and the debtor"), html)


def stage_history_part(ctx: DossierContext) -> DossierPart:
    case = Case.objects.get(pk=ctx.case_id)
    records = case.history.select_related("history_user").order_by("history_date", "history_id")
    rows, last = [], None
    for h in records:
        if h.stage == last:
            continue
        last = h.stage
        rows.append(
            {
                "at": audit.format_at(h.history_date),
                "stage": Stage(h.stage).label if h.stage in Stage.values else h.stage,
                "by": ctx.person(h.history_user),
            }
        )
    return DossierPart(_("Stage history"), _render("pdf/dossier/_stages.html", ctx, rows=rows))


def timeline_part(ctx: DossierContext) -> DossierPart:
    from accounts.models import User

    events = list(AuditEvent.objects.filter(case_id=ctx.case_id).order_by("seq"))
    users = {
        u.pk: u for u in User.objects.filter(pk__in={e.actor_user_id for e in events if e.actor_user_id})
    }
    rows = [
        {
            "seq": e.seq,
            "at": audit.format_at_short(e.at),
            "action": e.action,
            "who": ctx.person(users.get(e.actor_user_id)) if e.actor_user_id else e.actor,
            "codes": ", ".join(e.data.get("codes", [])) if isinstance(e.data, dict) else "",
            "hash": e.hash,
        }
        for e in events
    ]
    return DossierPart(_("Timeline (audit events)"), _render("pdf/dossier/_timeline.html", ctx, rows=rows))


def documents_part(ctx: DossierContext) -> DossierPart:
    documents = list(
        CaseDocument.objects.filter(case_id=ctx.case_id)
        .select_related("uploaded_by")
        .order_by("created_at", "pk")
    )
    files = []
    rows = []
    for d in documents:
        name = f"documents/{d.pk}-{d.original_name}" if d.file else ""
        rows.append(
            {
                "kind": d.get_kind_display(),
                "name": name or _("(file removed by retention)"),
                "size": d.size,
                "sha256": d.sha256,
                "at": audit.format_at(d.created_at),
                "by": ctx.person(d.uploaded_by),
            }
        )
        if d.file:
            files.append(
                DossierFile(
                    name=name,
                    open=lambda d=d: d.file.open("rb"),
                    sha256=d.sha256,
                    size=d.size,
                    description=str(d.get_kind_display()),
                    kind="case_document",
                )
            )
    return DossierPart(
        _("Case documents"), _render("pdf/dossier/_documents.html", ctx, rows=rows), tuple(files)
    )


def register() -> None:
    for key, order, build in (
        ("cases.case", 100, case_part),
        ("cases.stages", 110, stage_history_part),
        ("cases.documents", 120, documents_part),
        ("cases.timeline", 190, timeline_part),
    ):
        registry.register_dossier_section(registry.DossierSection(key, order, build))
