"""End-to-end journeys in a real headless Chromium against pytest-django's ``live_server``.

- One browser for the whole session; each test gets a fresh context (cookies, storage)
  and a ``page`` whose console errors, uncaught errors and dialogs are recorded.
- A test fails when the page logged a console error, threw an uncaught error or opened
  any dialog (``alert``/``confirm``/``prompt``: dismissed, then reported), unless the
  test declared that console message as expected (``page_monitor.expect(...)``: an AWS
  error page answered with 403, for example, makes Chromium log "Failed to load
  resource" and htmx log ``htmx:responseError``).
- The last page of every journey is saved to ``test-output/e2e/<test name>.png``.
- Without /usr/bin/chromium the folder is skipped, except under CI (``CI`` set), where
  a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the console in a real headless Chromium")


def _browser_missing() -> str | None:
    if os.path.exists(CHROMIUM):
        return None
    return f"{CHROMIUM} not found: the e2e journeys need Debian's chromium package"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    missing = _browser_missing()
    for item in items:
        if here not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if missing and not os.environ.get("CI"):
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if _browser_missing():
        # Only reached under CI (elsewhere the tests are skipped at collection), where
        # each test then fails in its call (pytest_runtest_call below), not as an error.
        yield None
        return
    from playwright.sync_api import sync_playwright

    # Playwright's sync API leaves an event loop running in this thread for as long as
    # the browser lives (the rest of this worker's session); Django refuses database
    # calls from a thread with a running loop unless told this is fine (it is: the loop
    # only drives the browser). Set only once a browser starts, so runs without e2e
    # tests keep Django's check.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


EDITOR_INTERNAL = "[inside the policy editor's text, set by the browser]"


@dataclass
class PageMonitor:
    """What the page said that a person would notice (or an attacker would want)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    # (pattern, index of the first console error it may excuse)
    expected: list[tuple[re.Pattern[str], int]] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        """Declare a console error (a regex) the journey provokes on purpose from now on:
        errors logged before this call are not excused."""
        self.expected.append((re.compile(pattern), len(self.console_errors)))

    def unexpected_console_errors(self) -> list[str]:
        out = [
            message
            for i, message in enumerate(self.console_errors)
            if not any(p.search(message) and i >= start for p, start in self.expected)
        ]
        # Chrome's own editing of a contenteditable (the policy editor's text, typed fast
        # on a loaded machine) may set a style attribute on a line <div> before
        # CodeMirror redraws it; the CSP refuses it, which is the CSP doing its job, not a
        # page fault. Each such refusal is excused with its Chrome message, one for one;
        # any other CSP refusal (our markup or script) still fails the journey.
        inside = [m for m in out if EDITOR_INTERNAL in m]
        if inside:
            chrome = [m for m in out if m.startswith("Applying inline style violates")]
            excused = set(inside) | set(chrome[: len(inside)])
            out = [m for m in out if m not in excused]
        return out

    def problems(self) -> list[str]:
        out = [f"console error: {m}" for m in self.unexpected_console_errors()]
        out += [f"uncaught page error: {m}" for m in self.page_errors]
        out += [f"dialog opened: {m}" for m in self.dialogs]
        return out


@pytest.fixture
def page_monitor() -> PageMonitor:
    return PageMonitor()


@pytest.fixture
def page(browser, live_server, page_monitor: PageMonitor, request: pytest.FixtureRequest):
    """A fresh browser context and page pointed at the live server (``base_url`` set)."""
    if browser is None:  # no Chromium under CI: the test fails in its call
        yield None
        return
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    # A CSP refusal names only the directive in the console; this adds what was refused
    # and where (element, source line, the first characters), for the failure message.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => console.error("
        "'CSP violation detail: ' + e.violatedDirective + ' on <' +"
        " ((e.target && e.target.nodeName) || '?') + '> at ' + (e.sourceFile || '') +"
        " ':' + e.lineNumber + ':' + e.columnNumber + ' sample: ' + e.sample +"
        " (e.violatedDirective === 'style-src-attr' && !e.sourceFile &&"
        " e.composedPath().some((n) => n.classList && n.classList.contains('cm-content'))"
        " ? ' " + EDITOR_INTERNAL.replace("'", "\\'") + "' : '')));"
    )
    page = context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error":
            where = msg.location.get("url", "") if msg.location else ""
            page_monitor.console_errors.append(f"{msg.text} ({where or page.url})")

    def on_dialog(dialog) -> None:
        page_monitor.dialogs.append(f"{dialog.type}: {dialog.message!r} on {page.url}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page_monitor.page_errors.append(str(exc)))
    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        try:
            OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUTPUT_DIR / f"{request.node.name}.png"), full_page=True)
        finally:
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail (not skip) without Chromium under CI; after a journey passed, fail it if the
    browser saw errors or dialogs."""
    funcargs = getattr(item, "funcargs", {})
    if "page" in funcargs and funcargs["page"] is None:
        pytest.fail(f"{_browser_missing()} (CI is set: the e2e journeys must run)", pytrace=False)
    result = yield
    monitor = funcargs.get("page_monitor")
    if monitor is not None and "page" in funcargs:
        problems = monitor.problems()
        if problems:
            pytest.fail("The browser reported:\n  " + "\n  ".join(problems), pytrace=False)
    return result
