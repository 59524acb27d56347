"""The case list on a phone (360 px wide, in zh-hans) in Debian's Chromium: filter, save the filter,
tick every case of the page, bulk-assign through the confirmation page, and open the assignment
helper; no page is wider than the screen and none reports a CSP violation. Skipped without Chromium
unless REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import CaseAssignment, SavedFilter
from tests.browser import PHONE, launch, messages, shots_for, signed_in_page, submit
from tests.factories import TODAY, AddressFactory, CaseFactory, DebtorFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    yield from launch()


def test_case_work_on_a_phone(
    browser, live_server, tmp_path, creditor, mandate, team, supervisor, agent, other_agent
):
    for i in range(6):
        case = CaseFactory(
            creditor=creditor,
            mandate=mandate,
            team=team,
            supervisor=supervisor,
            agents=[agent],
            external_ref=f"PHONE-{i}",
            outstanding=Decimal(1000 * (i + 1)),
            overdue_since=TODAY - dt.timedelta(days=40),
            debtor=DebtorFactory(name=f"非常长的债务人姓名用于测试换行{i}"),
        )
        AddressFactory(debtor=case.debtor, text=f"北京市朝阳区建国路{i}号")
    shots = shots_for("case-list", tmp_path)
    page = signed_in_page(browser, live_server, supervisor, viewport=PHONE, language="zh-hans")

    page.goto(f"{live_server.url}/cases/")
    shots(page, "list", phone=True)
    submit(page, "form.case-filters", {"overdue": "31-90", "amount_min": "2000"})
    assert "overdue=31-90" in page.url
    assert page.locator("input[name=case]").count() == 5
    shots(page, "filtered", phone=True)

    submit(page, "form[action$='/filters/new/']", {"name": "逾期一至三月"})
    assert SavedFilter.objects.filter(user=supervisor, name="逾期一至三月").exists()

    submit(page, "form#bulk", {"all_on_page": True, "action": "assign"})
    shots(page, "bulk-confirm", phone=True)
    assert "Agent Zhao" in page.content()
    submit(page, "form[action$='/bulk/apply/']", {"agents": [other_agent.pk], "mode": "replace"})
    assert "PHONE-" not in messages(page)
    assert CaseAssignment.objects.filter(agent=other_agent).count() == 5
    shots(page, "assigned", phone=True)

    page.goto(f"{live_server.url}/cases/{case.pk}/assign/")
    shots(page, "assign-helper", phone=True)
    assert "北京市朝阳区" in page.content()

    page.goto(f"{live_server.url}/cases/filters/")
    shots(page, "saved-filters", phone=True)
