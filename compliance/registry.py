"""Extension points of the compliance workspace, filled by the stage apps in `AppConfig.ready()`.

Compliance is the floor of the dependency graph: it never imports `cases`, `visits` or `agreements`
(they import it). Whatever the workspace needs from their data comes through these registries, so that
a stage app adds its own rows, columns, dossier sections and anonymizers without editing compliance:

- `CaseDirectory` (exactly one, set by `cases`): which case ids belong to a team, a creditor or a
  debtor, labels for case ids, and which cases are closed (for retention).
- `RoleReader` (exactly one, set by `accounts`): the roles a user holds and whether it is the service
  account (the document policy, compliance/documents.py, maps roles to masking profiles).
- `ExceptionSource` (many): rows of the exceptions report (refusals, overrides, "visit checked in
  outside the window", ...).
- `AgentMetricSource` (many): columns of the agent-level monthly view (visits by state, ...).
- `AccessAction` (many): audit actions that mean "someone saw personal data or took it away" (the
  access log): `pii.viewed`, `case.document_viewed`, exports, evidence downloads, ...
- `DossierSection` (many): parts of the case dossier ZIP (a piece of the PDF, and files).
- `RetentionSource` (many): anonymizers of a case's personal data when its retention period is over.

Registration is idempotent by key (Django may call `ready()` more than once in tests). docs/compliance.md
describes each extension point with an example.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from django.db.models import QuerySet
from django.utils.functional import Promise

Label = str | Promise


# --- the case directory (one provider: the cases app) --------------------------------------------


@dataclass(frozen=True)
class DebtorScope:
    """What belongs to one debtor: their id, their cases, and the objects events about them name."""

    debtor_id: int
    case_ids: tuple[int, ...]
    object_refs: tuple[tuple[str, str], ...]  # (object_type, object_id) of events about the debtor


@dataclass(frozen=True)
class ClosedCase:
    case_id: int
    closed_at: dt.datetime
    pack_code: str


class CaseDirectory(Protocol):
    def case_ids(
        self, *, team_id: int | None = None, creditor_id: int | None = None
    ) -> QuerySet[Any]:  # a `values("pk")` queryset, used as a subquery
        ...

    def teams(self) -> list[tuple[int, str]]: ...

    def creditors(self) -> list[tuple[int, str]]: ...

    def labels(self, case_ids: Iterable[int]) -> dict[int, str]: ...

    def exists(self, case_id: int) -> bool: ...

    def can_view(self, user: Any, case: Any) -> bool:
        """The cases app's policy: may this user see this case (a `cases.Case`)?"""
        ...

    def debtor_scope(self, ref: str) -> DebtorScope | None:
        """`ref` is an opaque reference: the debtor's id, or the keyed digest of their document number."""
        ...

    def debtor_ref_for_document(self, number: str) -> str | None:
        """The opaque reference of the debtor holding this document number (typed, never in a URL)."""
        ...

    def closed_cases(self) -> Iterator[ClosedCase]: ...


_directory: CaseDirectory | None = None


def set_case_directory(directory: CaseDirectory) -> None:
    global _directory  # one provider, set once at start-up
    _directory = directory


def case_directory() -> CaseDirectory:
    if _directory is None:  # pragma: no cover - the cases app is always installed
        raise RuntimeError("no case directory registered (the cases app sets it in its ready())")
    return _directory


# --- the roles of a user (one provider: the accounts app) -----------------------------------------


class RoleReader(Protocol):
    def roles_of(self, user: Any) -> frozenset[str]: ...

    def is_service(self, user: Any) -> bool: ...


_role_reader: RoleReader | None = None


def set_role_reader(reader: RoleReader) -> None:
    global _role_reader  # one provider, set once at start-up
    _role_reader = reader


def role_reader() -> RoleReader:
    if _role_reader is None:  # pragma: no cover - the accounts app is always installed
        raise RuntimeError("no role reader registered (the accounts app sets it in its ready())")
    return _role_reader


# --- the exceptions report ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionQuery:
    """The report's filter as a source sees it; `case_ids` is a subquery (team/creditor) or None."""

    date_from: dt.datetime | None = None  # inclusive
    date_to: dt.datetime | None = None  # exclusive
    code: str = ""
    actor_id: int | None = None
    case_ids: QuerySet[Any] | None = None
    limit: int | None = None  # at most this many rows (newest first); None: all (exports)


@dataclass(frozen=True)
class ExceptionRow:
    at: dt.datetime
    source: str  # the ExceptionSource key
    kind: Label  # what kind of exception, for people
    what: str  # the action or check it concerns, e.g. "visit.plan" or "case.verify"
    codes: tuple[str, ...] = ()
    actor_id: int | None = None  # who acted (or was refused)
    approver_id: int | None = None  # who approved an override or a resumption
    case_id: int | None = None
    detail: str = ""  # the override's reason, a note
    ref: str = ""  # where it is recorded, e.g. "audit #123", "decision #5"
    link: str = ""  # a URL of the record, when there is a page for it


@dataclass(frozen=True)
class ExceptionSource:
    key: str
    label: Label
    rows: Callable[[ExceptionQuery], Iterable[ExceptionRow]]  # newest first


_exception_sources: dict[str, ExceptionSource] = {}


def register_exception_source(source: ExceptionSource) -> None:
    _exception_sources[source.key] = source


def exception_sources() -> list[ExceptionSource]:
    return list(_exception_sources.values())


# --- the agent-level view -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentQuery:
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive
    agent_ids: tuple[int, ...]


@dataclass(frozen=True)
class AgentMetricSource:
    key: str
    columns: tuple[tuple[str, Label], ...]  # (column key, heading), in display order
    counts: Callable[[AgentQuery], dict[int, dict[str, int]]]  # agent id -> column key -> count
    order: int = 500  # column groups left to right: visits 100, compliance's 500+


_agent_sources: dict[str, AgentMetricSource] = {}


def register_agent_metric_source(source: AgentMetricSource) -> None:
    _agent_sources[source.key] = source


def agent_metric_sources() -> list[AgentMetricSource]:
    return sorted(_agent_sources.values(), key=lambda s: (s.order, s.key))


# --- the access log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessAction:
    action: str
    label: Label


_access_actions: dict[str, AccessAction] = {}


def register_access_action(action: str, label: Label) -> None:
    _access_actions[action] = AccessAction(action, label)


def access_actions() -> list[AccessAction]:
    return list(_access_actions.values())


# --- the case dossier -----------------------------------------------------------------------------

PROFILES = ("regulator", "creditor", "debtor")


@dataclass(frozen=True)
class DossierContext:
    """What a section needs to build its part: the case, the redaction profile and who to name how.

    Profiles: `regulator` sees everything; `creditor` sees the debtor's personal data masked;
    `debtor` (a subject-access request) sees their own data in full and no agent's personal data:
    `person()` then names staff by role and a letter only.
    """

    case_id: int
    profile: str
    now: dt.datetime
    person: Callable[[Any], str]  # a user (or None) -> how this profile names them
    # False for a PDF alone (the closing report): sections skip the files they would attach.
    with_files: bool = True

    @property
    def masked(self) -> bool:
        return self.profile == "creditor"

    @property
    def names_staff(self) -> bool:
        return self.profile != "debtor"


@dataclass(frozen=True)
class DossierFile:
    name: str  # path inside the ZIP, e.g. "documents/contract.pdf"
    open: Callable[[], IO[bytes]]
    sha256: str
    size: int
    description: str = ""
    kind: str = ""  # the document kind (compliance/documents.py): whether this profile may carry it


@dataclass(frozen=True)
class DossierPart:
    title: Label
    html: str = ""  # a fragment of the dossier PDF (already rendered, escaped)
    files: tuple[DossierFile, ...] = ()


@dataclass(frozen=True)
class DossierSection:
    key: str
    order: int  # position in the PDF: cases 100-199, visits 200-299, agreements 300-399, compliance 900+
    build: Callable[[DossierContext], DossierPart | None]


_dossier_sections: dict[str, DossierSection] = {}


def register_dossier_section(section: DossierSection) -> None:
    _dossier_sections[section.key] = section


def dossier_sections() -> list[DossierSection]:
    return sorted(_dossier_sections.values(), key=lambda s: (s.order, s.key))


# --- retention ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionContext:
    """One case to anonymize (or to report on, when `dry_run`), and which cases this run covers."""

    case_id: int
    now: dt.datetime
    dry_run: bool
    # Cases whose personal data is gone or goes in this run: a debtor's own data may only go when
    # every case of the debtor is in here.
    covered_case_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RetentionItem:
    what: str  # stable key, e.g. "debtor.name", "case_document.file"
    label: Label
    count: int


@dataclass(frozen=True)
class RetentionSource:
    key: str
    label: Label
    # Anonymize the case's personal data held by this app (or, with dry_run, only say what it would);
    # return what was (or would be) anonymized. Runs inside the retention job's transaction.
    anonymize: Callable[[RetentionContext], list[RetentionItem]]


_retention_sources: dict[str, RetentionSource] = {}


def register_retention_source(source: RetentionSource) -> None:
    _retention_sources[source.key] = source


def retention_sources() -> list[RetentionSource]:
    return list(_retention_sources.values())
