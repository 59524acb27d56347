"""Payments: recorded by hand or imported from the creditor's payment file (the same all-or-nothing rules
as the placement import), idempotent on the creditor's payment reference, allocated to the agreement in
force oldest instalment first (an overpayment stays as the agreement's credit); promises to pay made on
visits are kept by the payments that follow them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import importing
from cases.importing import CellProblem, FileProblem, RowError
from cases.models import Case, Creditor, Stage
from common.errors import DomainError, Failure
from compliance import audit
from compliance.refusals import refusals_recorded

from .. import policies
from ..models import (
    Agreement,
    AgreementState,
    Allocation,
    Instalment,
    InstalmentStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    PromiseCheck,
    PromiseStatus,
)
from ._shared import fail, local_today, lock_case, refuse, save
from ._shared import now as _now

COLUMNS = ("external_ref", "amount", "currency", "paid_on", "method", "reference", "note")
REQUIRED = ("external_ref", "amount", "currency", "paid_on", "method", "reference")


def _allocate(payment: Payment, agreement: Agreement, actor: Any) -> list[tuple[int, Decimal]]:
    """Oldest instalment first; what is left over stays unallocated (the agreement's credit)."""
    left, done = payment.amount, []
    for instalment in (
        Instalment.objects.select_for_update().filter(agreement=agreement).order_by("due_date", "number")
    ):
        if left <= 0:
            break
        take = min(left, instalment.remaining)
        if take <= 0:
            continue
        Allocation.objects.create(payment=payment, instalment=instalment, amount=take)
        instalment.paid += take
        instalment.status = (
            InstalmentStatus.PAID
            if instalment.remaining == 0
            else (
                InstalmentStatus.OVERDUE
                if instalment.status == InstalmentStatus.OVERDUE
                else InstalmentStatus.PARTLY_PAID
            )
        )
        if instalment.status == InstalmentStatus.PAID:
            instalment.overdue_since = None
        save(instalment, actor)
        left -= take
        done.append((instalment.number, take))
    return done


def _record_one(
    *,
    case: Case,
    actor: Any,
    amount: Decimal,
    paid_on: dt.date,
    method: str,
    reference: str,
    note: str,
    source: str,
    now: dt.datetime,
) -> tuple[Payment, bool]:
    """Write one validated payment (inside the caller's transaction); (payment, created)."""
    existing = Payment.objects.filter(creditor_id=case.creditor_id, reference=reference).first()
    if existing is not None:
        return existing, False
    agreement = (
        Agreement.objects.select_for_update()
        .filter(case=case, state=AgreementState.ACTIVE)
        .order_by("-signed_at")
        .first()
    )
    payment = Payment(
        case=case,
        creditor_id=case.creditor_id,
        agreement=agreement,
        amount=amount,
        currency=case.currency,
        paid_on=paid_on,
        method=method,
        reference=reference,
        source=source,
        note=note[:300],
        recorded_by=actor,
    )
    save(payment, actor)
    allocations = _allocate(payment, agreement, actor) if agreement is not None else []
    completed = False
    if (
        agreement is not None
        and not Instalment.objects.filter(agreement=agreement).exclude(status=InstalmentStatus.PAID).exists()
    ):
        agreement.complete(at=now)
        save(agreement, actor)
        completed = True
    promises_kept = _keep_promises(case, actor=actor, now=now)
    audit.record(
        actor=actor,
        action="payment.recorded",
        obj=payment,
        case_id=case.pk,
        data={
            "amount": amount,
            "currency": case.currency,
            "paid_on": paid_on,
            "method": method,
            "reference": reference,
            "source": source,
            "agreement": agreement.number if agreement else None,
            "allocations": [[n, a] for n, a in allocations],
            "credit": amount - sum((a for _n, a in allocations), Decimal(0)) if agreement else None,
            "promises_kept": promises_kept,
        },
    )
    if completed:
        audit.record(
            actor=actor,
            action="agreement.completed",
            obj=agreement,
            case_id=case.pk,
            data={"agreement": agreement.number},
        )
    return payment, True


def _keep_promises(case: Case, *, actor: Any, now: dt.datetime) -> list[int]:
    kept = []
    for promise in PromiseCheck.objects.select_for_update().filter(case=case, status=PromiseStatus.PENDING):
        paid = Payment.objects.filter(case=case, paid_on__gte=promise.made_on).aggregate(s=Sum("amount"))[
            "s"
        ] or Decimal(0)
        promise.paid = paid
        if paid >= promise.amount:
            promise.status, promise.decided_at = PromiseStatus.KEPT, now
            kept.append(promise.pk)
        save(promise, actor)
    return kept


def _input_failures(
    case: Case, *, amount: Any, currency: str, paid_on: Any, method: str, reference: str, today: dt.date
) -> list[Failure]:
    failures = []
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        failures.append(fail("AMOUNT_INVALID", _("The amount must be more than zero."), "amount"))
    elif amount != amount.quantize(Decimal("0.01")):
        failures.append(fail("AMOUNT_INVALID", _("The amount has too many decimals."), "amount"))
    if currency != case.currency:
        failures.append(
            fail(
                "CURRENCY_MISMATCH",
                _("The payment must be in the debt's currency (%(c)s).") % {"c": case.currency},
                "currency",
            )
        )
    if not isinstance(paid_on, dt.date):
        failures.append(fail("FIELD_REQUIRED", _("Give the date of the payment."), "paid_on"))
    elif paid_on > today:
        failures.append(fail("DATE_INVALID", _("A payment cannot be dated in the future."), "paid_on"))
    if method not in PaymentMethod.values:
        failures.append(fail("INVALID_INPUT", _("Choose how it was paid."), "method"))
    if not (reference or "").strip():
        failures.append(fail("FIELD_REQUIRED", _("Give the creditor's payment reference."), "reference"))
    return failures


def _same(payment: Payment, *, case: Case, amount: Decimal, paid_on: dt.date) -> bool:
    return payment.case_id == case.pk and payment.amount == amount and payment.paid_on == paid_on


@refusals_recorded("payment.record")
@transaction.atomic
def payment_record(
    *,
    case: Case,
    actor: User,
    amount: Decimal,
    currency: str,
    paid_on: dt.date,
    method: str,
    reference: str,
    note: str = "",
    source: str = PaymentSource.MANUAL,
    now: dt.datetime | None = None,
) -> Payment:
    """Record a payment the creditor received. The same reference again is the same payment (nothing new
    is recorded); a reference already used for another payment is refused."""
    now = now or _now()
    case = lock_case(case)
    policies.require(policies.can_record_payment(actor, case))
    if case.stage == Stage.CLOSED:
        raise refuse("CASE_CLOSED", _("The case is closed: a supervisor reopens it first."), "case")
    reference = (reference or "").strip()[:64]
    failures = _input_failures(
        case,
        amount=amount,
        currency=currency,
        paid_on=paid_on,
        method=method,
        reference=reference,
        today=local_today(case, now),
    )
    existing = (
        Payment.objects.filter(creditor_id=case.creditor_id, reference=reference).first()
        if reference
        else None
    )
    if existing is not None and not failures:
        if _same(existing, case=case, amount=amount, paid_on=paid_on):
            existing.replayed = True  # type: ignore[attr-defined]  # the caller says nothing new was recorded
            return existing
        failures.append(
            fail(
                "DUPLICATE_REFERENCE",
                _("This payment reference is already recorded for another payment."),
                "reference",
            )
        )
    if failures:
        raise DomainError(failures)
    payment, _created = _record_one(
        case=case,
        actor=actor,
        amount=amount,
        paid_on=paid_on,
        method=method,
        reference=reference,
        note=(note or "").strip(),
        source=source,
        now=now,
    )
    return payment


# --- the creditor's payment file ---------------------------------------------------------------------


@dataclass
class PaymentRow:
    line: int
    external_ref: str
    amount: Decimal
    currency: str
    paid_on: dt.date
    method: str
    reference: str
    note: str = ""


@dataclass
class PaymentImportReport:
    creditor: str
    sha256: str = ""
    rows: int = 0
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    payments: dict[str, int] = field(default_factory=dict)  # reference → payment id (not new in a dry run)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return str(_("%(n)d errors: nothing was recorded.") % {"n": len(self.errors)})
        return str(
            _("%(created)d payments recorded, %(same)d already recorded.")
            % {"created": len(self.created), "same": len(self.unchanged)}
        )


def parse_payments(data: bytes, filename: str) -> tuple[list[PaymentRow], list[RowError]]:
    """CSV (UTF-8, GB18030) or XLSX with the columns of COLUMNS; every bad cell is an error."""
    try:
        records, _format = importing.read_records(data, filename)
        records = list(records)
    except FileProblem as problem:
        return [], [RowError(0, "", str(problem), "FILE_UNREADABLE")]
    return parse_payment_records(records)


def parse_payment_records(
    records: Sequence[tuple[int, Sequence[Any]]], *, skip_blank: bool = True
) -> tuple[list[PaymentRow], list[RowError]]:
    """A header of column names, then one record per payment (a file's rows, or the API's JSON rows:
    the same cleaning for both). `skip_blank=False` reports a blank record instead of skipping it."""
    if not records:
        return [], [RowError(0, "", str(_("The file has no rows.")), "FILE_EMPTY")]
    header_line, header = records[0]
    names = [str(v or "").replace("\ufeff", "").strip().lower() for v in header]
    errors = [
        RowError(header_line, name, str(_("unknown column")), "UNKNOWN_COLUMN")
        for name in names
        if name and name not in COLUMNS
    ]
    errors += [
        RowError(header_line, name, str(_("required column is missing")), "MISSING_COLUMN")
        for name in REQUIRED
        if name not in names
    ]
    if errors:
        return [], errors
    rows: list[PaymentRow] = []
    for line, record in records[1:]:
        cells = {names[i]: record[i] for i in range(min(len(names), len(record))) if names[i]}
        if skip_blank and all(v in (None, "") for v in cells.values()):
            continue
        values: dict[str, Any] = {}
        for name, clean in (
            ("external_ref", lambda v: importing.clean_text(v, column="external_ref")),
            ("currency", importing.clean_currency),
            ("amount", lambda v, values=values: importing.clean_amount(v, currency=values.get("currency"))),
            ("paid_on", importing.clean_date),
            ("method", lambda v: str(v or "").strip()),
            ("reference", lambda v: importing.clean_text(v, column="reference")),
            ("note", lambda v: importing.clean_text(v, column="note") if v not in (None, "") else ""),
        ):
            value = cells.get(name)
            if value in (None, "") and name in REQUIRED:
                errors.append(RowError(line, name, str(_("is required")), "REQUIRED"))
                continue
            try:
                values[name] = clean(value)
            except CellProblem as problem:
                errors.append(RowError(line, name, problem.reason, problem.code))
        if values.get("method") and values["method"] not in PaymentMethod.values:
            errors.append(
                RowError(
                    line,
                    "method",
                    str(_("must be one of %(v)s") % {"v": ", ".join(PaymentMethod.values)}),
                    "INVALID_VALUE",
                )
            )
        if len(values.get("reference", "")) > 64:
            errors.append(
                RowError(line, "reference", str(_("is too long (at most 64 characters)")), "INVALID_VALUE")
            )
        if all(name in values for name in REQUIRED) and not any(e.line == line for e in errors):
            rows.append(
                PaymentRow(line=line, note=values.get("note", ""), **{k: values[k] for k in REQUIRED})
            )
    seen: dict[str, int] = {}
    for row in rows:
        if row.reference in seen:
            errors.append(
                RowError(
                    row.line,
                    "reference",
                    str(_("the same reference as line %(n)d") % {"n": seen[row.reference]}),
                    "DUPLICATE_REFERENCE",
                )
            )
        seen.setdefault(row.reference, row.line)
    return rows, errors


def _row_problems(
    row: PaymentRow, case: Case | None, existing: Payment | None, today: dt.date
) -> list[RowError]:
    if case is None:
        return [
            RowError(
                row.line,
                "external_ref",
                str(_("no case of this creditor has this reference")),
                "CASE_NOT_FOUND",
            )
        ]
    problems = []
    if case.stage == Stage.CLOSED:
        problems.append(RowError(row.line, "external_ref", str(_("the case is closed")), "CASE_CLOSED"))
    for failure in _input_failures(
        case,
        amount=row.amount,
        currency=row.currency,
        paid_on=row.paid_on,
        method=row.method,
        reference=row.reference,
        today=today,
    ):
        problems.append(RowError(row.line, failure.field, str(failure.message), failure.code))
    if existing is not None and not _same(existing, case=case, amount=row.amount, paid_on=row.paid_on):
        problems.append(
            RowError(
                row.line, "reference", str(_("already recorded for another payment")), "DUPLICATE_REFERENCE"
            )
        )
    return problems


def payments_import(
    *,
    creditor: Creditor,
    actor: User,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> PaymentImportReport:
    """Import a creditor's payment file: every row checked first; any bad row and nothing is written
    (`payments.import.refused`); a good file writes every payment in one transaction. Rows already
    recorded (same reference, case, amount and date) are reported and not recorded twice."""
    rows, errors = parse_payments(data, filename)
    return payments_import_rows(
        creditor=creditor,
        actor=actor,
        rows=rows,
        errors=errors,
        sha256=hashlib.sha256(data).hexdigest(),
        dry_run=dry_run,
        source=PaymentSource.IMPORT,
        now=now,
    )


@transaction.atomic
def payments_import_rows(
    *,
    creditor: Creditor,
    actor: User,
    rows: Sequence[PaymentRow],
    errors: Sequence[RowError] = (),
    sha256: str,
    dry_run: bool = False,
    source: str = PaymentSource.IMPORT,
    now: dt.datetime | None = None,
) -> PaymentImportReport:
    """Record parsed payment rows (the file import's, or the creditor API's JSON rows) all or none:
    `errors` are the parser's; every row is checked against its case first, and any problem writes
    nothing (`payments.import.refused`). `report.payments` maps each reference to its payment (a
    reference already recorded with the same case, amount and date is that payment, not a new one)."""
    now = now or _now()
    policies.require(policies.can_import_payments(actor))
    report = PaymentImportReport(creditor=creditor.code, sha256=sha256, dry_run=dry_run)
    errors = list(errors)
    report.rows = len(rows)
    cases = {
        c.external_ref: c
        for c in Case.objects.filter(
            creditor=creditor, external_ref__in=[r.external_ref for r in rows]
        ).select_related("debtor", "creditor")
    }
    existing = {
        p.reference: p
        for p in Payment.objects.filter(creditor=creditor, reference__in=[r.reference for r in rows])
    }
    for row in rows:
        case = cases.get(row.external_ref)
        if case is not None and not policies.can_record_payment(actor, case):
            errors.append(
                RowError(
                    row.line,
                    "external_ref",
                    str(_("you may not record payments on this case")),
                    "PERMISSION_DENIED",
                )
            )
            continue
        errors += _row_problems(
            row, case, existing.get(row.reference), local_today(case, now) if case else now.date()
        )
    report.errors = importing.sort_errors(errors) if errors else []
    if report.errors:
        audit.record(
            actor=actor,
            action="payments.import.refused",
            obj=creditor,
            data={
                "sha256": report.sha256,
                "errors": len(report.errors),
                "codes": sorted({e.code for e in report.errors}),
            },
        )
        return report
    if dry_run:
        report.unchanged = [r.reference for r in rows if r.reference in existing]
        report.created = [r.reference for r in rows if r.reference not in existing]
        report.payments = {r.reference: existing[r.reference].pk for r in rows if r.reference in existing}
        return report
    for row in rows:
        case = lock_case(cases[row.external_ref])
        payment, created = _record_one(
            case=case,
            actor=actor,
            amount=row.amount,
            paid_on=row.paid_on,
            method=row.method,
            reference=row.reference,
            note=row.note,
            source=source,
            now=now,
        )
        (report.created if created else report.unchanged).append(row.reference)
        report.payments[row.reference] = payment.pk
    audit.record(
        actor=actor,
        action="payments.imported",
        obj=creditor,
        data={
            "sha256": report.sha256,
            "rows": report.rows,
            "created": len(report.created),
            "unchanged": len(report.unchanged),
        },
    )
    return report
