"""Visit factories: a visit of a verified case, planned with its agents, in the debtor's hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from cases.models import DebtorAddress, VerificationStatus
from visits.models import Purpose, Visit, VisitAgent

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(
    year: int, month: int, day: int, hour: int, minute: int = 0, zone: str = "Asia/Shanghai"
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def verified_home(case) -> DebtorAddress:  # type: ignore[no-untyped-def]
    address = case.debtor.addresses.filter(status=VerificationStatus.VERIFIED).first()
    if address is None:
        address = DebtorAddress.objects.create(
            debtor=case.debtor,
            kind="home",
            text="上海市徐汇区漕溪北路88号",
            time_zone="Asia/Shanghai",
            status=VerificationStatus.VERIFIED,
            source="database",
        )
    return address


class VisitFactory(DjangoModelFactory):
    """Saved directly (state `planned`), for tests of later steps; services are tested on their own."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    case = None  # required
    address = factory.LazyAttribute(lambda o: verified_home(o.case))
    purpose = Purpose.NEGOTIATE
    window_start = local(2026, 11, 26, 10)
    window_end = local(2026, 11, 26, 12)
    time_zone = "Asia/Shanghai"
    checklist = factory.LazyFunction(lambda: ["loan_contract", "authorization_letter", "work_ids"])
    planned_by = None  # required

    @factory.post_generation
    def agents(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            for agent in extracted or ():
                VisitAgent.objects.create(visit=self, agent=agent)
