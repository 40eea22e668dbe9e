"""IAM_TRUSTED_PROXIES: X-Forwarded-For / X-Forwarded-Proto count only from a trusted proxy.

From anyone else they change nothing: not the client address the event history and
``aws:SourceIp`` see, not ``request.is_secure()`` (so not the HTTPS redirect either).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.totp import code_at
from iamconsole.middleware import apply_forwarded
from tests.conftest import TOTP_SEED

PROXIES = ["10.0.0.0/8", "2001:db8:ff::1"]


def forwarded(remote: str, xff: str | None = None, proto: str | None = None, proxies=PROXIES):
    meta = {"REMOTE_ADDR": remote, "wsgi.url_scheme": "http"}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    if proto is not None:
        meta["HTTP_X_FORWARDED_PROTO"] = proto
    apply_forwarded(meta, proxies)
    return meta


def test_headers_from_an_untrusted_client_change_nothing_and_are_dropped():
    meta = forwarded("203.0.113.5", "198.51.100.1", "https")
    assert meta["REMOTE_ADDR"] == "203.0.113.5"
    assert meta["wsgi.url_scheme"] == "http" and "HTTPS" not in meta
    assert "HTTP_X_FORWARDED_FOR" not in meta and "HTTP_X_FORWARDED_PROTO" not in meta


def test_nothing_is_trusted_by_default():
    meta = forwarded("127.0.0.1", "198.51.100.1", "https", proxies=[])
    assert meta["REMOTE_ADDR"] == "127.0.0.1" and meta["wsgi.url_scheme"] == "http"


def test_a_trusted_proxy_gives_the_client_address_and_scheme():
    meta = forwarded("10.0.0.2", "198.51.100.7", "https")
    assert meta["REMOTE_ADDR"] == "198.51.100.7"
    assert meta["wsgi.url_scheme"] == "https" and meta["HTTPS"] == "on"


def test_the_client_is_the_rightmost_untrusted_hop():
    # The client wrote "192.0.2.66" itself; 203.0.113.9 is what the first proxy saw.
    meta = forwarded("10.0.0.2", "192.0.2.66, 203.0.113.9, 10.4.4.4")
    assert meta["REMOTE_ADDR"] == "203.0.113.9"


def test_only_proxies_in_the_chain_give_the_leftmost():
    assert forwarded("10.0.0.2", "10.3.3.3, 10.4.4.4")["REMOTE_ADDR"] == "10.3.3.3"


def test_garbage_stops_at_the_last_trusted_hop():
    assert forwarded("10.0.0.2", "198.51.100.7, not-an-ip")["REMOTE_ADDR"] == "10.0.0.2"
    assert forwarded("10.0.0.2", "not-an-ip, 10.4.4.4")["REMOTE_ADDR"] == "10.4.4.4"


def test_ports_brackets_ipv6_and_mapped_addresses():
    assert forwarded("10.0.0.2", "198.51.100.7:4431")["REMOTE_ADDR"] == "198.51.100.7"
    assert forwarded("10.0.0.2", "[2001:db8::7]:443")["REMOTE_ADDR"] == "2001:db8::7"
    assert forwarded("2001:db8:ff::1", "2001:db8::8")["REMOTE_ADDR"] == "2001:db8::8"
    assert forwarded("::ffff:10.0.0.2", "198.51.100.9")["REMOTE_ADDR"] == "198.51.100.9"


def test_the_nearest_proxys_proto_wins_and_http_stays_insecure():
    assert forwarded("10.0.0.2", proto="https, http")["wsgi.url_scheme"] == "http"
    assert forwarded("10.0.0.2", proto="http, https")["wsgi.url_scheme"] == "https"
    assert forwarded("10.0.0.2", proto="gopher")["wsgi.url_scheme"] == "http"


# -- through the whole stack: the sign-in's ConsoleLogin event ----------------------------


def sign_in(client: Client, clock) -> None:
    client.post(reverse("accounts:signin"), {"email": "root@example.com"})
    client.post(reverse("accounts:signin-password"), {"password": "root-password-1"})
    r = client.post(reverse("accounts:signin-mfa"), {"code": code_at(TOTP_SEED, clock.step)})
    assert r.status_code == 302 and r.url == reverse("iamconsole:dashboard"), r


def login_source_ip(account) -> str:
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(account=account, event_name="ConsoleLogin", allowed=True)
    return event.source_ip


def test_a_spoofed_forwarded_for_does_not_reach_the_event_history(
    settings, account, totp_device, clock
):
    settings.IAM_TRUSTED_PROXIES = PROXIES
    client = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    sign_in(client, clock)
    assert login_source_ip(account) == "203.0.113.5"
    r = client.get("/")
    assert r.wsgi_request.principal.source_ip == "203.0.113.5"


def test_a_trusted_proxy_sets_the_address_in_the_event_history(
    settings, account, totp_device, clock
):
    settings.IAM_TRUSTED_PROXIES = PROXIES
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 198.51.100.7")
    sign_in(client, clock)
    assert login_source_ip(account) == "198.51.100.7"
    r = client.get("/")
    assert r.wsgi_request.principal.source_ip == "198.51.100.7"


@pytest.fixture
def https_only(settings):
    settings.IAM_TRUSTED_PROXIES = PROXIES
    settings.SECURE_SSL_REDIRECT = True
    return settings


def test_a_spoofed_proto_still_gets_the_https_redirect(https_only, db):
    r = Client(REMOTE_ADDR="203.0.113.5").get("/signin/", headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 301 and r.url.startswith("https://")


def test_a_trusted_proxys_https_is_secure(https_only, db):
    r = Client(REMOTE_ADDR="10.0.0.2").get("/signin/", headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 200 and r.wsgi_request.is_secure()
    r = Client(REMOTE_ADDR="10.0.0.2").get("/signin/", headers={"X-Forwarded-Proto": "http"})
    assert r.status_code == 301
