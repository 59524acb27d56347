"""The Content-Security-Policy in a real browser (Debian's Chromium driven by Playwright): the pages of
every role, the Django admin and the API's Swagger UI load and work with no CSP violation reported.

The policy forbids inline scripts and styles (config/settings/base.py CONTENT_SECURITY_POLICY); a
template that brings one back makes Chromium refuse it and report a `securitypolicyviolation`, which
fails this test. Skipped without Chromium unless REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

from tests.visits.conftest import home, plan, planned, verified_case  # noqa: F401 (fixtures)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Collects violations before any page script runs (init scripts are not subject to the page's CSP).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required here but missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class Watched:
    """A browser context (signed in as `user`, if given) that records every CSP report and console
    message about the policy, page after page."""

    def __init__(self, browser, live_server, user=None, shots: Path | None = None):  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(WATCH)
        if user is not None:
            client = Client()
            client.force_login(user)
            self.context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
            )
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                else None
            ),
        )
        self.base = live_server.url
        self.shots = shots
        self.seen: list[str] = []

    def visit(self, path: str, *, wait_for: str | None = None) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None
        assert response.status < 400, (path, response.status)
        assert "unsafe-inline" not in (response.headers.get("content-security-policy") or "x")
        if wait_for:
            self.page.wait_for_selector(wait_for, timeout=15000)
        self.page.wait_for_load_state("networkidle")
        if self.shots is not None:
            name = path.strip("/").replace("/", "_") or "root"
            self.page.screenshot(path=str(self.shots / f"{len(self.seen) + 1:02d}-{name}.png"))
        self.check(path)
        self.seen.append(path)

    def check(self, where: str) -> None:
        reported = self.page.evaluate("window.__csp")
        assert reported == [], (where, reported)
        assert self.console == [], (where, self.console)


@pytest.fixture
def shots(tmp_path):  # type: ignore[no-untyped-def]
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / "csp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_sign_in_page_and_the_language_switch_work_under_the_policy(browser, live_server, db):
    anonymous = Watched(browser, live_server)

    anonymous.visit("/accounts/login/")
    # Without inline handlers the menu still switches the language (static/js/language-switch.js).
    assert not anonymous.page.is_visible("button.lang-switch-submit")
    with anonymous.page.expect_navigation():
        anonymous.page.select_option("select[name=language]", "zh-hans")
    assert "登录" in anonymous.page.inner_text("main")
    anonymous.check("after switching the language")


def test_the_pages_of_each_role_report_no_violation(
    shipped_rule_packs, browser, live_server, request, supervisor, agent, compliance_officer, shots
):
    visit = request.getfixturevalue("planned")  # tests/visits/conftest.py's, imported above
    case = visit.case
    pages = {
        supervisor: [
            "/cases/",
            f"/cases/{case.pk}/",
            f"/visits/{visit.pk}/",
            "/visits/calendar/",
            "/compliance/packs/",
        ],
        agent: ["/visits/mine/", f"/visits/cases/{case.pk}/contacts/"],
        compliance_officer: [
            "/compliance/",
            "/compliance/audit/",
            "/compliance/exceptions/",
            "/compliance/retention/",
        ],
    }
    for user, paths in pages.items():
        watched = Watched(browser, live_server, user, shots)
        for path in paths:
            watched.visit(path)
        assert watched.seen == paths


def test_the_django_admin_works_under_the_policy(browser, live_server, administrator, supervisor, shots):
    watched = Watched(browser, live_server, administrator, shots)

    for path in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{supervisor.pk}/change/",
        "/admin/accounts/team/add/",
        "/admin/cases/creditor/add/",
        "/admin/cases/mandate/add/",
        "/admin/axes/accessattempt/",
    ):
        watched.visit(path, wait_for="#content")
    # The admin's own JavaScript runs: the user list's "select all" checkbox ticks every row.
    watched.visit("/admin/accounts/user/", wait_for="#action-toggle")
    watched.page.check("#action-toggle")
    assert watched.page.is_checked(f"input[name=_selected_action][value='{supervisor.pk}']")
    watched.check("after using the admin's JavaScript")


def test_the_swagger_ui_renders_under_the_policy(browser, live_server, supervisor, shots):
    watched = Watched(browser, live_server, supervisor, shots)

    watched.visit("/api/v1/docs/", wait_for=".swagger-ui .information-container")

    assert "FieldLedger Integration API" in watched.page.inner_text(".swagger-ui")
    watched.page.click(".opblock-summary >> nth=0")
    watched.page.wait_for_selector(".opblock-body")
    watched.check("after opening an operation")


def test_the_two_factor_set_up_page_shows_its_qr_code_under_the_policy(
    browser, live_server, supervisor, settings, shots
):
    settings.TWO_FACTOR_ROLES = ("supervisor",)
    watched = Watched(browser, live_server, supervisor, shots)

    watched.visit("/accounts/two-factor/set-up/", wait_for=".qr img")

    width = watched.page.evaluate("document.querySelector('.qr img').naturalWidth")
    assert width > 100  # the data: URI image loaded (img-src 'self' data:)
