"""Issue 16, item 8: the smaller things a newcomer tripped on.

- an empty group does not claim that every user is in it;
- dates in one format (the AWS console's), through one filter;
- long ARNs and URLs wrap where needed, words are not broken (CSS);
- the event history's filters and expanded records get room (CSS);
- (the secret behind "Show": tests/accounts/console/test_access_key_use_case.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from django.template import Context, Template
from django.urls import reverse

from accounts.operations.groups import add_user_to_group, create_group
from accounts.operations.users import create_user

CSS = Path(__file__).resolve().parents[3] / "static" / "css"
AWS_DATE = re.compile(r"[A-Z][a-z]+ \d{2}, \d{4}, \d{2}:\d{2} \(UTC[+-]\d{2}:\d{2}\)")


def group_users_tab(console, name: str) -> str:
    r = console.get(reverse("accounts:group-detail-tab", args=[name, "users"]))
    assert r.status_code == 200
    return r.content.decode()


def test_an_empty_group_in_an_account_without_users_says_so(console, root):
    create_group(actor=root, name="empty")
    html = group_users_tab(console, "empty")
    assert "Every IAM user of this account is in this group" not in html
    assert "This account has no IAM users yet" in html


def test_the_every_user_line_only_when_it_is_true(console, root):
    create_group(actor=root, name="all")
    create_user(actor=root, name="bob")
    html = group_users_tab(console, "all")
    assert "Every IAM user of this account is in this group" not in html
    assert 'href="/groups/all/add-users/"' in html  # bob can be added, on that page
    add_user_to_group(actor=root, group_name="all", user_name="bob")
    assert "Every IAM user of this account is in this group" in group_users_tab(console, "all")


def render(text: str, **ctx) -> str:
    return Template("{% load console %}" + text).render(Context(ctx))


def test_the_aws_date_filter():
    moment = datetime(2026, 3, 5, 7, 4, 9, tzinfo=UTC)
    assert render("{{ t|aws_datetime }}", t=moment) == "March 05, 2026, 07:04 (UTC+00:00)"
    assert render('{{ t|aws_datetime:"s" }}', t=moment) == "March 05, 2026, 07:04:09 (UTC+00:00)"
    assert render("{{ t|aws_date }}", t=moment) == "March 05, 2026"
    assert render("{{ t|aws_datetime }}", t=None) == ""
    east = moment.astimezone(timezone(timedelta(hours=5, minutes=30)))
    from django.utils import timezone as dj

    with dj.override(timezone(timedelta(hours=5, minutes=30))):
        assert render("{{ t|aws_datetime }}", t=east) == "March 05, 2026, 12:34 (UTC+05:30)"


def test_pages_show_dates_in_the_one_format(console, root, iam_user):
    from accounts.operations.credentials import create_access_key

    create_access_key(actor=root, user_name="alice")
    url = reverse("accounts:user-detail-tab", args=["alice", "security-credentials"])
    html = console.get(url).content.decode()
    assert AWS_DATE.search(html)
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", html)


def test_no_template_of_the_console_pages_formats_dates_by_hand():
    """Every date of the identity pages and the policy page goes through the filter (the
    event history's page is being reworked elsewhere in issue 16)."""
    root = Path(__file__).resolve().parents[3] / "templates"
    files = [p for p in (root / "accounts").rglob("*.html") if "events" not in p.parts]
    files.append(root / "policies" / "detail.html")
    offenders = [str(p.relative_to(root)) for p in files if '|date:"' in p.read_text()]
    assert len(files) > 20 and offenders == []


def test_arns_and_urls_wrap_without_breaking_words():
    console_css = (CSS / "console.css").read_text()
    assert "break-all" not in console_css
    assert re.search(r"\.mono[^{]*\{[^}]*overflow-wrap:\s*anywhere", console_css)
    assert re.search(r"\.kv dd\s*\{[^}]*overflow-wrap:\s*anywhere", console_css)
    for sheet in ("policies.css", "roles.css"):
        assert "break-all" not in (CSS / sheet).read_text(), sheet


def test_event_history_filters_and_records_get_room():
    settings_css = (CSS / "settings.css").read_text()
    assert re.search(r'\.filters\[role="search"\]\s*\{[^}]*display:\s*grid', settings_css)
    assert re.search(r"td:has\(> \.event-details\[open\]\)\s*\{[^}]*min-width", settings_css)
    assert re.search(r"\.event-details\[open\] \.kv\s*\{[^}]*grid-template-columns", settings_css)
