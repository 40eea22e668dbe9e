"""aws:SecureTransport in the console comes from the connection, as in the API: a
policy that allows only over TLS allows an HTTPS console request and denies the
same request over plain HTTP."""

from __future__ import annotations

import json

from accounts.operations.credentials import create_login_profile
from accounts.operations.users import create_user
from policies.operations import put_user_policy

TLS_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:ListUsers", "iam:GetUser"],
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ],
    }
)


def test_a_tls_only_policy_allows_the_console_over_https_and_denies_it_over_http(
    root, user_console
):
    user = create_user(actor=root, name="tls-only")
    create_login_profile(actor=root, user_name="tls-only", password="Tls-only-Passw0rd!")
    put_user_policy(actor=root, user_name="tls-only", policy_name="tls", document=TLS_ONLY)
    browser = user_console(user)

    plain = browser.get("/users/")
    assert plain.status_code == 403
    assert "iam:ListUsers" in plain.content.decode()

    secure = browser.get("/users/", secure=True)
    assert secure.status_code == 200
    assert "tls-only" in secure.content.decode()
