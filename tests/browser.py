"""Helpers of the browser tests: Debian's Chromium driven by Playwright, signed-in contexts, forms filled
by field name, screenshots kept for CI, the check that no page is wider than a phone, and that no page the
journey sees (at each screenshot and before each form is sent) reports a Content-Security-Policy
violation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
# Collects Content-Security-Policy violations before any page script runs (init scripts are not subject
# to the page's policy); `assert_no_csp_violation` fails the journey on any.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""
DESKTOP = {"width": 1280, "height": 900}


def launch() -> Iterator[Any]:
    """A headless Chromium (skipped without it, unless REQUIRE_BROWSER=1: then the test fails)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required here but missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Shots:
    """Numbered full-page screenshots in $SCREENSHOT_DIR/<journey>/ (or the test's tmp dir)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page: Any, name: str, *, phone: bool = False) -> None:
        self.count += 1
        assert_no_csp_violation(page)
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        if phone:  # nothing on a phone page may be wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def shots_for(journey: str, tmp_path: Path) -> Shots:
    return Shots(Path(os.environ.get("SCREENSHOT_DIR") or tmp_path) / journey)


def signed_in_page(
    browser: Any,
    live_server: Any,
    user: Any,
    *,
    viewport: dict[str, int],
    language: str = "en",
    **context: Any,
) -> Any:
    """A browser page with `user`'s session (no password typed; the login page is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    locale = "zh-CN" if language == "zh-hans" else "en-GB"
    ctx = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True, **context)
    ctx.add_init_script(WATCH_CSP)
    ctx.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
            {"name": "django_language", "value": language, "url": live_server.url},
        ]
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return page


def public_page(browser: Any, *, viewport: dict[str, int], language: str = "zh-hans") -> Any:
    """A browser page of someone who is not signed in (the debtor)."""
    ctx = browser.new_context(viewport=viewport, locale="zh-CN" if language == "zh-hans" else "en-GB")
    ctx.add_init_script(WATCH_CSP)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return page


def assert_no_csp_violation(page: Any) -> None:
    """The page in front of the user reported no Content-Security-Policy violation."""
    violations = page.evaluate("window.__csp || []")
    assert violations == [], (page.url, violations)


def sign_in_again(page: Any, live_server: Any, user: Any) -> None:
    """A fresh session for `user` (after the test moved the clock past the idle timeout)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def fill(page: Any, form: str, fields: dict[str, Any]) -> None:
    """Fill the fields of `form` (a CSS selector) by name, opening its <details> first."""
    page.eval_on_selector(
        form,
        "f => { for (let d = f.closest('details'); d; d = d.parentElement.closest('details')) d.open = true; }",
    )
    for name, value in fields.items():
        selector = f"{form} [name='{name}']"
        first = page.query_selector(selector)
        assert first is not None, f"no field {name} in {form}"
        kind = (first.get_attribute("type") or first.evaluate("e => e.tagName")).lower()
        if kind == "select":
            page.select_option(selector, str(value))
        elif kind in ("checkbox", "radio"):
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if item is True:
                    page.check(selector)
                else:
                    page.check(f"{selector}[value='{item}']")
        elif kind == "file":
            page.set_input_files(selector, value)
        else:
            page.fill(selector, str(value))


def submit(
    page: Any, form: str, fields: dict[str, Any] | None = None, *, button: str = "button[type=submit]"
) -> None:
    """Fill and submit `form`, waiting for the page it leads to."""
    if fields:
        fill(page, form, fields)
    else:
        page.eval_on_selector(form, "f => { const d = f.closest('details'); if (d) d.open = true; }")
    assert_no_csp_violation(page)
    with page.expect_navigation():
        page.click(f"{form} {button}")


def draw(page: Any, canvas: str) -> None:
    """Draw a signature on a canvas with the mouse."""
    page.locator(canvas).scroll_into_view_if_needed()
    box = page.locator(canvas).bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + w * (0.1 + step * 0.07), y + h * (0.3 if step % 2 else 0.7))
    page.mouse.up()


def messages(page: Any) -> str:
    return page.inner_text(".messages") if page.query_selector(".messages") else ""
