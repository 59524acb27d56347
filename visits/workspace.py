"""What the visits app gives the compliance workspace (compliance/registry.py), registered by
`VisitsConfig.ready()`: visits by state in the agent-level view, the visits, notices and contacts
sections of the case dossier, and the anonymizer of the personal data visits hold (notes, what the
debtor said, where SMS and e-mail notices went). The on-site stage adds its exception rows, evidence
files and dossier parts here the same way.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from compliance import audit, registry
from compliance.registry import AgentQuery, DossierContext, DossierPart, RetentionContext, RetentionItem

from .models import ContactAttempt, Notice, Visit, VisitAgent, VisitState

# --- agent-level view: visits by state -----------------------------------------------------------------


def visit_counts(q: AgentQuery) -> dict[int, dict[str, int]]:
    """Visits each agent was sent on whose window starts in the month, by state."""
    rows = (
        VisitAgent.objects.filter(
            agent_id__in=q.agent_ids, visit__window_start__gte=q.start, visit__window_start__lt=q.end
        )
        .values("agent_id", "visit__state")
        .annotate(n=Count("visit_id", distinct=True))
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        out[row["agent_id"]][f"visits_{row['visit__state']}"] = row["n"]
        out[row["agent_id"]]["visits_total"] = out[row["agent_id"]].get("visits_total", 0) + row["n"]
    return dict(out)


# --- dossier sections ------------------------------------------------------------------------------------


def _render(template: str, ctx: DossierContext, **context: object) -> str:
    return mark_safe(render_to_string(template, {"ctx": ctx, **context}))  # noqa: S308 - escaped by the template


def visits_part(ctx: DossierContext) -> DossierPart:
    visits = (
        Visit.objects.filter(case_id=ctx.case_id)
        .select_related("planned_by", "approved_by", "address")
        .prefetch_related("visit_agents__agent")
        .order_by("window_start", "pk")
    )
    rows = [
        {
            "id": v.pk,
            "window": f"{audit.format_at(v.window_start)} – {audit.format_at(v.window_end)}",
            "zone": v.time_zone,
            "state": v.get_state_display(),
            "purpose": v.get_purpose_display(),
            "address": v.address.get_kind_display(),
            "agents": ", ".join(ctx.person(va.agent) for va in v.visit_agents.all()),
            "planned_by": ctx.person(v.planned_by),
            "approved_by": ctx.person(v.approved_by) if v.approved_by else "",
        }
        for v in visits
    ]
    return DossierPart(_("Visits"), _render("pdf/dossier/_visits.html", ctx, rows=rows))


def notices_part(ctx: DossierContext) -> DossierPart:
    notices = (
        Notice.objects.filter(visit__case_id=ctx.case_id)
        .select_related("recorded_by")
        .order_by("given_at", "pk")
    )
    rows = [
        {
            "visit": n.visit_id,
            "channel": n.get_channel_display(),
            "given_at": audit.format_at(n.given_at),
            "delivery": n.get_delivery_status_display(),
            "answer": n.get_answer_display(),
            "text_sha256": n.text_sha256,
            "text": n.text if ctx.profile != "creditor" else "",
            "by": ctx.person(n.recorded_by),
        }
        for n in notices
    ]
    return DossierPart(_("Prior notices"), _render("pdf/dossier/_notices.html", ctx, rows=rows))


def contacts_part(ctx: DossierContext) -> DossierPart:
    contacts = (
        ContactAttempt.objects.filter(case_id=ctx.case_id).select_related("recorded_by").order_by("at", "pk")
    )
    rows = [
        {
            "at": audit.format_at(c.at),
            "channel": c.get_channel_display(),
            "result": c.get_result_display(),
            "note": c.note if ctx.profile == "regulator" else "",
            "by": ctx.person(c.recorded_by),
        }
        for c in contacts
    ]
    return DossierPart(_("Contact history"), _render("pdf/dossier/_contacts.html", ctx, rows=rows))


# --- retention -------------------------------------------------------------------------------------------


def anonymize(ctx: RetentionContext) -> list[RetentionItem]:
    """Free texts and recipients of the case's visits, notices and contacts (the rows, states, times and
    digests stay)."""
    visits = Visit.objects.filter(case_id=ctx.case_id).exclude(note="")
    notices = Notice.objects.filter(visit__case_id=ctx.case_id).exclude(recipient="", answer_note="")
    contacts = ContactAttempt.objects.filter(case_id=ctx.case_id).exclude(note="")
    counts = (visits.count(), notices.count(), contacts.count())
    if not ctx.dry_run:
        ids = list(visits.values_list("pk", flat=True))
        visits.update(note="")
        Visit.history.filter(id__in=ids).update(note="")
        ids = list(notices.values_list("pk", flat=True))
        notices.update(recipient="", answer_note="")
        Notice.history.filter(id__in=ids).update(recipient="", answer_note="")
        ids = list(contacts.values_list("pk", flat=True))
        contacts.update(note="")
        ContactAttempt.history.filter(id__in=ids).update(note="")
    items = [
        RetentionItem("visit.note", _("visit notes"), counts[0]),
        RetentionItem("notice.recipient", _("notice recipients and answers"), counts[1]),
        RetentionItem("contact.note", _("contact notes"), counts[2]),
    ]
    return [i for i in items if i.count]


def register() -> None:
    registry.register_agent_metric_source(
        registry.AgentMetricSource(
            "visits",
            (("visits_total", _("Visits")), *((f"visits_{s}", label) for s, label in VisitState.choices)),
            visit_counts,
            order=100,
        )
    )
    for key, order, build in (
        ("visits.visits", 200, visits_part),
        ("visits.notices", 210, notices_part),
        ("visits.contacts", 220, contacts_part),
    ):
        registry.register_dossier_section(registry.DossierSection(key, order, build))
    registry.register_retention_source(
        registry.RetentionSource("visits", _("Visit, notice and contact texts"), anonymize)
    )
