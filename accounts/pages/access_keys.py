"""What the console asks before it creates an access key, for IAM users and for root.

IAM users (AWS console, "Create access key"): first the use case, each with AWS's
alternative to a long-term key and a box to tick ("Access key best practices &
alternatives"); then an optional description, which AWS keeps as a *tag on the user*
whose key is the access key id and whose value is the description (IAM User Guide,
"Permissions required to manage access keys": "iam:TagUser is an optional permission
for adding and editing descriptions for the access key"; the tag's shape as AWS writes
it is recorded in aws/aws-cli#7611: ``tag-user --tags Key=<AccessKeyId>,Value=<text>``).
The use case itself is not stored anywhere (AWS keeps it for nothing either).

Root: no use-case step, AWS's warning and an acknowledgement instead ("Create access
keys for the root user": "We strongly recommend that you do not create access key
pairs for your root user").

The use cases' names are the AWS console's; their one-line explanations and
alternatives follow the console as closely as could be established (the IAM User
Guide's "Alternatives to long-term access keys" gives the same advice in longer
form); the console's exact wording is not published in the docs, so where it differs
the advice, not the words, is AWS's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from accounts.errors import IamError
from accounts.operations.credentials import NewAccessKey, create_access_key
from accounts.operations.users import tag_user
from accounts.principal import Principal
from accounts.validation import check_tags
from iamconsole.ops import run_batch


@dataclass(frozen=True)
class UseCase:
    key: str
    label: str
    explanation: str
    alternative: str  # "" when AWS offers none


USE_CASES = (
    UseCase(
        "cli",
        "Command Line Interface (CLI)",
        "You plan to use this access key to enable the AWS CLI to access your AWS account.",
        "Use AWS CloudShell, a browser-based CLI, to run commands; or use the AWS CLI V2 "
        "and enable authentication through a user in IAM Identity Center.",
    ),
    UseCase(
        "local-code",
        "Local code",
        "You plan to use this access key to enable application code in a local development "
        "environment to access your AWS account.",
        "Use an integrated development environment (IDE) which supports the AWS Toolkit "
        "enabling authentication through IAM Identity Center.",
    ),
    UseCase(
        "aws-compute",
        "Application running on an AWS compute service",
        "You plan to use this access key to enable application code running on an AWS "
        "compute service like Amazon EC2, Amazon ECS, or AWS Lambda to access your AWS "
        "account.",
        "Assign an IAM role to compute resources like EC2 instances or Lambda functions to "
        "automatically supply temporary credentials to enable access.",
    ),
    UseCase(
        "third-party",
        "Third-party service",
        "You plan to use this access key to enable access for a third-party application or "
        "service that monitors or manages your AWS resources.",
        "Use an IAM role that the third party assumes (with an external ID), so it gets "
        "temporary credentials instead of a long-term access key.",
    ),
    UseCase(
        "outside-aws",
        "Application running outside AWS",
        "You plan to use this access key to authenticate workloads running in your data "
        "center or other infrastructure outside of AWS that needs to access your AWS "
        "resources.",
        "Use IAM Roles Anywhere to generate temporary security credentials for non AWS "
        "workloads accessing AWS services.",
    ),
    UseCase("other", "Other", "Your use case is not listed here.", ""),
)
USE_CASE_BY_KEY = {u.key: u for u in USE_CASES}

# The AWS console's "Access key best practices", shown with the new key.
BEST_PRACTICES = (
    "Never store your access key in plain text, in a code repository, or in code.",
    "Disable or delete access keys when no longer needed.",
    "Enable least-privilege permissions.",
    "Rotate access keys regularly.",
)

# A tag value: at most 256 characters (IAM's tag quota), IAM's tag characters.
DESCRIPTION_MAX = 256


class UserKeyForm(forms.Form):
    """Use case, acknowledgement and the optional description tag (IAM users)."""

    use_case = forms.ChoiceField(
        label="Use case",
        choices=[(u.key, u.label) for u in USE_CASES],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a use case."},
    )
    confirm = forms.BooleanField(
        label="I understand the above recommendation and want to proceed to create an access key.",
        required=False,
    )
    description = forms.CharField(
        label="Description tag value (optional)",
        max_length=DESCRIPTION_MAX,
        required=False,
        help_text="Describe the purpose of this access key and where it will be used. A good "
        "description will help you rotate this access key confidently later. Maximum 256 "
        "characters: letters, numbers, spaces and _ . : / = + - @",
    )

    use_cases = USE_CASES  # for the template: each option's explanation and alternative

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        case = USE_CASE_BY_KEY.get(data.get("use_case") or "")
        if case is not None and case.alternative and not data.get("confirm"):
            self.add_error("confirm", "Confirm that you understand the recommendation.")
        description = (data.get("description") or "").strip()
        if description:
            try:  # IAM's own tag rules (value characters and length)
                check_tags([{"Key": "AKIAIOSFODNN7EXAMPLE", "Value": description}])
            except IamError as exc:
                self.add_error("description", exc.message)
        data["description"] = description
        return data

    def keep(self) -> dict[str, str]:
        """The fields the MFA step posts back."""
        data = self.cleaned_data
        return {
            "use_case": data["use_case"],
            "confirm": "on" if data.get("confirm") else "",
            "description": data.get("description", ""),
        }


class RootKeyForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand creating a root access key is not a best practice, but I still "
        "want to create one.",
        error_messages={"required": "Confirm that you understand the risk to continue."},
    )


def create_key_with_description(
    actor: Principal, *, user_name: str | None, description: str
) -> NewAccessKey:
    """CreateAccessKey, then (when there is a description) TagUser with the key's id as
    the tag key, in one transaction (``run_batch``): a refused TagUser leaves no key."""
    created: list[NewAccessKey] = []

    def create(*, actor: Principal) -> NewAccessKey:
        new = create_access_key(actor=actor, user_name=user_name)
        created.append(new)
        return new

    def tag(*, actor: Principal) -> None:
        tags = [{"Key": created[0].key.access_key_id, "Value": description}]
        tag_user(actor=actor, name=created[0].user_name, tags=tags)

    # run_batch names a failed step by the operation's event (as @operation would).
    create.event_name = "CreateAccessKey"  # type: ignore[attr-defined]
    tag.event_name = "TagUser"  # type: ignore[attr-defined]
    steps: list[tuple[Any, dict[str, Any]]] = [(create, {})]
    if description and user_name:
        steps.append((tag, {}))
    return run_batch(actor, steps)[0]


def key_descriptions(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """Access key id -> description, from the user's tags (the console's Description)."""
    return {
        t["Key"]: t["Value"]
        for t in tags or []
        if t.get("Key", "").startswith("AKIA") and len(t.get("Key", "")) == 20
    }
