"""The user's Security credentials tab: SSH public keys for CodeCommit, HTTPS Git and
Keyspaces credentials (the password shown once, after a fresh MFA code), X.509 signing
certificates; upload, activate, deactivate, delete in place; form errors from IAM; CSRF;
escaping; the console's delete removes them all."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse

from accounts.models import IamUser, ServiceSpecificCredential, SigningCertificate, SshPublicKey
from accounts.operations.user_credentials import (
    create_service_specific_credential,
    upload_signing_certificate,
    upload_ssh_public_key,
)
from tests.conftest import HTMX, signed_in

TAB = ("alice", "security-credentials")


def ssh_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return line.decode() + " alice@laptop"


def certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alice")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def reauthed(console, clock):
    """The root console after passing the MFA step for sensitive actions."""
    from accounts.pages.users_credentials import REAUTH_SESSION

    session = console.session
    session[REAUTH_SESSION] = clock.time()
    session.save()
    return console


def tab_url() -> str:
    return reverse("accounts:user-detail-tab", args=TAB)


def test_the_tab_shows_the_new_sections(console, iam_user):
    html = console.get(tab_url()).content.decode()
    for title in (
        "SSH public keys for AWS CodeCommit",
        "HTTPS Git credentials for AWS CodeCommit",
        "Credentials for Amazon Keyspaces (for Apache Cassandra)",
        "X.509 signing certificates",
    ):
        assert title in html
    assert "No SSH public keys." in html and "No signing certificates." in html


# -- SSH public keys ----------------------------------------------------------------------


def test_upload_an_ssh_key_in_place(console, iam_user):
    url = reverse("accounts:user-upload-ssh-key", args=["alice"])
    form = console.get(url, headers=HTMX).content.decode()
    assert 'name="body"' in form and "<html" not in form
    r = console.post(url, {"body": ssh_key()}, headers=HTMX)
    key = SshPublicKey.objects.get(user=iam_user)
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert f"SSH public key {key.key_id} uploaded." in html and f'id="ssh-key-{key.key_id}"' in html


def test_an_invalid_ssh_key_shows_iams_error_under_the_field(console, iam_user):
    url = reverse("accounts:user-upload-ssh-key", args=["alice"])
    r = console.post(url, {"body": "<script>alert(1)</script>"}, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 400 and "field-error" in html and "unsupported or unrecognized" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    r = console.post(url, {"body": ""}, headers=HTMX)
    assert r.status_code == 400 and not SshPublicKey.objects.exists()
    body = ssh_key()
    console.post(url, {"body": body}, headers=HTMX)
    r = console.post(url, {"body": body}, headers=HTMX)
    assert r.status_code == 400 and "already associated" in r.content.decode()


def test_deactivate_activate_and_delete_an_ssh_key(console, root, iam_user):
    key = upload_ssh_public_key(actor=root, user_name="alice", body=ssh_key())
    status_url = reverse("accounts:user-ssh-key-status", args=["alice", key.key_id])
    r = console.post(status_url, {"status": "Inactive"}, headers=HTMX)
    key.refresh_from_db()
    assert r.status_code == 200 and key.status == "Inactive"
    assert f"SSH public key {key.key_id} deactivated." in r.content.decode()
    console.post(status_url, {"status": "Active"}, headers=HTMX)
    key.refresh_from_db()
    assert key.status == "Active"
    r = console.post(status_url, {"status": "Bogus"}, headers=HTMX)
    assert r.status_code == 400 and "InvalidInput" in r.content.decode()
    delete_url = reverse("accounts:user-ssh-key-delete", args=["alice", key.key_id])
    r = console.post(delete_url, headers=HTMX)
    assert r.status_code == 200 and not SshPublicKey.objects.exists()
    again = console.post(delete_url, headers=HTMX)
    assert again.status_code == 404 and "cannot be found" in again.content.decode()


def test_without_javascript_an_upload_redirects_to_the_tab(console, iam_user):
    r = console.post(reverse("accounts:user-upload-ssh-key", args=["alice"]), {"body": ssh_key()})
    assert r.status_code == 302 and r.url == tab_url()
    assert SshPublicKey.objects.filter(user=iam_user).count() == 1


# -- signing certificates -------------------------------------------------------------------


def test_upload_deactivate_and_delete_a_signing_certificate(console, iam_user):
    url = reverse("accounts:user-upload-signing-certificate", args=["alice"])
    assert 'name="body"' in console.get(url, headers=HTMX).content.decode()
    r = console.post(url, {"body": certificate()}, headers=HTMX)
    cert = SigningCertificate.objects.get(user=iam_user)
    assert r.status_code == 200 and f'id="certificate-{cert.certificate_id}"' in r.content.decode()
    status_url = reverse(
        "accounts:user-signing-certificate-status", args=["alice", cert.certificate_id]
    )
    console.post(status_url, {"status": "Inactive"}, headers=HTMX)
    cert.refresh_from_db()
    assert cert.status == "Inactive"
    delete_url = reverse(
        "accounts:user-signing-certificate-delete", args=["alice", cert.certificate_id]
    )
    assert console.post(delete_url, headers=HTMX).status_code == 200
    assert not SigningCertificate.objects.exists()


def test_a_malformed_certificate_and_the_quota_show_under_the_field(console, root, iam_user):
    url = reverse("accounts:user-upload-signing-certificate", args=["alice"])
    r = console.post(url, {"body": "not-a-certificate"}, headers=HTMX)
    assert r.status_code == 400 and "Certificate not-a-certificate is malformed." in (
        r.content.decode()
    )
    for _ in range(2):
        upload_signing_certificate(actor=root, user_name="alice", body=certificate())
    r = console.post(url, {"body": certificate()}, headers=HTMX)
    assert r.status_code == 409 and "Cannot exceed quota for CertificatesPerUser: 2" in (
        r.content.decode()
    )


# -- service-specific credentials -------------------------------------------------------------


def test_generating_git_credentials_asks_for_mfa_then_shows_the_password_once(
    console, iam_user, clock
):
    from accounts.totp import code_at
    from tests.conftest import TOTP_SEED

    url = reverse("accounts:user-create-service-credential", args=["alice"])
    r = console.post(url, {"service": "codecommit.amazonaws.com"}, headers=HTMX)
    assert r.status_code == 200 and 'name="mfa_code"' in r.content.decode()
    assert not ServiceSpecificCredential.objects.exists()
    r = console.post(
        url,
        {"service": "codecommit.amazonaws.com", "mfa_code": code_at(TOTP_SEED, clock.step)},
        headers=HTMX,
    )
    html = r.content.decode()
    cred = ServiceSpecificCredential.objects.get(user=iam_user)
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    assert "HTTPS Git credentials for AWS CodeCommit" in html
    assert f"alice-at-{iam_user.account_id}" in html
    password = html.split('Password</dt><dd class="mono secret-value">', 1)[1].split("<", 1)[0]
    from django.contrib.auth.hashers import check_password

    assert check_password(password, cred.secret_hash)
    # Shown once: the tab again shows the credential, never the password.
    later = console.get(tab_url()).content.decode()
    assert f'id="credential-{cred.credential_id}"' in later and password not in later
    assert password not in str(dict(console.session))


def test_reset_shows_a_new_password_and_the_old_one_stops(reauthed, root, iam_user):
    from django.contrib.auth.hashers import check_password

    new = create_service_specific_credential(
        actor=root, user_name="alice", service_name="cassandra.amazonaws.com"
    )
    url = reverse(
        "accounts:user-reset-service-credential", args=["alice", new.credential.credential_id]
    )
    r = reauthed.post(url, headers=HTMX)
    html = r.content.decode()
    assert r.status_code == 200 and "Amazon Keyspaces" in html and new.secret not in html
    stored = ServiceSpecificCredential.objects.get()
    assert not check_password(new.secret, stored.secret_hash)


def test_credential_status_delete_and_the_quota(reauthed, root, iam_user):
    new = create_service_specific_credential(
        actor=root, user_name="alice", service_name="codecommit.amazonaws.com"
    )
    cred_id = new.credential.credential_id
    url = reverse("accounts:user-service-credential-status", args=["alice", cred_id])
    r = reauthed.post(url, {"status": "Inactive"}, headers=HTMX)
    assert r.status_code == 200 and f"Credential {cred_id} deactivated." in r.content.decode()
    assert ServiceSpecificCredential.objects.get().status == "Inactive"
    create_service_specific_credential(
        actor=root, user_name="alice", service_name="codecommit.amazonaws.com"
    )
    create_url = reverse("accounts:user-create-service-credential", args=["alice"])
    r = reauthed.post(create_url, {"service": "codecommit.amazonaws.com"}, headers=HTMX)
    assert r.status_code == 409 and "Cannot exceed quota" in r.content.decode()
    r = reauthed.post(create_url, {"service": "lambda.amazonaws.com"}, headers=HTMX)
    assert r.status_code == 400
    delete_url = reverse("accounts:user-service-credential-delete", args=["alice", cred_id])
    assert reauthed.post(delete_url, headers=HTMX).status_code == 200
    assert ServiceSpecificCredential.objects.count() == 1
    r = reauthed.post(delete_url, headers=HTMX)
    assert r.status_code == 404 and f"No such credential {cred_id} exists" in r.content.decode()


# -- permissions, CSRF, the console's delete ---------------------------------------------------


def test_a_read_only_user_sees_the_sections_and_is_refused_changes(
    readonly_console, root, iam_user
):
    key = upload_ssh_public_key(actor=root, user_name="alice", body=ssh_key())
    html = readonly_console.get(tab_url()).content.decode()
    assert key.key_id in html
    for url, data in (
        (reverse("accounts:user-upload-ssh-key", args=["alice"]), {"body": ssh_key()}),
        (reverse("accounts:user-ssh-key-delete", args=["alice", key.key_id]), {}),
        (
            reverse("accounts:user-upload-signing-certificate", args=["alice"]),
            {"body": certificate()},
        ),
        (
            reverse("accounts:user-create-service-credential", args=["alice"]),
            {"service": "codecommit.amazonaws.com"},
        ),
    ):
        r = readonly_console.post(url, data, headers=HTMX)
        assert r.status_code == 403 and "is not authorized to perform" in r.content.decode(), url
    assert SshPublicKey.objects.count() == 1 and not SigningCertificate.objects.exists()
    assert not ServiceSpecificCredential.objects.exists()


def test_a_user_without_list_permissions_sees_access_denied_in_the_sections(
    user_console, root, alice_login
):
    import json

    from policies.operations import put_user_policy

    put_user_policy(
        actor=root,
        user_name="alice",
        policy_name="get-only",
        document=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
            }
        ),
    )
    r = user_console(alice_login).get(tab_url())
    html = r.content.decode()
    assert r.status_code == 200
    assert "iam:ListSSHPublicKeys" in html and "iam:ListSigningCertificates" in html
    assert "iam:ListServiceSpecificCredentials" in html


def test_an_outsider_gets_404(root, iam_user, outsider_console):
    key = upload_ssh_public_key(actor=root, user_name="alice", body=ssh_key())
    for url in (
        reverse("accounts:user-upload-ssh-key", args=["alice"]),
        reverse("accounts:user-ssh-key-delete", args=["alice", key.key_id]),
        reverse("accounts:user-create-service-credential", args=["alice"]),
    ):
        assert outsider_console.post(url, {"body": ssh_key()}).status_code == 404
    assert SshPublicKey.objects.count() == 1


def test_posts_without_a_csrf_token_are_refused(root, totp_device, iam_user):
    client = signed_in(Client(enforce_csrf_checks=True), root, device=totp_device)
    r = client.post(reverse("accounts:user-upload-ssh-key", args=["alice"]), {"body": ssh_key()})
    assert r.status_code == 403 and not SshPublicKey.objects.exists()


def test_the_consoles_delete_removes_the_other_credentials_too(console, root, iam_user):
    upload_ssh_public_key(actor=root, user_name="alice", body=ssh_key())
    upload_signing_certificate(actor=root, user_name="alice", body=certificate())
    create_service_specific_credential(
        actor=root, user_name="alice", service_name="codecommit.amazonaws.com"
    )
    r = console.post(reverse("accounts:user-delete", args=["alice"]), {"confirm": "alice"})
    assert r.status_code == 302 and not IamUser.objects.filter(name="alice").exists()
    assert not SshPublicKey.objects.exists() and not SigningCertificate.objects.exists()
    assert not ServiceSpecificCredential.objects.exists()
