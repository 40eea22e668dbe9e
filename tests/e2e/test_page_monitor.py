"""The journeys' page monitor: which console errors fail a journey (no browser needed)."""

from __future__ import annotations

from tests.e2e.conftest import EDITOR_INTERNAL, PageMonitor

CHROME = "Applying inline style violates the following Content Security Policy directive"


def test_a_browser_set_style_inside_the_editor_is_excused_one_for_one():
    m = PageMonitor()
    m.console_errors += [
        f"CSP violation detail: style-src-attr on <DIV> at :0:0 sample:  {EDITOR_INTERNAL} (x)",
        f"{CHROME} 'style-src 'self''. (x)",
    ]
    assert m.unexpected_console_errors() == []
    m.console_errors.append(f"{CHROME} 'style-src 'self''. (y)")  # a second, unexplained
    assert m.unexpected_console_errors() == [f"{CHROME} 'style-src 'self''. (y)"]


def test_any_other_csp_refusal_fails_the_journey():
    m = PageMonitor()
    m.console_errors += [
        "CSP violation detail: style-src-elem on <STYLE> at http://x/app.js:3:9 sample: .a{} (x)",
        f"{CHROME} 'style-src 'self''. (x)",
    ]
    assert len(m.unexpected_console_errors()) == 2
