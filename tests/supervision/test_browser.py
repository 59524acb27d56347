"""The dashboard and the KPIs in Debian's Chromium: on a 360-px phone nothing is wider than the screen,
in English and Chinese, and no page reports a Content-Security-Policy violation (the charts are SVG
without inline style). Screenshots go to $SCREENSHOT_DIR/supervision (CI keeps them)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import browser as b

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def chromium():  # type: ignore[no-untyped-def]
    yield from b.launch()


def test_dashboard_and_kpis_fit_a_phone(
    chromium, live_server, shipped_rule_packs, supervisor, populate, tmp_path
):
    populate(1)
    shot = b.shots_for("supervision", tmp_path)
    for language in ("en", "zh-hans"):
        page = b.signed_in_page(chromium, live_server, supervisor, viewport=b.PHONE, language=language)
        page.goto(live_server.url + reverse("supervision:dashboard"))
        assert page.locator("svg.chart").count() == 1
        shot(page, f"dashboard-{language}", phone=True)
        page.goto(live_server.url + reverse("supervision:kpis") + "?date_from=2026-11-01&date_to=2026-11-23")
        assert page.locator("svg.chart").count() == 6
        shot(page, f"kpis-{language}", phone=True)
        page.goto(live_server.url + reverse("supervision:items") + "?kind=plans")
        shot(page, f"plans-{language}", phone=True)
        page.context.close()
    page = b.signed_in_page(chromium, live_server, supervisor, viewport=b.DESKTOP)
    page.goto(live_server.url + reverse("supervision:dashboard"))
    shot(page, "dashboard-desktop")
    page.goto(live_server.url + reverse("supervision:kpis") + "?date_from=2026-11-01&date_to=2026-11-23")
    shot(page, "kpis-desktop")
