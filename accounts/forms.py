"""Forms for root sign-up, sign-in and MFA enrollment."""

from __future__ import annotations

import re
import string
from typing import Any

from django import forms

from accounts.errors import IamError
from accounts.validation import check_alias

# Root password rules, from "Change the password for the AWS account root user":
# 8 to 128 characters, at least three of upper-case, lower-case, numbers and
# symbols, and not the same as the email address.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-password.html
ROOT_PASSWORD_MIN = 8
ROOT_PASSWORD_MAX = 128


def root_password_problems(password: str, email: str) -> list[str]:
    problems = []
    if not ROOT_PASSWORD_MIN <= len(password) <= ROOT_PASSWORD_MAX:
        problems.append(
            f"The password must be {ROOT_PASSWORD_MIN} to {ROOT_PASSWORD_MAX} characters long."
        )
    kinds = sum(
        [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation for c in password),
        ]
    )
    if kinds < 3:
        problems.append(
            "The password must include at least three of: upper-case letters, "
            "lower-case letters, numbers and symbols."
        )
    if email and password.strip().lower() == email.strip().lower():
        problems.append("The password must not be your email address.")
    return problems


class SignUpForm(forms.Form):
    email = forms.EmailField(label="Root user email address", max_length=254)
    password1 = forms.CharField(
        label="Root user password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=ROOT_PASSWORD_MAX,
    )
    password2 = forms.CharField(
        label="Confirm root user password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=ROOT_PASSWORD_MAX,
    )
    alias = forms.CharField(
        label="Account alias (optional)",
        required=False,
        max_length=63,
        help_text="3-63 lower-case letters, digits and hyphens; it names your IAM users' sign-in URL.",
    )

    def clean_alias(self) -> str:
        alias = self.cleaned_data.get("alias", "").strip()
        if alias:
            try:
                check_alias(alias)
            except IamError as exc:
                raise forms.ValidationError(
                    "The alias must be 3-63 lower-case letters, digits and single hyphens, "
                    "start and end with a letter or digit, and not be a 12-digit number."
                ) from exc
        return alias

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The passwords do not match.")
        elif p1:
            for problem in root_password_problems(p1, data.get("email", "")):
                self.add_error("password1", problem)
        return data


# An IAM user's sign-in names the account by its 12-digit id or its alias (the
# alias grammar of CreateAccountAlias); nothing else may reach the redirect.
_ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")
SIGNIN_TYPES = [
    ("root", "Root user"),
    ("iam", "IAM user"),
]


class SignInChoiceForm(forms.Form):
    """AWS's first sign-in step: "Root user" (an email) or "IAM user" (an account)."""

    signin_type = forms.ChoiceField(
        label="Sign in as",
        choices=SIGNIN_TYPES,
        initial="root",
        required=False,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label="Root user email address",
        max_length=254,
        required=False,
        help_text="Account owner that performs tasks requiring unrestricted access.",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    account = forms.CharField(
        label="Account ID (12 digits) or account alias",
        max_length=63,
        required=False,
        help_text="User within an account that performs daily tasks.",
        widget=forms.TextInput(attrs={"autocomplete": "organization", "spellcheck": "false"}),
    )

    def clean_signin_type(self) -> str:
        return self.cleaned_data.get("signin_type") or "root"  # the old one-field form: root

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("signin_type") == "iam":
            self.errors.pop("email", None)  # the other choice's field: ignored
            account = (data.get("account") or "").strip().lower()
            data["account"] = account
            if not account:
                self.add_error("account", "Enter your account ID or account alias.")
            elif not _ACCOUNT_ID_RE.fullmatch(account):
                try:
                    check_alias(account)
                except IamError:
                    self.add_error(
                        "account",
                        "Enter a 12-digit account ID or an account alias (3-63 lower-case "
                        "letters, digits and hyphens).",
                    )
        elif not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter your root user email address.")
        return data


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=ROOT_PASSWORD_MAX,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def _code_field(label: str, *, autofocus: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {
        "autocomplete": "one-time-code",
        "inputmode": "numeric",
        "pattern": "[0-9]{6}",
        "maxlength": "6",
    }
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=label, min_length=6, max_length=6, widget=forms.TextInput(attrs=attrs)
    )


def _digits(value: str) -> str:
    value = value.strip().replace(" ", "")
    if not (value.isascii() and value.isdigit()):
        raise forms.ValidationError("Enter the 6-digit code from your authenticator app.")
    return value


class MfaCodeForm(forms.Form):
    code = _code_field("MFA code", autofocus=True)

    def clean_code(self) -> str:
        return _digits(self.cleaned_data["code"])


class MfaEnrollForm(forms.Form):
    """EnableMFADevice asks for two consecutive codes (AuthenticationCode1 and 2)."""

    code1 = _code_field("MFA code 1", autofocus=True)
    code2 = _code_field("MFA code 2")

    def clean_code1(self) -> str:
        return _digits(self.cleaned_data["code1"])

    def clean_code2(self) -> str:
        return _digits(self.cleaned_data["code2"])


class DeleteForm(forms.Form):
    """Confirm a deletion by typing the name, as AWS asks before deleting a group or role."""

    confirm = forms.CharField(max_length=200, label="To confirm deletion, enter the name")

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value != self.expected:
            raise forms.ValidationError(f"Enter {self.expected} exactly to confirm.")
        return value
