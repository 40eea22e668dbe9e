"""Console forms for policies and the simulator. They parse input; operations validate."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms

from policies.engine import catalog

STARTER_DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Action": [], "Resource": []}],
    },
    indent=4,
)

SCOPES = [("All", "All types"), ("AWS", "AWS managed"), ("Local", "Customer managed")]
USAGE = [
    ("", "Any usage"),
    ("attached", "Attached"),
    ("unattached", "Not attached"),
    ("boundary", "Permissions boundary"),
]


def parse_lines(text: str, *, field: str) -> list[tuple[str, str]]:
    """``key=value`` lines (blank lines skipped) as pairs; a line without ``=`` is an error."""
    pairs = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {n}: write {field} as key=value.")
        pairs.append((key.strip(), value.strip()))
    return pairs


class PolicyFilterForm(forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, required=False, label="Type")
    usage = forms.ChoiceField(choices=USAGE, required=False, label="Used as")
    q = forms.CharField(required=False, max_length=128, label="Search by name")
    marker = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        usage = data.get("usage") or ""
        return {
            "scope": data.get("scope") or "All",
            "only_attached": usage == "attached",
            "only_unattached": usage == "unattached",
            "policy_usage_filter": "PermissionsBoundary" if usage == "boundary" else None,
            "name_contains": data.get("q") or None,
            "marker": data.get("marker") or None,
        }


class DocumentField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.Textarea(
                attrs={"rows": 22, "spellcheck": "false", "class": "policy-json", "wrap": "off"}
            ),
        )
        kwargs.setdefault("strip", False)
        # Generous: IAM's own size quota (6,144 non-whitespace characters) is
        # checked by the operation, with AWS's LimitExceeded text.
        kwargs.setdefault("max_length", 131072)
        super().__init__(**kwargs)


class PolicyCreateForm(forms.Form):
    document = DocumentField(label="Policy editor", initial=STARTER_DOCUMENT)
    name = forms.CharField(
        max_length=200,
        label="Policy name",
        help_text="Maximum 128 characters. Use alphanumeric and '+=,.@-_' characters.",
    )
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Maximum 1,000 characters.",
    )
    tags = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "team=platform"}),
        help_text="One tag per line as key=value. Up to 50 tags.",
    )

    def clean_tags(self) -> list[dict[str, str]]:
        pairs = parse_lines(self.cleaned_data.get("tags") or "", field="tags")
        return [{"Key": k, "Value": v} for k, v in pairs]


class ValidateForm(forms.Form):
    document = DocumentField(required=False)


class PolicyVersionForm(forms.Form):
    document = DocumentField(label="Policy editor")
    set_as_default = forms.BooleanField(required=False, initial=True, label="Set as default")


class VersionDiffForm(forms.Form):
    a = forms.CharField(max_length=16, label="Compare")
    b = forms.CharField(max_length=16, label="with")
    mode = forms.ChoiceField(
        choices=[("side", "Side by side"), ("unified", "Unified")], required=False
    )


class DeletePolicyForm(forms.Form):
    confirm = forms.CharField(max_length=200, label="To confirm deletion, enter the policy name")

    def __init__(self, *args: Any, policy_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_name = policy_name

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value != self.policy_name:
            raise forms.ValidationError("Enter the policy name exactly to confirm.")
        return value


class TagForm(forms.Form):
    key = forms.CharField(max_length=200)
    value = forms.CharField(max_length=400, required=False)


def service_choices() -> list[tuple[str, str]]:
    out = [("", "Choose a service")]
    for prefix in catalog.services():
        name = catalog.service_name(prefix)
        out.append((prefix, f"{name} ({prefix})" if name else prefix))
    return out


_ENTITY_RE = re.compile(r"^(user|group|role):[\w+=,.@-]{1,128}$")
_ACTION_RE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")


class SimulatorForm(forms.Form):
    source = forms.ChoiceField(
        choices=[("entity", "A user, group or role"), ("custom", "Policies I paste")],
        initial="entity",
        widget=forms.RadioSelect,
        label="Simulate",
    )
    # A select of the entities the caller may list, validated as text: the operation
    # decides (NoSuchEntity, AccessDenied), not the list the caller happened to see.
    entity = forms.CharField(
        required=False,
        max_length=200,
        label="User, group or role",
        widget=forms.Select,
        help_text="Used when simulating a user, group or role.",
    )
    policies = forms.CharField(
        required=False,
        strip=False,
        max_length=131072,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "policy-json"}),
        label="Policy documents",
        help_text="Used when simulating pasted policies. Separate several documents "
        "with a line holding only ---",
    )
    service = forms.ChoiceField(required=False, label="Service")
    actions = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    all_actions = forms.BooleanField(required=False, label="Select all actions of the service")
    extra_actions = forms.CharField(
        required=False,
        max_length=4000,
        label="More actions",
        help_text="service:Action, separated by commas or new lines (e.g. s3:GetObject).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    resources = forms.CharField(
        initial="*",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Resource ARNs",
        help_text="One per line. * means any resource.",
    )
    context = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "aws:MultiFactorAuthPresent=true"}),
        label="Context keys",
        help_text="One key=value per line; repeat a key for several values.",
    )

    def __init__(
        self, *args: Any, entities: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["entity"].widget.choices = [("", "Choose an entity"), *entities]
        self.fields["service"].choices = service_choices()
        service = self.data.get("service") if self.is_bound else None
        self.fields["actions"].choices = action_choices(service or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        entity = data.get("entity") or ""
        if data.get("source") == "entity" and not _ENTITY_RE.match(entity):
            self.add_error("entity", "Choose a user, group or role.")
        if data.get("source") == "custom" and not (data.get("policies") or "").strip():
            self.add_error("policies", "Paste at least one policy document.")
        return data

    def clean_extra_actions(self) -> list[str]:
        names = [a.strip() for a in re.split(r"[,\s]+", self.cleaned_data["extra_actions"] or "")]
        names = [a for a in names if a]
        for name in names:
            if not _ACTION_RE.match(name):
                raise forms.ValidationError(f"{name} is not an action (service:Action).")
        return names

    def clean_resources(self) -> list[str]:
        return [r.strip() for r in self.cleaned_data["resources"].splitlines() if r.strip()]

    def clean_context(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in parse_lines(self.cleaned_data.get("context") or "", field="context keys"):
            if key in out:
                prev = out[key]
                out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
            else:
                out[key] = value
        return out

    def documents(self) -> list[str]:
        text = self.cleaned_data.get("policies") or ""
        parts = re.split(r"(?m)^\s*---\s*$", text)
        return [p.strip() for p in parts if p.strip()]

    def action_names(self) -> list[str]:
        data = self.cleaned_data
        service = data.get("service") or ""
        if data.get("all_actions") and service:
            chosen = [info.full_name for info in catalog.actions(service)]
        else:
            chosen = list(data.get("actions") or [])
        for name in data.get("extra_actions") or []:
            if name not in chosen:
                chosen.append(name)
        return chosen


def action_choices(service: str) -> list[tuple[str, str]]:
    if not service or not catalog.service_exists(service):
        return []
    infos = sorted(catalog.actions(service), key=lambda info: info.name.lower())
    return [(info.full_name, info.name) for info in infos]
