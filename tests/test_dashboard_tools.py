"""Dashboard: copy button, the alias edited in place, the tools panel, audited refusals."""

from __future__ import annotations

import csv
import io

from accounts.models import Account
from accounts.operations.account import create_account_alias
from audit.models import AuditEvent
from tests.conftest import HTMX


def test_the_signin_url_has_a_copy_button(console, account):
    html = console.get("/").content.decode()
    assert 'id="dashboard-signin-url"' in html
    assert 'data-copy="dashboard-signin-url"' in html
    assert "http://testserver/signin/111122223333/" in html


def test_the_alias_is_created_in_place(console, account):
    r = console.post("/dashboard/alias/", {"alias": "acme-demo"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="dashboard-account"' in html
    assert "http://testserver/signin/acme-demo/" in html
    assert Account.objects.get(pk=account.pk).alias == "acme-demo"
    assert AuditEvent.objects.filter(event_name="CreateAccountAlias", allowed=True).exists()


def test_an_empty_alias_deletes_it(console, root, account):
    create_account_alias(actor=root, alias="acme-demo")
    r = console.post("/dashboard/alias/", {"alias": ""}, headers=HTMX)
    assert r.status_code == 200
    assert Account.objects.get(pk=account.pk).alias is None
    assert AuditEvent.objects.filter(event_name="DeleteAccountAlias").exists()


def test_a_bad_alias_shows_awss_error_in_place_and_changes_nothing(console, account):
    r = console.post("/dashboard/alias/", {"alias": "Not_Valid"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 400 and 'class="alert alert-error iam-error"' in html
    assert 'value="Not_Valid"' in html
    assert Account.objects.get(pk=account.pk).alias is None


def test_a_taken_alias_is_entity_already_exists(console, outsider, account):
    create_account_alias(actor=outsider, alias="taken-one")
    r = console.post("/dashboard/alias/", {"alias": "taken-one"}, headers=HTMX)
    assert (
        r.status_code == 409 and "The account alias taken-one already exists." in r.content.decode()
    )


def test_without_htmx_the_alias_form_returns_to_the_dashboard(console, account):
    r = console.post("/dashboard/alias/", {"alias": "acme-demo"})
    assert r.status_code == 302 and r["Location"] == "/"


def test_a_user_without_permission_cannot_change_the_alias(readonly_console, account):
    r = readonly_console.post("/dashboard/alias/", {"alias": "mine"}, headers=HTMX)
    assert r.status_code == 403 and "iam:CreateAccountAlias" in r.content.decode()
    assert Account.objects.get(pk=account.pk).alias is None


def test_the_tools_panel_links_the_simulator_and_the_report(console, account):
    html = console.get("/").content.decode()
    assert 'href="/simulator/"' in html or "/policies/simulator/" in html
    assert 'action="/credential-report/"' in html


def test_the_credential_report_downloads_as_csv(console, root, iam_user):
    r = console.post("/credential-report/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][0] == "user" and any(row[0] == "alice" for row in rows[1:])
    assert AuditEvent.objects.filter(event_name="GenerateCredentialReport").exists()


def test_the_credential_report_refused_is_awss_error(user_console, alice_login):
    r = user_console(alice_login).post("/credential-report/")
    assert r.status_code == 403 and "iam:GenerateCredentialReport" in r.content.decode()


def test_a_refused_recommendations_panel_is_audited(user_console, alice_login):
    r = user_console(alice_login).get("/")
    assert r.status_code == 200
    refused = AuditEvent.objects.filter(event_name="ListUsers", allowed=False)
    assert refused.exists()
