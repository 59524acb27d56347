"""The case dossier: one ZIP a regulator, a court, the creditor or the debtor can check on their own.

    dossier.pdf                      the case so far, section by section (registry.DossierSection)
    audit/case-<id>.jsonl            the case's audit events, exactly as exported (docs/audit-format.md)
    audit/case-<id>.manifest.json    their manifest (filter, first/last seq, digests, chain head)
    documents/..., visits/...        files the sections attach (case documents, later visit reports,
                                     evidence, agreements), each listed with its SHA-256
    verify_audit_export.py           the standalone verifier (standard library only)
    SHA256SUMS                       the SHA-256 of every other file (`sha256sum -c SHA256SUMS`)
    README.txt                       how to check all of it

Sections come from the stage apps (cases: the case, debtor, stage history, timeline, documents; visits:
visits, notices, contacts; compliance: decisions, complaints); each builds its own part for the
redaction profile (`registry.DossierContext`): `regulator` everything, `creditor` the debtor's personal
data masked, `debtor` (a subject-access request) their own data and no agent's personal data. Building
one is an audit event, `dossier.exported` (profile and digests), and counts as an access in the
access log. The ZIP is written to a temporary file entry by entry (files are copied in chunks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure
from common.pdf import RenderedPdf, render_pdf

from . import audit, documents, exports, registry, search
from .models import Complaint, RuleDecision
from .registry import DossierContext, DossierFile, DossierPart, DossierSection

VERIFIER = Path(settings.BASE_DIR) / "tools" / "verify_audit_export.py"


def staff_namer(profile: str) -> Callable[[Any], str]:
    """How a profile names people: by name, or (debtor profile) as "Staff member 1", "2", ... in the
    order they first appear in this dossier, so no agent's personal data reaches the debtor."""
    numbers: dict[int, int] = {}

    def name(user: Any) -> str:
        if user is None:
            return _t("the system")
        if profile != "debtor":
            return str(getattr(user, "display_name", user))
        number = numbers.setdefault(user.pk, len(numbers) + 1)
        return _t("Staff member %(n)d") % {"n": number}

    return name


@dataclass(frozen=True)
class Built:
    file: IO[bytes]  # the ZIP, rewound; the caller closes it
    filename: str
    sha256: str
    size: int


def _copy_into(zf: zipfile.ZipFile, name: str, source: IO[bytes]) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with zf.open(name, "w", force_zip64=True) as target:
        for chunk in iter(lambda: source.read(1 << 16), b""):
            sha.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return sha.hexdigest(), size


def _write_bytes(zf: zipfile.ZipFile, name: str, content: bytes) -> str:
    zf.writestr(name, content)
    return hashlib.sha256(content).hexdigest()


def _audit_export(case_id: int, actor: Any, now: dt.datetime) -> tuple[IO[bytes], bytes, str]:
    """The case's events as JSON Lines in a temp file, its manifest bytes and the JSONL's SHA-256."""
    f = search.AuditFilter(case_id=case_id)
    head_seq, head_hash = exports.head()
    tally = exports.Tally()
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller
    writer = exports.JsonlWriter(tmp)
    for event in exports.events_of(f, head_seq=head_seq):
        tally.add(event)
        writer.add(event)
    writer.finish()
    tmp.seek(0)
    sha, size = hashlib.sha256(), 0
    for chunk in iter(lambda: tmp.read(1 << 16), b""):
        sha.update(chunk)
        size += len(chunk)
    tmp.seek(0)
    name = f"case-{case_id}.jsonl"
    manifest = exports.manifest(
        filter=f,
        tally=tally,
        head=(head_seq, head_hash),
        files=[exports.StoredFile(name, "jsonl", sha.hexdigest(), size)],
        created_at=now,
        requested_by=audit.actor_ref(actor)[0],
    )
    return tmp, exports.manifest_bytes(manifest), sha.hexdigest()


def dossier_pdf(
    *,
    case_id: int,
    profile: str,
    now: dt.datetime,
    with_files: bool = True,
    title: str = "",
    preface: str = "",
) -> tuple[list[DossierPart], RenderedPdf]:
    """The dossier's parts and its PDF (the closing report is this PDF for the regulator profile, with
    a preface and without the attached files)."""
    ctx = DossierContext(
        case_id=case_id, profile=profile, now=now, person=staff_namer(profile), with_files=with_files
    )
    parts = [part for section in registry.dossier_sections() if (part := section.build(ctx)) is not None]
    label = registry.case_directory().labels([case_id]).get(case_id, str(case_id))
    pdf = render_pdf(
        template="pdf/dossier.html",
        context={
            "parts": parts,
            "label": label,
            "case_id": case_id,
            "profile": profile,
            "now": now,
            "title": title,
            "preface": preface,
        },
        filename=f"dossier-case-{case_id}.pdf",
        language=translation.get_language(),
        sign=True,
    )
    return parts, pdf


def members(parts: list[DossierPart], profile: str) -> tuple[list[DossierFile], list[tuple[str, str]]]:
    """The files a dossier in `profile` carries, and those the document policy keeps out of it (each
    with its reason, for the README's list): a masked dossier never holds an unmasked file."""
    included: list[DossierFile] = []
    left_out: list[tuple[str, str]] = []
    for part in parts:
        for file in part.files:
            reason = documents.dossier_left_out(file.kind, profile) if file.kind else ""
            if reason:
                left_out.append((file.name, reason))
            else:
                included.append(file)
    return included, left_out


def dossier_build(*, case_id: int, profile: str, actor: Any, now: dt.datetime | None = None) -> Built:
    """Build the dossier ZIP of a case for a profile and record `dossier.exported`.

    Who may build which profile is the caller's check (cases.policies.dossier_profiles)."""
    if profile not in registry.PROFILES:
        raise DomainError([Failure("INVALID_INPUT", _("Choose a redaction profile."), "", "profile")])
    now = now or timezone.now()
    parts, pdf = dossier_pdf(case_id=case_id, profile=profile, now=now)
    label = registry.case_directory().labels([case_id]).get(case_id, str(case_id))
    sums: list[tuple[str, str]] = []
    zip_tmp = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller (a FileResponse closes it)
    jsonl_tmp, manifest_content, _jsonl_sha = _audit_export(case_id, actor, now)
    with zipfile.ZipFile(zip_tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf, jsonl_tmp:
        sums.append(("dossier.pdf", _write_bytes(zf, "dossier.pdf", pdf.content)))
        jsonl_name = f"audit/case-{case_id}.jsonl"
        sums.append((jsonl_name, _copy_into(zf, jsonl_name, jsonl_tmp)[0]))
        manifest_name = f"audit/case-{case_id}.manifest.json"
        manifest_sha = _write_bytes(zf, manifest_name, manifest_content)
        sums.append((manifest_name, manifest_sha))
        included, left_out = members(parts, profile)
        for file in included:
            with file.open() as handle:
                digest, _size = _copy_into(zf, file.name, handle)
            sums.append((file.name, digest))
        sums.append(
            ("verify_audit_export.py", _write_bytes(zf, "verify_audit_export.py", VERIFIER.read_bytes()))
        )
        readme = render_to_string(
            "compliance/dossier_readme.txt",
            {
                "case_id": case_id,
                "label": label,
                "profile": profile,
                "now": audit.format_at(now),
                "files": [(f.name, f.sha256, f.description) for f in included],
                "left_out": left_out,
            },
        )
        sums.append(("README.txt", _write_bytes(zf, "README.txt", readme.encode("utf-8"))))
        zf.writestr("SHA256SUMS", "".join(f"{sha}  {name}\n" for name, sha in sums))
    zip_tmp.seek(0)
    zip_sha, size = hashlib.sha256(), 0
    for chunk in iter(lambda: zip_tmp.read(1 << 16), b""):
        zip_sha.update(chunk)
        size += len(chunk)
    zip_tmp.seek(0)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="dossier.exported",
            object_type="cases.case",
            object_id=str(case_id),
            case_id=case_id,
            data={
                "profile": profile,
                "kind": "dossier",
                "masking": documents.DOSSIER_MASKING[profile],
                "sha256": zip_sha.hexdigest(),
                "left_out": len(left_out),
                "zip_sha256": zip_sha.hexdigest(),
                "pdf_sha256": pdf.sha256,
                "manifest_sha256": manifest_sha,
                "files": len(sums),
            },
        )
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Built(zip_tmp, f"dossier-case-{case_id}-{profile}-{stamp}.zip", zip_sha.hexdigest(), size)


# --- compliance's own sections: decisions and complaints ------------------------------------------------


def _decisions(ctx: DossierContext) -> DossierPart | None:
    decisions = list(
        RuleDecision.objects.filter(case_id=ctx.case_id).select_related("pack", "actor").order_by("at", "pk")
    )
    rows = [
        {
            "at": audit.format_at(d.at),
            "action": d.action,
            "outcome": d.get_outcome_display(),
            "pack": f"{d.pack.code} v{d.pack.version}",
            "codes": ", ".join(f["code"] for f in d.failures or []),
            "by": ctx.person(d.actor),
            "reason": d.override_reason if ctx.profile == "regulator" else "",
        }
        for d in decisions
    ]
    html = render_to_string("pdf/dossier/_decisions.html", {"rows": rows, "ctx": ctx})
    return DossierPart(_("Rule decisions"), mark_safe(html))  # noqa: S308 - rendered by a template (escaped)


def _complaints(ctx: DossierContext) -> DossierPart | None:
    complaints = list(Complaint.objects.filter(case_id=ctx.case_id).select_related("resolved_by"))
    rows = [
        {
            "kind": c.get_kind_display(),
            "channel": c.get_channel_display(),
            "raised_by": c.get_raised_by_display(),
            "received": audit.format_at(c.received_at),
            "status": c.get_status_display(),
            "outcome": c.get_outcome_display() if c.outcome else "",
            # What the debtor wrote is theirs (and the regulator's); the creditor sees that it exists.
            "text": c.text if ctx.profile != "creditor" else "",
            "resolution": c.resolution if ctx.profile != "creditor" else "",
            "resolved_by": ctx.person(c.resolved_by) if c.resolved_by else "",
        }
        for c in complaints
    ]
    html = render_to_string("pdf/dossier/_complaints.html", {"rows": rows, "ctx": ctx})
    return DossierPart(_("Complaints and disputes"), mark_safe(html))  # noqa: S308


BUILT_IN = (
    DossierSection("compliance.decisions", 900, _decisions),
    DossierSection("compliance.complaints", 910, _complaints),
)

__all__ = ["BUILT_IN", "Built", "DossierFile", "dossier_build", "staff_namer"]
