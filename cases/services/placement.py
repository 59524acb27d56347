"""Placement import: the bulk write of a creditor's file, and the upload/preview/confirm services.

`placement_import` takes typed rows (from `cases.importing.parse_placement`, or built by code as
`seed_demo` does) and, in one transaction, creates or updates debtors, phones, addresses and cases, grants
the team's supervisors their object permissions and appends the audit events. Row-level problems (the
parser's and those that need the database: mandate coverage, a document on file under another name, a
reference already placed for another debtor) are returned in `ImportReport.errors`, every one of them;
with any error nothing is written but a `placement.imported.refused` event. Preconditions (permission,
supervisor) raise `DomainError`.

Built for 100k-row files: existing debtors and cases are fetched by chunks, rows are written with
`bulk_create_with_history`/`bulk_update_with_history` (history carries the actor), object permissions
and audit events in bulk. Model `full_clean()` is not run per object: every value was validated by
`cases.importing` (`check_rows` re-runs those checks on typed rows) and the database constraints hold the
rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.models import Role, User
from accounts.roles import has_role, is_service
from common.errors import SOURCE_ROLES, DomainError, Failure, PermissionRefused
from common.pii import id_digest, mask_id_number, phone_digest
from compliance import audit
from compliance.audit import EventSpec
from compliance.refusals import refusals_recorded

from .. import importing, policies, visibility
from ..importing import PlacementRow, RowError
from ..models import (
    AddressKind,
    Case,
    CaseAssignment,
    Creditor,
    Debtor,
    DebtorAddress,
    DebtorPhone,
    FactSource,
    Mandate,
    PlacementImport,
)

CHUNK = 900  # ids per IN (...) query: below SQLite's historic 999-variable limit
BATCH = 1000  # rows per INSERT
PREVIEW_ROWS = 50
MAX_STORED_ERRORS = 5000
UPDATABLE_FIELDS = (
    "contract_no",
    "product",
    "principal",
    "outstanding",
    "currency",
    "overdue_since",
    "interest_fees",
    "paid",
)
# PlacementRow attribute → Case field, where the names differ.
CASE_FIELD = {"paid": "paid_before_placement"}
HISTORY_REASON = "placement import"


@dataclass
class ImportReport:
    """What an import did (or, dry run, would do), and every error that stopped it."""

    creditor: str
    dry_run: bool = False
    sha256: str = ""
    source_name: str = ""
    supervisor: str = ""
    team: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    debtors_created: int = 0
    debtors_matched: int = 0
    phones_added: int = 0
    addresses_added: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)  # the first rows to create/update, masked
    # A report read back from PlacementImport.report keeps counts (and the first errors), not every ref.
    stored_counts: dict[str, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        if self.stored_counts is not None:
            return dict(self.stored_counts)
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "debtors_created": self.debtors_created,
            "debtors_matched": self.debtors_matched,
            "phones_added": self.phones_added,
            "addresses_added": self.addresses_added,
            "errors": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON for PlacementImport.report: counts, the preview and (the first 5000) errors."""
        return {
            "creditor": self.creditor,
            "dry_run": self.dry_run,
            "sha256": self.sha256,
            "source_name": self.source_name,
            "supervisor": self.supervisor,
            "team": self.team,
            "counts": self.counts(),
            "preview": self.preview,
            "errors": [e.as_dict() for e in self.errors[:MAX_STORED_ERRORS]],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        counts = data.get("counts", {})
        return cls(
            creditor=data.get("creditor", ""),
            dry_run=data.get("dry_run", False),
            sha256=data.get("sha256", ""),
            source_name=data.get("source_name", ""),
            supervisor=data.get("supervisor", ""),
            team=data.get("team", ""),
            errors=[RowError.from_dict(e) for e in data.get("errors", [])],
            debtors_created=counts.get("debtors_created", 0),
            debtors_matched=counts.get("debtors_matched", 0),
            phones_added=counts.get("phones_added", 0),
            addresses_added=counts.get("addresses_added", 0),
            preview=data.get("preview", []),
            stored_counts={k: int(v) for k, v in counts.items()},
        )

    def summary(self) -> str:
        counts = self.counts()
        values = {
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "debtors": counts["debtors_created"],
            "matched": counts["debtors_matched"],
        }
        if self.dry_run:
            return (
                _(
                    "%(created)d cases would be created, %(updated)d updated, %(unchanged)d unchanged "
                    "(%(debtors)d new debtors, %(matched)d already on file)."
                )
                % values
            )
        return (
            _(
                "%(created)d cases were created, %(updated)d updated, %(unchanged)d unchanged "
                "(%(debtors)d new debtors, %(matched)d already on file)."
            )
            % values
        )


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def resolve_supervisor(*, creditor: Creditor, supervisor: User | None) -> User:
    """The named supervisor, else the creditor's default; active, a supervisor, in a team."""
    chosen = supervisor or (
        User.objects.select_related("team").filter(pk=creditor.default_supervisor_id).first()
        if creditor.default_supervisor_id
        else None
    )
    if chosen is None:
        raise DomainError(
            [
                Failure(
                    "SUPERVISOR_MISSING",
                    _("Creditor %(code)s has no default supervisor; name the supervisor who takes the cases.")
                    % {"code": creditor.code},
                    SOURCE_ROLES,
                    "supervisor",
                )
            ]
        )
    if not chosen.is_active or not has_role(chosen, Role.SUPERVISOR) or not chosen.team_id:
        raise DomainError(
            [
                Failure(
                    "SUPERVISOR_INVALID",
                    _("%(name)s is not an active supervisor with a team.") % {"name": chosen.username},
                    SOURCE_ROLES,
                    "supervisor",
                )
            ]
        )
    return chosen


@dataclass
class _Plan:
    creates: list[tuple[PlacementRow, tuple[str, str], Mandate]] = field(default_factory=list)
    updates: list[tuple[PlacementRow, Case, list[str]]] = field(default_factory=list)
    unchanged: list[PlacementRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    debtors: dict[tuple[str, str], int] = field(default_factory=dict)  # (id_type, digest) → existing pk
    new_debtors: dict[tuple[str, str], PlacementRow] = field(default_factory=dict)  # first row of each
    phones: list[tuple[tuple[str, str], str]] = field(default_factory=list)  # (debtor key, number) to add
    addresses: list[tuple[tuple[str, str], str, str]] = field(default_factory=list)  # (key, kind, text)


def _covering_mandate(mandates: Sequence[Mandate], product: str, today: dt.date) -> Mandate | None:
    return next((m for m in mandates if m.covers(product=product, on=today)), None)


def _plan(*, creditor: Creditor, rows: Sequence[PlacementRow], today: dt.date, lock: bool) -> _Plan:
    """Decide create/update/unchanged for each row and find the problems that need the database.

    Reads only: debtors by digest, cases by external_ref, phones and addresses of matched debtors, all by
    chunks; the creditor's mandates once.
    """
    plan = _Plan()
    keys = [(r.id_type, id_digest(r.id_type, r.id_number)) for r in rows]
    digests = sorted({k[1] for k in keys})
    names: dict[int, str] = {}
    for chunk in _chunks(digests):
        for pk, id_type, digest, name in Debtor.objects.filter(id_digest__in=chunk).values_list(
            "pk", "id_type", "id_digest", "name"
        ):
            plan.debtors[(id_type, digest)] = pk
            names[pk] = name
    refs = sorted({r.external_ref for r in rows})
    cases: dict[str, Case] = {}
    for chunk in _chunks(refs):
        # Cases to update are locked like any case service locks them, so that a concurrent service
        # saving a stale copy cannot undo the update (and the update waits for it).
        existing = Case.objects.filter(creditor=creditor, external_ref__in=chunk)
        for case in existing.select_for_update(of=("self",)) if lock else existing:
            cases[case.external_ref] = case
    mandates = list(Mandate.objects.filter(creditor=creditor).order_by("-valid_from", "-pk"))
    mandates_by_id = {m.pk: m for m in mandates}
    existing_phones: set[tuple[int, str]] = set()
    existing_addresses: set[tuple[int, str, str]] = set()
    matched = sorted(set(plan.debtors.values()))
    for chunk in _chunks(matched):
        existing_phones.update(
            DebtorPhone.objects.filter(debtor_id__in=chunk).values_list("debtor_id", "digest")
        )
        existing_addresses.update(
            DebtorAddress.objects.filter(debtor_id__in=chunk).values_list("debtor_id", "kind", "text")
        )

    seen_phones: set[tuple[tuple[str, str], str]] = set()
    seen_addresses: set[tuple[tuple[str, str], str, str]] = set()
    for row, key in zip(rows, keys, strict=True):
        line_errors: list[RowError] = []
        debtor_pk = plan.debtors.get(key)
        if debtor_pk is not None and importing.normalize_name(names[debtor_pk]) != row.debtor_name:
            line_errors.append(
                RowError(
                    row.line,
                    "debtor_name",
                    _("a debtor with this document is already on file under a different name"),
                    "DEBTOR_NAME_MISMATCH",
                )
            )
        if row.overdue_since > today:
            line_errors.append(RowError(row.line, "overdue_since", _("is in the future"), "DATE_IN_FUTURE"))
        case = cases.get(row.external_ref)
        no_mandate = RowError(
            row.line,
            "product",
            _("no valid mandate of creditor %(code)s covers product “%(product)s” (MANDATE_VALID)")
            % {"code": creditor.code, "product": row.product},
            "MANDATE_VALID",
        )
        if case is not None:
            if debtor_pk is None or case.debtor_id != debtor_pk:
                line_errors.append(
                    RowError(
                        row.line,
                        "id_number",
                        _("external_ref %(ref)s is already placed for a different debtor")
                        % {"ref": row.external_ref},
                        "CASE_DEBTOR_MISMATCH",
                    )
                )
            changed = [
                name
                for name in UPDATABLE_FIELDS
                if getattr(case, CASE_FIELD.get(name, name)) != getattr(row, name)
            ]
            if "product" in changed:
                current = mandates_by_id.get(case.mandate_id) if case.mandate_id else None
                if current is None or not current.covers(product=row.product, on=today):
                    covering = _covering_mandate(mandates, row.product, today)
                    if covering is None:
                        line_errors.append(no_mandate)
                    else:
                        case.mandate = covering
                        changed.append("mandate")
            if not line_errors:
                if changed:
                    plan.updates.append((row, case, changed))
                else:
                    plan.unchanged.append(row)
        else:
            mandate = _covering_mandate(mandates, row.product, today)
            if mandate is None:
                line_errors.append(no_mandate)
            elif not line_errors:
                plan.creates.append((row, key, mandate))
        if line_errors:
            plan.errors.extend(line_errors)
            continue
        if debtor_pk is None:
            plan.new_debtors.setdefault(key, row)
        for number in row.phones:
            wanted = (key, number)
            if wanted in seen_phones or (
                debtor_pk is not None and (debtor_pk, phone_digest(number)) in existing_phones
            ):
                continue
            seen_phones.add(wanted)
            plan.phones.append(wanted)
        for kind, text in ((AddressKind.HOME, row.home_address), (AddressKind.WORK, row.work_address)):
            wanted_address = (key, str(kind), text)
            if (
                not text
                or wanted_address in seen_addresses
                or (debtor_pk is not None and (debtor_pk, str(kind), text) in existing_addresses)
            ):
                continue
            seen_addresses.add(wanted_address)
            plan.addresses.append(wanted_address)
    return plan


def _preview_entry(row: PlacementRow, action: str, changed: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "line": row.line,
        "action": action,
        "external_ref": row.external_ref,
        "debtor_name": row.debtor_name,
        "id_type": row.id_type,
        "id_number_masked": mask_id_number(row.id_number),
        "contract_no": row.contract_no,
        "principal": str(row.principal),
        "outstanding": str(row.outstanding),
        "currency": row.currency,
        "overdue_since": row.overdue_since.isoformat(),
        "product": row.product,
        "changed": list(changed),
    }


def _preview(plan: _Plan) -> list[dict[str, Any]]:
    entries = [_preview_entry(row, "create") for row, _key, _m in plan.creates[:PREVIEW_ROWS]]
    entries += [_preview_entry(row, "update", changed) for row, _case, changed in plan.updates[:PREVIEW_ROWS]]
    return sorted(entries, key=lambda e: e["line"])[:PREVIEW_ROWS]


def _dry_run(kwargs: Mapping[str, Any]) -> bool:
    """A dry run records nothing, not even its refusal."""
    return bool(kwargs.get("dry_run"))


@refusals_recorded("placement.imported", unless=_dry_run)
@transaction.atomic
def placement_import(
    *,
    creditor: Creditor,
    rows: Sequence[PlacementRow],
    actor: User,
    supervisor: User | None = None,
    dry_run: bool = False,
    source_name: str = "",
    sha256: str = "",
    errors: Sequence[RowError] = (),
    today: dt.date | None = None,
    placement_import_id: int | None = None,
) -> ImportReport:
    """Import typed rows for `creditor`: all or nothing. `errors` are the parser's, reported with ours.

    New cases go to `supervisor` (else the creditor's default supervisor) and their team, with the
    creditor's mandate that covers the product today (latest first); existing cases (same creditor and
    external_ref) are updated when their amounts, contract, product, date or currency changed.
    """
    policies.require(policies.can_import(actor), _("Your role cannot import placement files."))
    creditor = Creditor.objects.select_for_update().get(pk=creditor.pk)  # one import per creditor at a time
    chosen = resolve_supervisor(creditor=creditor, supervisor=supervisor)
    team = chosen.team
    today = today or timezone.localdate()
    rows = list(rows)
    report = ImportReport(
        creditor=creditor.code,
        dry_run=dry_run,
        sha256=sha256,
        source_name=source_name,
        supervisor=chosen.username,
        team=team.code,
    )
    all_errors = [*errors, *importing.check_rows(rows)]
    bad_lines = {e.line for e in all_errors}
    plan = _plan(
        creditor=creditor, rows=[r for r in rows if r.line not in bad_lines], today=today, lock=not dry_run
    )
    report.errors = importing.sort_errors([*all_errors, *plan.errors])
    report.created = [row.external_ref for row, _key, _m in plan.creates]
    report.updated = [row.external_ref for row, _case, _c in plan.updates]
    report.unchanged = [row.external_ref for row in plan.unchanged]
    report.debtors_created = len(plan.new_debtors)
    report.debtors_matched = len(
        {plan.debtors[k] for _r, k, _m in plan.creates if k in plan.debtors}
        | {case.debtor_id for _r, case, _c in plan.updates}
        | {plan.debtors[(r.id_type, id_digest(r.id_type, r.id_number))] for r in plan.unchanged}
    )
    report.phones_added = len(plan.phones)
    report.addresses_added = len(plan.addresses)
    report.preview = _preview(plan)
    if dry_run:
        return report
    if report.errors:
        audit.record(
            actor=actor,
            action="placement.imported.refused",
            obj=creditor,
            data={
                "creditor": creditor.code,
                "sha256": sha256,
                "errors": len(report.errors),
                "codes": sorted({e.code for e in report.errors}),
                "placement_import": placement_import_id,
            },
        )
        return report
    _write(plan=plan, creditor=creditor, supervisor=chosen, actor=actor)
    audit.record(
        actor=actor,
        action="placement.imported",
        obj=creditor,
        data={
            "creditor": creditor.code,
            "sha256": sha256,
            "supervisor": chosen.pk,
            "team": team.code,
            "placement_import": placement_import_id,
            **{k: v for k, v in report.counts().items() if k != "errors"},
        },
    )
    return report


def _write(*, plan: _Plan, creditor: Creditor, supervisor: User, actor: User) -> None:
    now = timezone.now()
    debtor_ids = dict(plan.debtors)
    new_keys = list(plan.new_debtors)
    debtors = [
        Debtor(name=row.debtor_name, id_type=key[0], id_number=row.id_number, id_digest=key[1])
        for key, row in plan.new_debtors.items()
    ]
    created = bulk_create_with_history(
        debtors, Debtor, batch_size=BATCH, default_user=actor, default_change_reason=HISTORY_REASON
    )
    debtor_ids.update({key: debtor.pk for key, debtor in zip(new_keys, created, strict=True)})

    phones = [
        DebtorPhone(
            debtor_id=debtor_ids[key], number=number, digest=phone_digest(number), source=FactSource.CREDITOR
        )
        for key, number in plan.phones
    ]
    bulk_create_with_history(
        phones, DebtorPhone, batch_size=BATCH, default_user=actor, default_change_reason=HISTORY_REASON
    )
    addresses = [
        DebtorAddress(debtor_id=debtor_ids[key], kind=kind, text=text, source=FactSource.CREDITOR)
        for key, kind, text in plan.addresses
    ]
    bulk_create_with_history(
        addresses, DebtorAddress, batch_size=BATCH, default_user=actor, default_change_reason=HISTORY_REASON
    )

    new_cases = [
        Case(
            creditor=creditor,
            mandate=mandate,
            debtor_id=debtor_ids[key],
            external_ref=row.external_ref,
            contract_no=row.contract_no,
            product=row.product,
            principal=row.principal,
            outstanding=row.outstanding,
            currency=row.currency,
            overdue_since=row.overdue_since,
            interest_fees=row.interest_fees,
            paid_before_placement=row.paid,
            team_id=supervisor.team_id,
            supervisor=supervisor,
        )
        for row, key, mandate in plan.creates
    ]
    new_cases = bulk_create_with_history(
        new_cases, Case, batch_size=BATCH, default_user=actor, default_change_reason=HISTORY_REASON
    )

    changed_fields: set[str] = {"updated_at"}
    for row, case, changed in plan.updates:
        for name in changed:
            if name != "mandate":
                setattr(case, CASE_FIELD.get(name, name), getattr(row, name))
        case.updated_at = now
        changed_fields.update(CASE_FIELD.get(name, name) for name in changed)
    if plan.updates:
        bulk_update_with_history(
            [case for _r, case, _c in plan.updates],
            Case,
            sorted(changed_fields),
            batch_size=BATCH,
            default_user=actor,
            default_change_reason=HISTORY_REASON,
        )

    # The team's supervisors see and work the new cases by the team scope (cases.visibility): no grant
    # is written; agents are assigned later.

    def events() -> Iterable[EventSpec]:
        for case in new_cases:
            yield EventSpec(
                action="case.imported",
                actor=actor,
                obj=case,
                case_id=case.pk,
                data={
                    "creditor": creditor.code,
                    "external_ref": case.external_ref,
                    "debtor": case.debtor_id,
                    "principal": case.principal,
                    "outstanding": case.outstanding,
                    "currency": case.currency,
                    "product": case.product,
                    "overdue_since": case.overdue_since,
                    "mandate": case.mandate.number if case.mandate else None,
                    "team": supervisor.team.code,
                },
            )
        for _row, case, changed in plan.updates:
            yield EventSpec(
                action="case.import_updated",
                actor=actor,
                obj=case,
                case_id=case.pk,
                data={
                    "creditor": creditor.code,
                    "external_ref": case.external_ref,
                    "changed": sorted(changed),
                },
            )

    audit.record_many(events())


_run_import = placement_import  # for callers whose `placement_import` keyword names the upload record


# --- upload page ---------------------------------------------------------------------------------


def _read_upload(upload: UploadedFile) -> tuple[str, bytes]:
    name = (upload.name or "placement").replace("\\", "/").rsplit("/", 1)[-1][-150:]
    max_bytes = settings.FIELDLEDGER_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > max_bytes:
        raise DomainError(
            [
                Failure(
                    "UPLOAD_TOO_LARGE",
                    _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
                    "",
                    "file",
                )
            ]
        )
    data = b"".join(upload.chunks())
    try:
        importing.file_kind(data, name)
    except importing.FileProblem as problem:
        raise DomainError(
            [
                Failure(
                    "UPLOAD_TYPE",
                    _("Only CSV and Excel (.xlsx) files are accepted: %(why)s.") % {"why": problem},
                    "",
                    "file",
                )
            ]
        ) from problem
    return name, data


@refusals_recorded("placement.previewed", unless=_dry_run)
@transaction.atomic
def placement_upload_preview(
    *,
    creditor: Creditor,
    upload: UploadedFile,
    actor: User,
    supervisor: User | None = None,
    encoding: str = "auto",
) -> PlacementImport:
    """Store an uploaded placement file, parse it (a CSV in `encoding`, "auto": UTF-8 or GB18030) and
    dry-run the import; the report awaits confirmation."""
    policies.require(policies.can_import(actor), _("Your role cannot import placement files."))
    name, data = _read_upload(upload)
    sha256 = hashlib.sha256(data).hexdigest()
    parsed = importing.parse_placement(data, name, encoding)
    report = placement_import(
        creditor=creditor,
        rows=parsed.rows,
        actor=actor,
        supervisor=supervisor,
        dry_run=True,
        source_name=name,
        sha256=sha256,
        errors=parsed.errors,
    )
    chosen = resolve_supervisor(creditor=creditor, supervisor=supervisor)
    placement = PlacementImport(
        creditor=creditor,
        original_name=name,
        sha256=sha256,
        uploaded_by=actor,
        status=PlacementImport.Status.PREVIEWED if report.ok else PlacementImport.Status.REJECTED,
        report={
            **report.as_dict(),
            "supervisor_id": chosen.pk,
            "data_rows": parsed.data_rows,
            "file_format": parsed.file_format,
            "encoding": encoding,
        },
    )
    placement.file.save(name, ContentFile(data), save=False)
    placement._history_user = actor
    placement.full_clean()
    placement.save()
    audit.record(
        actor=actor,
        action="placement.previewed",
        obj=placement,
        data={
            "creditor": creditor.code,
            "sha256": sha256,
            "status": placement.status,
            **report.counts(),
        },
    )
    return placement


@refusals_recorded("placement.confirmed", unless=_dry_run)
@transaction.atomic
def placement_upload_confirm(*, placement_import: PlacementImport, actor: User) -> ImportReport:
    """Import a previewed file: the stored bytes are parsed again and must still have the previewed digest."""
    policies.require(policies.can_import(actor), _("Your role cannot import placement files."))
    placement = (
        PlacementImport.objects.select_for_update().select_related("creditor").get(pk=placement_import.pk)
    )
    if placement.status != PlacementImport.Status.PREVIEWED:
        raise DomainError(
            [
                Failure(
                    "IMPORT_NOT_PENDING",
                    _("This file was already %(status)s.")
                    % {"status": placement.get_status_display().lower()},
                    "",
                    "status",
                )
            ]
        )
    with placement.file.open("rb") as handle:
        data = handle.read()
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != placement.sha256:
        raise DomainError(
            [Failure("FILE_CHANGED", _("The stored file no longer matches the previewed one."), "", "file")]
        )
    parsed = importing.parse_placement(
        data, placement.original_name, placement.report.get("encoding", "auto")
    )
    supervisor_id = placement.report.get("supervisor_id")
    supervisor = (
        User.objects.select_related("team").filter(pk=supervisor_id).first() if supervisor_id else None
    )
    report = _run_import(
        creditor=placement.creditor,
        rows=parsed.rows,
        actor=actor,
        supervisor=supervisor,
        source_name=placement.original_name,
        sha256=sha256,
        errors=parsed.errors,
        placement_import_id=placement.pk,
    )
    placement.status = PlacementImport.Status.IMPORTED if report.ok else PlacementImport.Status.REJECTED
    placement.report = {
        **report.as_dict(),
        "supervisor_id": supervisor_id,
        "data_rows": parsed.data_rows,
        "file_format": parsed.file_format,
    }
    placement._history_user = actor
    placement.save(update_fields=["status", "report", "updated_at"])
    return report


# --- seeding: bulk round-robin assignment --------------------------------------------------------


@refusals_recorded("case.agents_assigned", unless=_dry_run)
@transaction.atomic
def placement_assign_round_robin(*, cases: Sequence[Case], agents: Sequence[User], actor: User) -> int:
    """Assign freshly placed cases (no agent yet) to `agents` in turn, in bulk.

    The bulk twin of `case_assign_agents` for large placements (seeding 100k cases): the same checks
    (active field agents of the case's team, the actor may assign each case), the same writes
    (CaseAssignment with history, the agent's object permissions) and one `case.agents_assigned` event
    per case with the same payload.
    """
    agents = list(agents)
    if not agents:
        raise DomainError([Failure("INVALID_INPUT", _("Name at least one field agent."), "", "agents")])
    failures = []
    for agent in agents:
        if not agent.is_active or not has_role(agent, Role.FIELD_AGENT):
            failures.append(
                Failure(
                    "AGENT_NOT_FIELD_AGENT",
                    _("%(name)s is not an active field agent.") % {"name": agent.display_name},
                    SOURCE_ROLES,
                    "agents",
                )
            )
    cases = list(cases)
    ids = [c.pk for c in cases]
    team_ids = {c.team_id for c in cases}
    if any(a.team_id not in team_ids or len(team_ids) != 1 for a in agents):
        failures.append(
            Failure(
                "AGENT_OTHER_TEAM",
                _("Every agent must be in the cases' team."),
                SOURCE_ROLES,
                "agents",
            )
        )
    if failures:
        raise DomainError(failures)
    if not is_service(actor):
        if not actor.is_active or not actor.has_perm("cases.assign_case"):
            raise _assign_refused()
        for chunk in _chunks(ids):
            allowed = visibility.holding(actor, "change_case").filter(pk__in=chunk).count()
            if allowed != len(chunk):
                raise _assign_refused()
    for chunk in _chunks(ids):
        if CaseAssignment.objects.filter(case_id__in=chunk).exists():
            raise DomainError(
                [
                    Failure(
                        "CASE_ALREADY_ASSIGNED",
                        _("Some cases already have agents; assign them one by one."),
                        "",
                        "agents",
                    )
                ]
            )
    now = timezone.now()
    assignments = [
        CaseAssignment(case_id=case.pk, agent=agents[i % len(agents)], assigned_at=now, assigned_by=actor)
        for i, case in enumerate(cases)
    ]
    bulk_create_with_history(
        assignments,
        CaseAssignment,
        batch_size=BATCH,
        default_user=actor,
        default_change_reason="round-robin assignment",
    )
    # The agents see and work their cases by the assignment scope (cases.visibility): no grant written.
    visibility.forget(*agents)
    audit.record_many(
        EventSpec(
            action="case.agents_assigned",
            actor=actor,
            obj=case,
            case_id=case.pk,
            data={"agents": [a.agent.pk], "previous": []},
        )
        for case, a in zip(cases, assignments, strict=True)
    )
    return len(assignments)


def _assign_refused() -> PermissionRefused:
    return PermissionRefused.because(_("Your role does not allow this action on this case."))
