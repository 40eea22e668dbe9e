"""The create-role wizard's "Web identity" and "SAML 2.0 federation" trusted-entity cards
(roles_wizard.py): their fields, the trust policy each produces, the checks before "Next",
the choices they list, and what "Assign role" on a provider's page (providers.py) chooses.

The documents are those of "Create a role for OpenID Connect federation (console)" and
"Create a role for SAML 2.0 federation (console)" (IAM User Guide): a ``Federated``
principal, ``sts:AssumeRoleWithWebIdentity`` with a StringEquals on ``<provider>:aud``
(``:app_id`` for Login with Amazon and Facebook) and, for GitHub Actions, a StringLike on
``token.actions.githubusercontent.com:sub`` (``repo:ORG/REPO:…``, "Configuring a role for
GitHub OIDC identity provider"); ``sts:AssumeRoleWithSAML`` with a StringEquals on
``SAML:aud`` (the AWS sign-in endpoint, for console access) or on the attribute chosen
(programmatic access only).
"""

from __future__ import annotations

import re
from typing import Any

from accounts.operations.providers import list_open_id_connect_providers, list_saml_providers
from iamconsole.pages import section

__all__ = [
    "WIZARD_FIELDS",
    "check_federated",
    "federated_statement",
    "github_subject",
    "wizard_choices",
    "wizard_prefill",
]

WEB_IDENTITY = "web_identity"
SAML = "saml"
WIZARD_FIELDS = [
    "web_provider",
    "web_audience",
    "github_org",
    "github_repo",
    "github_branch",
    "web_condition_claim",
    "web_condition_operator",
    "web_condition_value",
    "saml_provider",
    "saml_access",
    "saml_attribute",
    "saml_value",
]
# The providers AWS's console lists besides the account's own OIDC providers: value (the
# Federated principal and the condition keys' prefix), label, the key of the app's id and
# what the console calls that id.
WELL_KNOWN_WEB = [
    ("cognito-identity.amazonaws.com", "Amazon Cognito", "cognito-identity.amazonaws.com:aud", "Identity pool ID"),
    ("www.amazon.com", "Login with Amazon", "www.amazon.com:app_id", "Application ID"),
    ("graph.facebook.com", "Facebook", "graph.facebook.com:app_id", "Application ID"),
    ("accounts.google.com", "Google", "accounts.google.com:aud", "Audience"),
]  # fmt: skip
WELL_KNOWN_KEYS = {value: key for value, _, key, _ in WELL_KNOWN_WEB}
GITHUB = "token.actions.githubusercontent.com"
# The audience and Recipient of console sign-in through SAML ("Configure SAML assertions for
# the authentication response").
AWS_SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
SAML_ACCESS = [
    ("programmatic", "Allow programmatic access only"),
    ("console", "Allow programmatic and AWS Management Console access"),
]
# The SAML keys the console's Attribute list offers ("Available keys for SAML-based
# federation", IAM User Guide).
SAML_ATTRIBUTES = [
    "SAML:aud",
    "SAML:iss",
    "SAML:sub",
    "SAML:sub_type",
    "SAML:namequalifier",
    "SAML:doc",
    "SAML:cn",
    "SAML:commonName",
    "SAML:givenName",
    "SAML:surname",
    "SAML:mail",
    "SAML:uid",
    "SAML:edupersonaffiliation",
    "SAML:edupersonprincipalname",
    "SAML:edupersonentitlement",
]
WEB_CLAIMS = ["sub", "email", "amr", "oaud"]
CONDITION_OPERATORS = [
    "StringEquals",
    "StringLike",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
]
_OIDC_ARN = re.compile(r"^arn:aws:iam::\d{12}:oidc-provider/\S+$")
_SAML_ARN = re.compile(r"^arn:aws:iam::\d{12}:saml-provider/[\w.-]{1,128}$", re.ASCII)
# GitHub's rules: an organization or user of letters, digits and single hyphens (39 at
# most); a repository of letters, digits, '.', '_' and '-'; a branch without spaces.
_GITHUB_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^(?:\*|[A-Za-z0-9._-]{1,100})$")
_GITHUB_BRANCH = re.compile(r"^[^\s~^:?\\\[]{1,255}$")


def _prefix(provider: str) -> str:
    """The condition keys' prefix of a web identity provider: the URL without scheme."""
    if provider.startswith("arn:"):
        return provider.split(":oidc-provider/", 1)[-1]
    return provider


def github_subject(org: str, repo: str, branch: str) -> str:
    """The ``sub`` pattern of the GitHub fields: any repository of the organization, any
    branch of one repository, or one branch."""
    repo = repo or "*"
    if repo == "*" and not branch:
        return f"repo:{org}/*"
    return f"repo:{org}/{repo}:" + (f"ref:refs/heads/{branch}" if branch else "*")


def federated_statement(data: Any) -> dict[str, Any]:
    """The trust statement of the Web identity or SAML 2.0 federation card."""
    if data.get("entity_type") == SAML:
        if data.get("saml_access") == "programmatic":
            condition = {data.get("saml_attribute", ""): data.get("saml_value", "")}
        else:
            condition = {"SAML:aud": AWS_SAML_AUDIENCE}
        return {
            "Effect": "Allow",
            "Principal": {"Federated": data.get("saml_provider", "")},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": condition},
        }
    provider = data.get("web_provider", "")
    prefix = _prefix(provider)
    aud_key = WELL_KNOWN_KEYS.get(provider, f"{prefix}:aud")
    conditions: dict[str, dict[str, str]] = {
        "StringEquals": {aud_key: data.get("web_audience", "").strip()}
    }
    if prefix == GITHUB:
        sub = github_subject(
            data.get("github_org", "").strip(),
            data.get("github_repo", "").strip(),
            data.get("github_branch", "").strip(),
        )
        conditions["StringLike"] = {f"{prefix}:sub": sub}
    value = data.get("web_condition_value", "").strip()
    if value:
        operator = data.get("web_condition_operator", "StringEquals")
        key = f"{prefix}:{data.get('web_condition_claim', 'sub')}"
        conditions.setdefault(operator, {})[key] = value
    return {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": conditions,
    }


def check_federated(data: Any) -> dict[str, str]:
    """Errors of the card's inputs, by field (what the wizard checks before "Next")."""
    errors: dict[str, str] = {}
    if data.get("entity_type") == SAML:
        if not _SAML_ARN.match(data.get("saml_provider", "")):
            errors["saml_provider"] = "Choose a SAML provider (add one in Identity providers)."
        access = data.get("saml_access")
        if access not in dict(SAML_ACCESS):
            errors["saml_access"] = "Choose the access to allow."
        elif access == "programmatic":
            if data.get("saml_attribute") not in SAML_ATTRIBUTES:
                errors["saml_attribute"] = "Choose an attribute."
            if not 1 <= len(data.get("saml_value", "").strip()) <= 1000:
                errors["saml_value"] = (
                    "Enter the value the attribute must have: programmatic access is limited "
                    "to the users whose SAML assertion carries it."
                )
        return errors
    provider = data.get("web_provider", "")
    if provider not in WELL_KNOWN_KEYS and not _OIDC_ARN.match(provider):
        errors["web_provider"] = "Choose an identity provider."
        return errors
    if not 1 <= len(data.get("web_audience", "").strip()) <= 255:
        errors["web_audience"] = (
            "Enter the audience (the client ID of your app), 1 to 255 characters."
        )
    if _prefix(provider) == GITHUB:
        org = data.get("github_org", "").strip()
        if not _GITHUB_ORG.match(org):
            errors["github_org"] = (
                "Enter the GitHub organization (or user): letters, digits and hyphens."
            )
        repo = data.get("github_repo", "").strip()
        if repo and not _GITHUB_REPO.match(repo):
            errors["github_repo"] = "A repository name uses letters, digits, '.', '_' and '-'."
        branch = data.get("github_branch", "").strip()
        if branch and not _GITHUB_BRANCH.match(branch):
            errors["github_branch"] = "A branch name has no spaces and none of ~^:?\\[."
    value = data.get("web_condition_value", "").strip()
    if value:
        claim = data.get("web_condition_claim")
        if claim not in WEB_CLAIMS:
            errors["web_condition_claim"] = "Choose a claim."
        elif data.get("web_condition_operator") not in CONDITION_OPERATORS:
            errors["web_condition_operator"] = "Choose a condition operator."
        elif claim == "sub" and _prefix(provider) == GITHUB:
            errors["web_condition_claim"] = (
                "The GitHub fields above already set the condition on sub."
            )
        elif len(value) > 1000:
            errors["web_condition_value"] = "At most 1,000 characters."
    return errors


def wizard_prefill(query: Any) -> dict[str, str]:
    """What "Assign role" on a provider's page chooses in the wizard (its query string)."""
    kind = query.get("entity_type")
    if kind == WEB_IDENTITY and _OIDC_ARN.match(query.get("web_provider", "")):
        return {"entity_type": kind, "web_provider": query["web_provider"]}
    if kind == SAML and _SAML_ARN.match(query.get("saml_provider", "")):
        return {"entity_type": kind, "saml_provider": query["saml_provider"]}
    return {}


def wizard_choices(actor: Any, data: Any) -> dict[str, Any]:
    """The cards' lists: the account's OIDC providers (their audiences suggested) and the
    well-known ones, the account's SAML providers; a list the caller may not read shows
    AWS's message in its card."""
    oidc = section(lambda: list_open_id_connect_providers(actor=actor))
    saml = section(lambda: list_saml_providers(actor=actor))
    web = [
        {"value": p.arn, "label": p.host_path, "github": p.host_path == GITHUB}
        for p in oidc.value or []
    ]
    audiences = list(dict.fromkeys(c for p in oidc.value or [] for c in p.client_ids))
    if provider := data.get("web_provider"):
        if provider not in {w["value"] for w in web} and _OIDC_ARN.match(provider):
            prefix = _prefix(provider)
            web.append({"value": provider, "label": prefix, "github": prefix == GITHUB})
    saml_options = [{"value": p.arn, "label": p.name} for p in saml.value or []]
    if (chosen := data.get("saml_provider")) and _SAML_ARN.match(chosen):
        if chosen not in {o["value"] for o in saml_options}:
            saml_options.append({"value": chosen, "label": chosen.rsplit("/", 1)[-1]})
    return {
        "web_providers": web,
        "web_well_known": WELL_KNOWN_WEB,
        "web_list_error": oidc.error,
        "web_audiences": audiences,
        "web_claims": WEB_CLAIMS,
        "condition_operators": CONDITION_OPERATORS,
        "saml_providers": saml_options,
        "saml_list_error": saml.error,
        "saml_access_choices": SAML_ACCESS,
        "saml_attributes": SAML_ATTRIBUTES,
        "aws_saml_audience": AWS_SAML_AUDIENCE,
    }
