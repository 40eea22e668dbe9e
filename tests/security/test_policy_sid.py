"""Statement ids: identity-based policies take only ASCII letters and digits, as IAM does."""

from __future__ import annotations

import json

import pytest

from policies.engine.malformed import SID_CHARACTERS, check_malformed


def doc(sid: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": sid, "Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )


BAD = ["my-sid", "with space", "under_score", "dot.ted", "<script>", "Ünïcode", "tab\t", "a\nb"]


@pytest.mark.parametrize("sid", BAD)
def test_identity_policy_sids_outside_alphanumerics_are_refused(sid):
    assert check_malformed(doc(sid)) == SID_CHARACTERS


@pytest.mark.parametrize("sid", ["", "AllowS3", "Stmt1700000000000", "abc123XYZ"])
def test_alphanumeric_sids_are_accepted(sid):
    assert check_malformed(doc(sid)) is None


def test_resource_policies_keep_their_wider_sids():
    d = json.loads(doc("Allow everyone"))
    d["Statement"][0]["Principal"] = "*"
    assert check_malformed(json.dumps(d), "RESOURCE_POLICY") is None


@pytest.mark.django_db
def test_create_policy_refuses_a_bad_sid_and_creates_nothing(root, figure):
    from accounts.errors import MalformedPolicyDocument
    from policies.models import ManagedPolicy
    from policies.operations import create_policy

    refused = 0
    for i, sid in enumerate(BAD):
        with pytest.raises(MalformedPolicyDocument) as exc:
            create_policy(actor=root, name=f"P{i}", document=doc(sid))
        assert exc.value.message == SID_CHARACTERS
        refused += 1
    figure(f"{refused}/{len(BAD)} non-alphanumeric Sids refused with IAM's message")
    assert not ManagedPolicy.objects.filter(account_id=root.account_id).exists()
