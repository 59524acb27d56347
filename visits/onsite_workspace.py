"""What the on-site stage gives the compliance workspace (compliance/registry.py), registered by
`VisitsConfig.ready()`:

- exception rows: check-ins outside the notified window or the debtor's hours, visits started with
  fewer agents than the pack, visits ended without every conduct attestation, visit logs received after
  the visit window, and safety incidents (each must be rare; the first two must be zero, since the
  rules refuse them: a row there means data written around the services);
- access actions: evidence opened, visit reports and statements generated;
- dossier sections: the on-site record of each visit (check-ins, checks, conversation, outcome, log
  versions, attestations), the evidence files and statements handed over, and each visit's report PDF;
- the anonymizer of what the on-site records hold of personal data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from compliance import audit, registry
from compliance.models import RulePack
from compliance.registry import (
    DossierContext,
    DossierFile,
    DossierPart,
    ExceptionQuery,
    ExceptionRow,
    RetentionContext,
    RetentionItem,
)
from compliance.rules.visits import CHECK_IN_EARLY

from .models import Evidence, Visit, VisitCheckIn, VisitLog, VisitState

STARTED = (
    VisitState.ON_SITE,
    VisitState.COMPLETED,
    VisitState.CORRECTION,
    VisitState.ACCEPTED,
    VisitState.ABORTED,
)


def _window(qs, q: ExceptionQuery, field: str):  # type: ignore[no-untyped-def]
    if q.date_from:
        qs = qs.filter(**{f"{field}__gte": q.date_from})
    if q.date_to:
        qs = qs.filter(**{f"{field}__lt": q.date_to})
    if q.case_ids is not None:
        qs = qs.filter(**{"visit__case_id__in" if field != "on_site_at" else "case_id__in": q.case_ids})
    return qs


def _limited(qs, q: ExceptionQuery):  # type: ignore[no-untyped-def]
    return qs[: q.limit] if q.limit else qs.iterator(chunk_size=2000)


def _visit_link(visit_id: int) -> str:
    return reverse("visits:visit-detail", args=[visit_id])


def _pack_hours() -> dict[tuple[str, int], tuple[dt.time, dt.time]]:
    return {
        (p.code, p.version): (p.contact_window_start, p.contact_window_end) for p in RulePack.objects.all()
    }


def check_ins_outside(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """Check-ins outside the notified window (VISIT_WINDOW) or the debtor-local hours of the pack the
    check-in decision used (CONTACT_WINDOW). The rules refuse both: this must stay empty."""
    if q.code and q.code not in ("VISIT_WINDOW", "CONTACT_WINDOW"):
        return
    qs = _window(VisitCheckIn.objects.select_related("visit", "decision__pack"), q, "at")
    if q.actor_id:
        qs = qs.filter(agent_id=q.actor_id)
    hours: dict[tuple[str, int], tuple[dt.time, dt.time]] | None = None
    for check_in in _limited(qs.order_by("-at", "-pk"), q):
        visit, codes = check_in.visit, []
        if not visit.window_start - CHECK_IN_EARLY <= check_in.at <= visit.window_end:
            codes.append("VISIT_WINDOW")
        pack = check_in.decision.pack if check_in.decision_id else None
        if pack is not None:
            hours = hours if hours is not None else _pack_hours()
            start, end = hours[(pack.code, pack.version)]
            local = check_in.at.astimezone(ZoneInfo(visit.time_zone)).time()
            if not start <= local < end:
                codes.append("CONTACT_WINDOW")
        if codes and (not q.code or q.code in codes):
            yield ExceptionRow(
                at=check_in.at,
                source="visits.check_in_outside",
                kind=_("Checked in outside the window or the hours"),
                what="visit.check_in",
                codes=tuple(codes),
                actor_id=check_in.agent_id,
                case_id=visit.case_id,
                ref=f"visit #{visit.pk}",
                link=_visit_link(visit.pk),
            )


def fewer_agents(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """Visits under way or made with fewer checked-in agents than the pack they started under."""
    if q.code and q.code != "MIN_AGENTS":
        return
    qs = Visit.objects.filter(state__in=STARTED, on_site_at__isnull=False).annotate(here=Count("check_ins"))
    qs = _window(qs, q, "on_site_at")
    if q.actor_id:
        qs = qs.filter(visit_agents__agent_id=q.actor_id)
    minimum = {}
    for visit in _limited(qs.select_related("case__creditor").order_by("-on_site_at", "-pk"), q):
        code = visit.case.creditor.rule_pack_code
        if code not in minimum:
            pack = RulePack.objects.filter(code=code).order_by("-version").first()
            minimum[code] = pack.min_agents if pack else 1
        if visit.here < minimum[code]:
            yield ExceptionRow(
                at=visit.on_site_at,
                source="visits.fewer_agents",
                kind=_("Fewer agents on site than the rule pack"),
                what="visit.start",
                codes=("MIN_AGENTS",),
                case_id=visit.case_id,
                detail=f"{visit.here} / {minimum[code]}",
                ref=f"visit #{visit.pk}",
                link=_visit_link(visit.pk),
            )


def missing_attestations(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """Visits ended (or completed, which the rules refuse without them) lacking an agent's attestation."""
    if q.code and q.code != "CONDUCT_ATTESTED":
        return
    qs = (
        Visit.objects.filter(state__in=STARTED[1:])
        .annotate(
            n_agents=Count("visit_agents", distinct=True), n_attested=Count("attestations", distinct=True)
        )
        .filter(n_attested__lt=F("n_agents"))
    )
    qs = _window(qs, q, "on_site_at")
    if q.actor_id:
        qs = qs.filter(visit_agents__agent_id=q.actor_id)
    for visit in _limited(qs.order_by("-on_site_at", "-pk"), q):
        yield ExceptionRow(
            at=visit.state_changed_at or visit.on_site_at,
            source="visits.missing_attestation",
            kind=_("Conduct attestation missing"),
            what="visit.aborted" if visit.state == VisitState.ABORTED else "visit.complete",
            codes=("CONDUCT_ATTESTED",),
            case_id=visit.case_id,
            detail=f"{visit.n_attested} / {visit.n_agents}"
            + (f" · {visit.abort_reason[:120]}" if visit.abort_reason else ""),
            ref=f"visit #{visit.pk}",
            link=_visit_link(visit.pk),
        )


def late_logs(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    """Visit logs that reached the server after the visit window (recorded, flagged with both times)."""
    if q.code:
        return
    qs = _window(VisitLog.objects.filter(late=True).select_related("visit"), q, "submitted_at")
    if q.actor_id:
        qs = qs.filter(submitted_by_id=q.actor_id)
    for log in _limited(qs.order_by("-submitted_at", "-pk"), q):
        sent = f"; {audit.format_at(log.client_submitted_at)} on the phone" if log.client_submitted_at else ""
        yield ExceptionRow(
            at=log.submitted_at,
            source="visits.late_log",
            kind=_("Visit log received after the window"),
            what="visit.complete",
            actor_id=log.submitted_by_id,
            case_id=log.visit.case_id,
            detail=f"v{log.version}: window ended {audit.format_at(log.visit.window_end)}{sent}",
            ref=f"visit #{log.visit_id}",
            link=_visit_link(log.visit_id),
        )


def safety_incidents(q: ExceptionQuery) -> Iterator[ExceptionRow]:
    if q.code:
        return
    qs = _window(
        VisitLog.objects.filter(
            Q(safety_incident=True) | Q(police_called=True), status__in=["submitted", "accepted"]
        ),
        q,
        "submitted_at",
    ).select_related("visit")
    if q.actor_id:
        qs = qs.filter(submitted_by_id=q.actor_id)
    for log in _limited(qs.order_by("-submitted_at", "-pk"), q):
        yield ExceptionRow(
            at=log.submitted_at,
            source="visits.safety",
            kind=_("Safety incident on a visit"),
            what="visit.complete",
            actor_id=log.submitted_by_id,
            case_id=log.visit.case_id,
            detail=str(_("police called")) if log.police_called else "",
            ref=f"visit #{log.visit_id}",
            link=_visit_link(log.visit_id),
        )


# --- the dossier -------------------------------------------------------------------------------------


def _visits(ctx: DossierContext):  # type: ignore[no-untyped-def]
    return (
        Visit.objects.filter(case_id=ctx.case_id, state__in=STARTED)
        .prefetch_related(
            "visit_agents__agent", "check_ins", "attestations", "logs__submitted_by", "logs__reviewed_by"
        )
        .order_by("window_start", "pk")
    )


def onsite_part(ctx: DossierContext) -> DossierPart:
    rows = []
    for visit in _visits(ctx):
        names = {va.agent_id: ctx.person(va.agent) for va in visit.visit_agents.all()}
        logs = list(visit.logs.all())
        rows.append(
            {
                "visit": visit,
                "check_ins": [
                    (
                        names.get(c.agent_id, "?"),
                        audit.format_at(c.at),
                        c.get_position_status_display(),
                        c.distance_m,
                    )
                    for c in visit.check_ins.all()
                ],
                "attested": [names.get(a.agent_id, "?") for a in visit.attestations.all()],
                "logs": logs,
                "log": logs[-1] if logs else None,
                "names": names,
                "person": ctx.person,
            }
        )
    html = render_to_string("pdf/dossier/_onsite.html", {"ctx": ctx, "rows": rows})
    return DossierPart(_("On site"), mark_safe(html))  # noqa: S308 - rendered by the template, escaped


def evidence_part(ctx: DossierContext) -> DossierPart | None:
    """Photos, recordings and the statements handed over, with their digests. The debtor's own copy
    (a subject-access request) holds the statements they were given, not the agents' photos or
    recordings."""
    if not ctx.with_files:
        return None
    qs = Evidence.objects.filter(visit__case_id=ctx.case_id).order_by("uploaded_at", "pk")
    if ctx.profile == "debtor":
        qs = qs.filter(kind="statement")
    files = []
    for evidence in qs:
        opener = evidence.file.open
        files.append(
            DossierFile(
                name=f"evidence/visit-{evidence.visit_id}/{evidence.pk}-{evidence.original_name}",
                open=lambda opener=opener: opener("rb"),
                sha256=evidence.sha256,
                size=evidence.size,
                description=str(evidence.get_kind_display()),
                kind="statement" if evidence.kind == "statement" else "evidence",
            )
        )
    if not files:
        return None
    return DossierPart(_("Evidence"), "", tuple(files))


def reports_part(ctx: DossierContext) -> DossierPart | None:
    """Each visit's report PDF, rendered now (for the regulator and the creditor: it names the agents)."""
    if ctx.profile == "debtor" or not ctx.with_files:
        return None
    from accounts.services import system_user
    from common.pdf import render_pdf

    from .selectors import report_context

    files = []
    system = system_user()  # the dossier's own audit event names who asked for it
    for visit in Visit.objects.filter(case_id=ctx.case_id, state__in=STARTED).order_by("window_start", "pk"):
        context = report_context(visit, user=system)
        context.update(generated_at=ctx.now, generated_by=system)
        pdf = render_pdf(
            template="visits/pdf/report.html",
            context=context,
            filename=f"visit-{visit.pk}-report.pdf",
            sign=True,
        )
        content = pdf.content
        files.append(
            DossierFile(
                name=f"visits/{pdf.filename}",
                open=lambda content=content: io.BytesIO(content),
                sha256=pdf.sha256,
                size=len(content),
                description=str(_("Visit report")),
                kind="visit_report",
            )
        )
    if not files:
        return None
    return DossierPart(_("Visit reports"), "", tuple(files))


# --- retention -----------------------------------------------------------------------------------------

LOG_TEXTS = (
    "people_present",
    "talking_points",
    "default_reasons",
    "incident_note",
    "third_party_note",
    "dispute_text",
    "reschedule_note",
    "summary",
    "authorization_number",
)


def anonymize(ctx: RetentionContext) -> list[RetentionItem]:
    """The texts of the visit logs, the agents' check-in locations, and the evidence files (the rows,
    sizes and SHA-256 digests stay, so the audit trail's references still resolve)."""
    logs = VisitLog.objects.filter(visit__case_id=ctx.case_id)
    located = VisitCheckIn.objects.filter(visit__case_id=ctx.case_id, latitude__isnull=False)
    files = Evidence.objects.filter(visit__case_id=ctx.case_id).exclude(file="")
    counts = (logs.count(), located.count(), files.count())
    if not ctx.dry_run:
        blank = dict.fromkeys(LOG_TEXTS, "")
        ids = list(logs.values_list("pk", flat=True))
        logs.update(**blank)
        VisitLog.history.filter(id__in=ids).update(**blank)
        ids = list(located.values_list("pk", flat=True))
        located.update(latitude=None, longitude=None)
        VisitCheckIn.history.filter(id__in=ids).update(latitude=None, longitude=None)
        for evidence in files:
            evidence.file.delete(save=False)
        ids = list(files.values_list("pk", flat=True))
        Evidence.objects.filter(pk__in=ids).update(file="", caption="")
        Evidence.history.filter(id__in=ids).update(file="", caption="")
    items = [
        RetentionItem("visit_log.texts", _("visit log texts"), counts[0]),
        RetentionItem("check_in.location", _("check-in locations"), counts[1]),
        RetentionItem("evidence.file", _("evidence files"), counts[2]),
    ]
    return [i for i in items if i.count]


def register() -> None:
    for key, label, rows in (
        ("visits.check_in_outside", _("Checked in outside the window or the hours"), check_ins_outside),
        ("visits.fewer_agents", _("Fewer agents on site than the rule pack"), fewer_agents),
        ("visits.missing_attestation", _("Conduct attestation missing"), missing_attestations),
        ("visits.late_log", _("Visit logs received after the window"), late_logs),
        ("visits.safety", _("Safety incidents on visits"), safety_incidents),
    ):
        registry.register_exception_source(registry.ExceptionSource(key, label, rows))
    for action, label in (
        ("evidence.viewed", _("Visit evidence opened")),
        ("visit.report_generated", _("Visit report generated")),
        ("visit.statement_generated", _("Debt statement generated")),
    ):
        registry.register_access_action(action, label)
    for key, order, build in (
        ("visits.onsite", 230, onsite_part),
        ("visits.evidence", 240, evidence_part),
        ("visits.reports", 250, reports_part),
    ):
        registry.register_dossier_section(registry.DossierSection(key, order, build))
    registry.register_retention_source(
        registry.RetentionSource("visits.onsite", _("On-site records and evidence"), anonymize)
    )
