"""Rule packs as a compliance officer manages them: stricter copies, new versions, creditor bindings.

A pack row is never edited: a change is a new row (`version + 1`), so every past `RuleDecision` keeps
pointing at the parameters it used. A *stricter copy* is a new code whose parameters are each at least
as strict as its base pack's; a new version of a copy must stay at least as strict as the pack the copy
was based on (the shipped packs encode the law and may be versioned freely by a compliance officer).

What "at least as strict" means, parameter by parameter (one `Failure` per field that is less strict):
- contact window: may start later and end earlier, never the reverse;
- minimum agents, notice lead time: may grow; notice required: may be switched on, never off;
- visit cap: may shrink; its rolling window may grow (with the cap not higher, fewer visits fit in any
  window of the base's length, so a longer window is stricter);
- phone caps: may shrink;
- retention: a minimum (the sources say "at least"), so it may grow, never shrink; keeping records
  "no longer than necessary" (PIPL) is the operator's choice above that minimum;
- limitation period: may shrink (the LIMITATION warning then comes earlier), never grow; the events that
  restart it may be fewer, never more;
- gentler channels first: more attempts, in a window no longer;
- overridable checks: may be fewer, never more (each extra override is a way around a refusal);
- jurisdiction: the base's.

Floors and four eyes (docs/compliance.md): no version, copy or approval goes below its jurisdiction's
floor (`compliance.pack_floors`, refused with `PACK_BELOW_FLOOR` naming the field). A new version that
tightens or keeps every parameter takes effect at once; one that loosens anything relative to the
version in force, and binding a creditor to another jurisdiction's pack (or to a less strict one),
become a pending `PackChangeRequest` that a second compliance officer approves or rejects; the
requester never approves their own. `pack_new_version` and `creditor_bind_pack` return either what
took effect (the new `RulePack`, the creditor) or the pending request.

Compliance is the floor of the dependency graph: it never imports a stage app. A creditor is accepted
duck-typed, and creditors are read through `apps.get_model("cases", "Creditor")`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused

from . import audit
from .limitation import INTERRUPTIONS
from .models import PackChangeRequest, RulePack
from .pack_floors import below_floor
from .policies import can_approve_pack_change, can_bind_creditor, can_manage_packs
from .rules import CHECKS

SOURCE_PACKS = _("FieldLedger rule packs: a copy or version is never less strict than its base")

# The parameters a copy or a new version may change, and the rule (check code) each one feeds.
PARAMETERS: dict[str, str] = {
    "contact_window_start": "CONTACT_WINDOW",
    "contact_window_end": "CONTACT_WINDOW",
    "min_agents": "MIN_AGENTS",
    "notice_required": "NOTICE_LEAD_TIME",
    "notice_lead_hours": "NOTICE_LEAD_TIME",
    "visit_cap": "VISIT_FREQUENCY",
    "visit_cap_window_days": "VISIT_FREQUENCY",
    "phone_unanswered_per_day": "PHONE_ATTEMPTS",
    "phone_connected_per_day": "PHONE_ATTEMPTS",
    "phone_calls_per_7_days": "PHONE_ATTEMPTS",
    "retention_years": "RETENTION",
    "limitation_years": "LIMITATION",
    "limitation_interrupted_by": "LIMITATION",
    "gentler_attempts": "GENTLER_FIRST",
    "gentler_window_days": "GENTLER_FIRST",
    "max_instalment_share": "AFFORDABILITY",
    "payment_reminder_days": "PAYMENT_REMINDER",
    "agreement_grace_days": "AGREEMENT_BROKEN",
    "promise_grace_days": "PROMISE_BROKEN",
    "overridable": "OVERRIDE",
}
# Which key of `RulePack.sources` documents each parameter (the shipped packs' keys).
SOURCE_KEYS: dict[str, str] = {
    "contact_window_start": "contact_window",
    "contact_window_end": "contact_window",
    "min_agents": "min_agents",
    "notice_required": "notice",
    "notice_lead_hours": "notice",
    "visit_cap": "visit_cap",
    "visit_cap_window_days": "visit_cap",
    "phone_unanswered_per_day": "phone",
    "phone_connected_per_day": "phone",
    "phone_calls_per_7_days": "phone",
    "retention_years": "retention",
    "limitation_years": "limitation",
    "limitation_interrupted_by": "limitation",
    "gentler_attempts": "gentler_first",
    "gentler_window_days": "gentler_first",
    "max_instalment_share": "agreements",
    "payment_reminder_days": "agreements",
    "agreement_grace_days": "agreements",
    "promise_grace_days": "agreements",
    "overridable": "overridable",
}
# "min": the value may not fall below the base's; "max": may not rise above it.
_DIRECTION: dict[str, str] = {
    "contact_window_start": "min",
    "contact_window_end": "max",
    "min_agents": "min",
    "notice_lead_hours": "min",
    "visit_cap": "max",
    "visit_cap_window_days": "min",
    "phone_unanswered_per_day": "max",
    "phone_connected_per_day": "max",
    "phone_calls_per_7_days": "max",
    "retention_years": "min",
    "limitation_years": "max",
    # GENTLER_FIRST: more attempts asked for is stricter; a longer window to find them in is not.
    "gentler_attempts": "min",
    "gentler_window_days": "max",
    # A stricter pack lets the debtor be asked for less of their disposable income, and gives them at
    # least as long before an agreement or a promise counts as broken. Reminders are a house choice.
    "max_instalment_share": "max",
    "agreement_grace_days": "min",
    "promise_grace_days": "min",
}


# --- who may do what (the view asks the same functions) -------------------------------------------


# --- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackFamily:
    """All versions of one code, newest first; `current` is the one creditors bound to the code use."""

    code: str
    versions: list[RulePack]
    creditors: list[Any]

    @property
    def current(self) -> RulePack:
        return self.versions[0]


def pack_families() -> list[PackFamily]:
    """Every pack code with its versions and the creditors bound to it: two queries."""
    Creditor = apps.get_model("cases", "Creditor")
    by_code: dict[str, list[Any]] = {}
    for creditor in Creditor.objects.only("pk", "code", "name", "rule_pack_code").order_by("code"):
        by_code.setdefault(creditor.rule_pack_code, []).append(creditor)
    families: dict[str, list[RulePack]] = {}
    for pack in RulePack.objects.select_related("based_on", "created_by").order_by("code", "-version"):
        families.setdefault(pack.code, []).append(pack)
    return [PackFamily(code, versions, by_code.get(code, [])) for code, versions in families.items()]


def latest_version(code: str) -> RulePack | None:
    return RulePack.objects.filter(code=code).order_by("-version").first()


def creditors_bound_to(code: str) -> list[Any]:
    Creditor = apps.get_model("cases", "Creditor")
    return list(Creditor.objects.filter(rule_pack_code=code).only("pk", "code", "name").order_by("code"))


def parameters_of(pack: RulePack) -> dict[str, Any]:
    return {name: getattr(pack, name) for name in PARAMETERS} | {
        "jurisdiction": pack.jurisdiction,
        "overridable": sorted(pack.overridable or []),
        "limitation_interrupted_by": sorted(pack.limitation_interrupted_by or []),
    }


def parameter_rows(pack: RulePack) -> list[dict[str, Any]]:
    """Every parameter with its label, value, the rule it feeds and its source (for the detail page)."""
    sources = pack.sources or {}
    return [
        {
            "name": name,
            "label": RulePack._meta.get_field(name).verbose_name,
            "value": getattr(pack, name),
            "rule": rule,
            "source": sources.get(SOURCE_KEYS[name], ""),
        }
        for name, rule in PARAMETERS.items()
    ]


def _trace(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe parameters for the audit payload (times as HH:MM)."""
    return {
        k: (v.strftime("%H:%M") if isinstance(v, dt.time) else sorted(v) if isinstance(v, list) else v)
        for k, v in values.items()
    }


# --- strictness -----------------------------------------------------------------------------------


def _label(name: str) -> str:
    return str(RulePack._meta.get_field(name).verbose_name)


def _show(value: Any) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)


def less_strict(*, base: RulePack, values: dict[str, Any]) -> list[Failure]:
    """One failure per parameter of `values` that is less strict than `base` (see the module docstring)."""
    failures: list[Failure] = []
    for name, value in values.items():
        rule = PARAMETERS.get(name)
        old = getattr(base, name, None)
        if value is None or old is None:  # missing values are the model validation's to refuse
            continue
        params = {"field": _label(name), "rule": rule, "base": _show(old), "value": _show(value)}
        direction = _DIRECTION.get(name)
        if direction == "min" and value < old:
            message = (
                _("%(field)s (%(rule)s): %(value)s is earlier than the base pack's %(base)s, so less strict.")
                if isinstance(value, dt.time)
                else _(
                    "%(field)s (%(rule)s): %(value)s is lower than the base pack's %(base)s, so less strict."
                )
            )
            failures.append(Failure("PACK_LESS_STRICT", message % params, SOURCE_PACKS, name))
        elif direction == "max" and value > old:
            message = (
                _("%(field)s (%(rule)s): %(value)s is later than the base pack's %(base)s, so less strict.")
                if isinstance(value, dt.time)
                else _(
                    "%(field)s (%(rule)s): %(value)s is higher than the base pack's %(base)s, so less strict."
                )
            )
            failures.append(Failure("PACK_LESS_STRICT", message % params, SOURCE_PACKS, name))
        elif name == "notice_required" and old and not value:
            failures.append(
                Failure(
                    "PACK_LESS_STRICT",
                    _("%(field)s (%(rule)s): the base pack requires prior notice; it cannot be switched off.")
                    % params,
                    SOURCE_PACKS,
                    name,
                )
            )
        elif name == "limitation_interrupted_by":
            extra = sorted(set(value) - set(old or []))
            if extra:
                failures.append(
                    Failure(
                        "PACK_LESS_STRICT",
                        _(
                            "%(field)s (%(rule)s): the base pack does not let %(kinds)s restart the period; "
                            "a stricter pack may count fewer events, never more."
                        )
                        % {**params, "kinds": ", ".join(extra)},
                        SOURCE_PACKS,
                        name,
                    )
                )
        elif name == "overridable":
            extra = sorted(set(value) - set(old or []))
            if extra:
                failures.append(
                    Failure(
                        "PACK_LESS_STRICT",
                        _(
                            "%(field)s (%(rule)s): the base pack allows no override of %(codes)s; "
                            "a stricter pack may allow fewer overrides, never more."
                        )
                        % {**params, "codes": ", ".join(extra)},
                        SOURCE_PACKS,
                        name,
                    )
                )
    return failures


def _check_changes(changes: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """Known parameters only, overridable as a sorted list of known check codes."""
    failures: list[Failure] = []
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in PARAMETERS:
            failures.append(
                Failure(
                    "PACK_UNKNOWN_FIELD",
                    _("%(field)s is not a rule-pack parameter that can be changed.") % {"field": name},
                    SOURCE_PACKS,
                    name if name in {"jurisdiction", "code", "version"} else "",
                )
            )
            continue
        if name == "overridable":
            value = sorted(set(value or []))
            unknown = [code for code in value if code not in CHECKS]
            if unknown:
                failures.append(
                    Failure(
                        "PACK_UNKNOWN_FIELD",
                        _("Unknown rule codes: %(codes)s.") % {"codes": ", ".join(unknown)},
                        SOURCE_PACKS,
                        name,
                    )
                )
                continue
        if name == "limitation_interrupted_by":
            value = sorted(set(value or []))
            unknown = [kind for kind in value if kind not in INTERRUPTIONS]
            if unknown:
                failures.append(
                    Failure(
                        "PACK_UNKNOWN_FIELD",
                        _("Unknown limitation events: %(kinds)s.") % {"kinds": ", ".join(unknown)},
                        SOURCE_PACKS,
                        name,
                    )
                )
                continue
        clean[name] = value
    return clean, failures


def _differing(pack: RulePack, values: dict[str, Any]) -> dict[str, Any]:
    """Only the values that differ from `pack`'s (what the audit calls "changed")."""
    current = parameters_of(pack)
    return {k: v for k, v in values.items() if v != current[k]}


def _validated(pack: RulePack) -> list[Failure]:
    """Model validation and the window's own order, as failures with their field names."""
    failures: list[Failure] = []
    try:
        pack.full_clean(exclude=["based_on", "created_by"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                failures.append(
                    Failure("PACK_INVALID", message, SOURCE_PACKS, "" if name == "__all__" else name)
                )
    if not failures and pack.contact_window_start >= pack.contact_window_end:
        failures.append(
            Failure(
                "PACK_INVALID",
                _("%(field)s (CONTACT_WINDOW) must be before the end of the window.")
                % {"field": _label("contact_window_start")},
                SOURCE_PACKS,
                "contact_window_start",
            )
        )
    return failures


def _copy_of(pack: RulePack, **changes: Any) -> RulePack:
    values = {name: getattr(pack, name) for name in PARAMETERS}
    values["overridable"] = list(pack.overridable or [])
    values["limitation_interrupted_by"] = list(pack.limitation_interrupted_by or [])
    return RulePack(
        code=pack.code,
        name=pack.name,
        jurisdiction=pack.jurisdiction,
        based_on=pack.based_on,
        sources=dict(pack.sources or {}),
        **{**values, **changes},
    )


def _require(allowed: bool, message: Any) -> None:
    if not allowed:
        raise PermissionRefused.because(message)


def _labels() -> dict[str, str]:
    return {name: _label(name) for name in PARAMETERS}


def _floor_failures(pack: RulePack) -> list[Failure]:
    return below_floor(jurisdiction=pack.jurisdiction, values=parameters_of(pack), labels=_labels())


def _untrace(values: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `_trace` for the parameters a request stores (times back from HH:MM)."""
    return {
        k: (dt.time.fromisoformat(v) if k in {"contact_window_start", "contact_window_end"} else v)
        for k, v in values.items()
    }


def _reason_failures(reason: str) -> list[Failure]:
    if (reason or "").strip():
        return []
    return [
        Failure(
            "PACK_REASON_REQUIRED",
            _(
                "Reason: say why the pack may be loosened; a second compliance officer reads it before approving."
            ),
            SOURCE_PACKS,
            "reason",
        )
    ]


def _unknown(pack_code: str, field: str) -> DomainError:
    return DomainError(
        [
            Failure(
                "PACK_UNKNOWN",
                _("There is no rule pack “%(code)s”.") % {"code": pack_code},
                SOURCE_PACKS,
                field,
            )
        ]
    )


def _build_version(latest: RulePack, clean: dict[str, Any], created_by: Any) -> RulePack:
    pack = _copy_of(latest, **clean)
    pack.version, pack.created_by = latest.version + 1, created_by
    pack.sources = {
        **(latest.sources or {}),
        **{SOURCE_KEYS[k]: f"policy: changed in v{pack.version}" for k in clean},
    }
    return pack


# --- services -------------------------------------------------------------------------------------


@transaction.atomic
def pack_create_stricter_copy(
    *, base: RulePack, code: str, name: str, changes: dict[str, Any], actor: Any
) -> RulePack:
    """Version 1 of a new pack `code`, based on `base`, every parameter at least as strict as the base's."""
    _require(can_manage_packs(actor), _("Only a compliance officer may create rule packs."))
    clean, failures = _check_changes(changes)
    code = (code or "").strip()
    if RulePack.objects.filter(code=code).exists():
        failures.append(
            Failure(
                "PACK_CODE_TAKEN",
                _("A rule pack with the code “%(code)s” exists already; give the copy a new code.")
                % {"code": code},
                SOURCE_PACKS,
                "code",
            )
        )
    clean = _differing(base, clean)
    failures += less_strict(base=base, values=clean)
    pack = _copy_of(base, **clean)
    pack.code, pack.name, pack.version, pack.based_on, pack.created_by = code, name.strip(), 1, base, actor
    pack.sources = {
        **(base.sources or {}),
        "based_on": f"{base.code} v{base.version}",
        **{SOURCE_KEYS[k]: f"policy: stricter than {base.code} v{base.version}" for k in clean},
    }
    if not failures:
        failures += _validated(pack) or _floor_failures(pack)
    if failures:
        raise DomainError(failures)
    pack.save()
    audit.record(
        actor=actor,
        action="rulepack.created",
        obj=pack,
        data={
            "code": pack.code,
            "version": 1,
            "based_on": [base.code, base.version],
            "changed": sorted(clean),
            "parameters": _trace(parameters_of(pack)),
        },
    )
    return pack


@transaction.atomic
def pack_new_version(
    *, pack_code: str, changes: dict[str, Any], actor: Any, reason: str = ""
) -> RulePack | PackChangeRequest:
    """A new row `version + 1` of `pack_code` with `changes`; the old rows stay as they were.

    A copy's new version stays at least as strict as the pack it was copied from; no version goes
    below its jurisdiction's floor. A version that loosens anything relative to the version in force
    is not created: a pending `PackChangeRequest` (with `reason`) waits for a second officer."""
    _require(can_manage_packs(actor), _("Only a compliance officer may create rule packs."))
    # Lock the newest version: two officers versioning at once get versions n+1 and n+2, in order.
    latest = RulePack.objects.select_for_update().filter(code=pack_code).order_by("-version").first()
    if latest is None:
        raise _unknown(pack_code, "code")
    clean, failures = _check_changes(changes)
    clean = _differing(latest, clean)
    if not clean and not failures:
        failures.append(
            Failure(
                "PACK_NO_CHANGE",
                _("Nothing changed: a new version needs at least one different parameter."),
                SOURCE_PACKS,
            )
        )
    if latest.based_on is not None:
        failures += less_strict(base=latest.based_on, values=clean)
    pack = _build_version(latest, clean, actor)
    if not failures:
        failures += _validated(pack) or _floor_failures(pack)
    loosened = [] if failures else less_strict(base=latest, values=clean)
    if loosened:
        failures += _reason_failures(reason)
    if failures:
        raise DomainError(failures)
    if loosened:
        change = PackChangeRequest.objects.create(
            kind=PackChangeRequest.Kind.VERSION,
            pack_code=pack_code,
            base_version=latest.version,
            changes=_trace(clean),
            loosened=sorted({f.field for f in loosened}),
            reason=reason.strip(),
            requested_by=actor,
        )
        audit.record(
            actor=actor,
            action="rulepack.change_requested",
            obj=change,
            data={
                "request": change.pk,
                "kind": change.kind,
                "code": pack_code,
                "base_version": latest.version,
                "changed": sorted(clean),
                "loosened": change.loosened,
                "requested_by": actor.pk,
            },
        )
        return change
    return _save_version(pack, previous=latest, actor=actor, changed=clean)


def _save_version(
    pack: RulePack, *, previous: RulePack, actor: Any, changed: dict[str, Any], approval: Any = None
) -> RulePack:
    pack.save()
    data: dict[str, Any] = {
        "code": pack.code,
        "version": pack.version,
        "previous": previous.version,
        "changed": sorted(changed),
        "parameters": _trace(parameters_of(pack)),
    }
    if approval is not None:
        data |= {
            "request": approval.pk,
            "requested_by": approval.requested_by_id,
            "approved_by": approval.decided_by_id,
        }
    audit.record(actor=actor, action="rulepack.versioned", obj=pack, data=data)
    return pack


def _binding_loosens(*, old_code: str, new: RulePack) -> list[Failure]:
    """Why moving from `old_code`'s current version to `new` needs a second officer ([] when not)."""
    old = latest_version(old_code)
    if old is None:
        return []
    if old.jurisdiction != new.jurisdiction:
        return [
            Failure(
                "PACK_OTHER_JURISDICTION",
                _("The creditor moves from a %(old)s pack to a %(new)s pack.")
                % {"old": old.jurisdiction, "new": new.jurisdiction},
                SOURCE_PACKS,
                "jurisdiction",
            )
        ]
    values = {name: getattr(new, name) for name in PARAMETERS} | {"overridable": list(new.overridable or [])}
    return less_strict(base=old, values=values)


@transaction.atomic
def creditor_bind_pack(*, creditor: Any, pack_code: str, actor: Any, reason: str = "") -> Any:
    """Bind a creditor to a pack code: its cases follow the code's current version from now on.

    A move to another jurisdiction's pack, or to a pack less strict than the one in force, becomes a
    pending `PackChangeRequest` (returned) for a second compliance officer."""
    _require(
        can_bind_creditor(actor), _("Only an administrator or a compliance officer may bind a rule pack.")
    )
    current = latest_version(pack_code)
    if current is None:
        raise _unknown(pack_code, "pack")
    creditor = type(creditor)._default_manager.select_for_update().get(pk=creditor.pk)
    old = creditor.rule_pack_code
    if old == pack_code:
        raise DomainError(
            [
                Failure(
                    "PACK_ALREADY_BOUND",
                    _("%(creditor)s already follows the rule pack “%(code)s”.")
                    % {"creditor": creditor.name, "code": pack_code},
                    SOURCE_PACKS,
                    "pack",
                )
            ]
        )
    loosened = _binding_loosens(old_code=old, new=current)
    if not loosened:
        return _bind(creditor, pack_code=pack_code, current=current, actor=actor, old=old)
    if PackChangeRequest.objects.filter(
        kind=PackChangeRequest.Kind.BIND, creditor_id=creditor.pk, status=PackChangeRequest.Status.PENDING
    ).exists():
        raise DomainError(
            [
                Failure(
                    "PACK_CHANGE_PENDING",
                    _("A change of %(creditor)s's rule pack is already waiting for approval.")
                    % {"creditor": creditor.name},
                    SOURCE_PACKS,
                    "pack",
                )
            ]
        )
    failures = _reason_failures(reason)
    if failures:
        raise DomainError(failures)
    change = PackChangeRequest.objects.create(
        kind=PackChangeRequest.Kind.BIND,
        pack_code=pack_code,
        creditor_id=creditor.pk,
        from_pack_code=old,
        loosened=sorted({f.field for f in loosened}),
        reason=reason.strip(),
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="rulepack.change_requested",
        obj=change,
        data={
            "request": change.pk,
            "kind": change.kind,
            "creditor": creditor.code,
            "from": old,
            "to": pack_code,
            "loosened": change.loosened,
            "requested_by": actor.pk,
        },
    )
    return change


def _bind(
    creditor: Any, *, pack_code: str, current: RulePack, actor: Any, old: str, approval: Any = None
) -> Any:
    creditor.rule_pack_code = pack_code
    creditor.full_clean()
    creditor._history_user = actor
    creditor.save()
    data: dict[str, Any] = {
        "creditor": creditor.code,
        "from": old,
        "to": pack_code,
        "current_version": current.version,
    }
    if approval is not None:
        data |= {
            "request": approval.pk,
            "requested_by": approval.requested_by_id,
            "approved_by": approval.decided_by_id,
        }
    audit.record(actor=actor, action="creditor.rule_pack_bound", obj=creditor, data=data)
    return creditor


# --- four eyes: approving or declining a pending change -------------------------------------------


def pending_changes() -> list[PackChangeRequest]:
    """Every change waiting for a second officer, oldest first (the workspace and the pack pages)."""
    return list(
        PackChangeRequest.objects.filter(status=PackChangeRequest.Status.PENDING)
        .select_related("requested_by")
        .order_by("requested_at", "pk")
    )


def pending_changes_for(code: str) -> list[PackChangeRequest]:
    return [c for c in pending_changes() if c.pack_code == code or c.from_pack_code == code]


def decided_changes(*, size: int = 20) -> list[PackChangeRequest]:
    return list(
        PackChangeRequest.objects.exclude(status=PackChangeRequest.Status.PENDING)
        .select_related("requested_by", "decided_by", "result_pack")
        .order_by("-decided_at", "-pk")[:size]
    )


def creditor_of(change: PackChangeRequest) -> Any:
    if change.creditor_id is None:
        return None
    Creditor = apps.get_model("cases", "Creditor")
    return Creditor.objects.filter(pk=change.creditor_id).only("pk", "code", "name").first()


def change_rows(change: PackChangeRequest) -> list[dict[str, Any]]:
    """What the request changes, parameter by parameter: the value in force, the one asked for, and
    whether it loosens (for the approver's page)."""
    if change.kind == PackChangeRequest.Kind.VERSION:
        base = RulePack.objects.filter(code=change.pack_code, version=change.base_version).first()
        asked = change.changes
    else:
        base = latest_version(change.from_pack_code)
        new = latest_version(change.pack_code)
        asked = _trace(parameters_of(new)) if new else {}
    before = _trace(parameters_of(base)) if base else {}
    rows = []
    for name in PARAMETERS:
        if name not in asked or asked[name] == before.get(name):
            continue
        rows.append(
            {
                "name": name,
                "label": _label(name),
                "before": before.get(name, ""),
                "after": asked[name],
                "loosens": name in change.loosened,
            }
        )
    return rows


def _locked_pending(change: PackChangeRequest) -> PackChangeRequest:
    change = PackChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status != PackChangeRequest.Status.PENDING:
        raise DomainError(
            [
                Failure(
                    "PACK_CHANGE_DECIDED",
                    _("This change was already decided (%(status)s).")
                    % {"status": change.get_status_display()},
                    SOURCE_PACKS,
                )
            ]
        )
    return change


def _stale(message: Any) -> DomainError:
    return DomainError([Failure("PACK_CHANGE_STALE", message, SOURCE_PACKS)])


@transaction.atomic
def pack_change_approve(*, change: PackChangeRequest, actor: Any, note: str = "") -> Any:
    """The second officer's approval: the version is created (or the creditor rebound) now, with the
    requester and the approver in the audit trail. Returns the new `RulePack` or the creditor."""
    _require(can_manage_packs(actor), _("Only a compliance officer may approve a rule-pack change."))
    change = _locked_pending(change)
    if not can_approve_pack_change(actor, change):
        raise DomainError(
            [
                Failure(
                    "FOUR_EYES_SAME_PERSON",
                    _("You asked for this change: a second compliance officer must approve it."),
                    SOURCE_PACKS,
                )
            ]
        )
    change.status = PackChangeRequest.Status.APPROVED
    change.decided_by, change.decided_at, change.decision_note = actor, timezone.now(), (note or "").strip()
    if change.kind == PackChangeRequest.Kind.VERSION:
        result = _approve_version(change, actor)
        change.result_pack = result
    else:
        result = _approve_bind(change, actor)
    change.save()
    audit.record(
        actor=actor,
        action="rulepack.change_approved",
        obj=change,
        data={
            "request": change.pk,
            "kind": change.kind,
            "code": change.pack_code,
            "requested_by": change.requested_by_id,
            "approved_by": actor.pk,
            "version": change.result_pack.version if change.result_pack else None,
        },
    )
    return result


def _approve_version(change: PackChangeRequest, actor: Any) -> RulePack:
    latest = RulePack.objects.select_for_update().filter(code=change.pack_code).order_by("-version").first()
    if latest is None:
        raise _unknown(change.pack_code, "")
    if latest.version != change.base_version:
        raise _stale(
            _(
                "The pack has changed since this was asked (v%(asked)s, now v%(now)s): reject it and ask "
                "again on the version in force."
            )
            % {"asked": change.base_version, "now": latest.version}
        )
    clean = _untrace(change.changes)
    pack = _build_version(latest, clean, change.requested_by)
    failures = (less_strict(base=latest.based_on, values=clean) if latest.based_on else []) or (
        _validated(pack) or _floor_failures(pack)
    )
    if failures:
        raise DomainError(failures)
    return _save_version(pack, previous=latest, actor=actor, changed=clean, approval=change)


def _approve_bind(change: PackChangeRequest, actor: Any) -> Any:
    Creditor = apps.get_model("cases", "Creditor")
    creditor = Creditor._default_manager.select_for_update().get(pk=change.creditor_id)
    if creditor.rule_pack_code != change.from_pack_code:
        raise _stale(
            _("%(creditor)s no longer follows %(code)s: reject this and ask again.")
            % {"creditor": creditor.name, "code": change.from_pack_code}
        )
    current = latest_version(change.pack_code)
    if current is None:
        raise _unknown(change.pack_code, "")
    return _bind(
        creditor,
        pack_code=change.pack_code,
        current=current,
        actor=actor,
        old=change.from_pack_code,
        approval=change,
    )


@transaction.atomic
def pack_change_decline(*, change: PackChangeRequest, actor: Any, note: str = "") -> PackChangeRequest:
    """The requester withdraws their own request; another compliance officer rejects it with a note."""
    change = _locked_pending(change)
    own = change.requested_by_id == getattr(actor, "pk", None)
    _require(own or can_manage_packs(actor), _("Only a compliance officer may reject a rule-pack change."))
    note = (note or "").strip()
    if not own and not note:
        raise DomainError(
            [
                Failure(
                    "PACK_NOTE_REQUIRED",
                    _("Note: say why the change is rejected; the requester reads it."),
                    SOURCE_PACKS,
                    "note",
                )
            ]
        )
    change.status = PackChangeRequest.Status.WITHDRAWN if own else PackChangeRequest.Status.REJECTED
    change.decided_by, change.decided_at, change.decision_note = actor, timezone.now(), note
    change.save()
    audit.record(
        actor=actor,
        action="rulepack.change_withdrawn" if own else "rulepack.change_rejected",
        obj=change,
        data={
            "request": change.pk,
            "kind": change.kind,
            "code": change.pack_code,
            "requested_by": change.requested_by_id,
            "decided_by": actor.pk,
        },
    )
    return change
