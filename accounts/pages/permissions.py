"""What the users, groups and roles pages share about permissions: the one policy picker,
the inline-policy form and its starter document, the inline-policy quotas, attaching the
chosen policies (all or none), the tag-input rows, and the rule for which counts a list
may show to its caller.

Each entity page module (users.py, groups.py, roles.py) holds only its own views and
imports from here and from the console toolkit (iamconsole/pages.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from accounts.errors import IamError, ValidationError
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import HtmxHttpRequest, pretty, render_error, validation_context
from policies.authorization import permission_checker
from policies.models import ManagedPolicy
from policies.operations import (
    list_attached_group_policies,
    list_attached_role_policies,
    list_group_policies,
    list_policies,
    list_role_policies,
)

PICKER_SIZE = 50
HIDDEN = "\u2014"  # what a cell shows when the caller may not see its data
# Inline policy quotas by identity, whitespace not counted ("IAM and AWS STS
# character limits": user 2,048, group 5,120, role 10,240).
INLINE_SIZE = {"user": 2048, "group": 5120, "role": 10240}
# What "Create inline policy" starts from (as AWS's console's JSON editor).
STARTER_DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Action": [], "Resource": []}],
    },
    indent=4,
)


class InlinePolicyForm(forms.Form):
    name = forms.CharField(
        max_length=200,  # IAM's 128 is checked (with AWS's message) by the operation
        label="Policy name",
        help_text="Maximum 128 characters. Use alphanumeric and '+=,.@-_' characters.",
    )
    document = forms.CharField(
        label="Policy editor",
        strip=False,
        max_length=131072,  # IAM's own quota is checked (with AWS's message) by the operation
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "false", "wrap": "off"}),
    )


def inline_validation(document: str, kind: str) -> dict[str, Any]:
    """The editor panel's findings for an inline policy of a user, group or role."""
    ctx = validation_context(document, f"{kind.upper()}_INLINE")
    ctx["size_limit"] = INLINE_SIZE[kind]
    return ctx


# -- tabs ------------------------------------------------------------------------------------

# Each tab of a user, group or role page is its own URL: /<kind>s/<name>/ shows the first,
# /<kind>s/<name>/<tab>/ any tab (URL names accounts:<kind>-detail, accounts:<kind>-detail-tab).
TABS = {
    "user": [
        ("permissions", "Permissions"),
        ("groups", "Groups"),
        ("tags", "Tags"),
        ("security-credentials", "Security credentials"),
        ("access-advisor", "Access Advisor"),
    ],
    "group": [("users", "Users"), ("permissions", "Permissions")],
    "role": [
        ("permissions", "Permissions"),
        ("trust", "Trust relationships"),
        ("tags", "Tags"),
        ("revoke", "Revoke sessions"),
    ],
}


def tab_url(kind: str, name: str, tab: str = "") -> str:
    """The URL of one tab of the page of the user, group or role ``name``."""
    if not tab or tab == TABS[kind][0][0]:
        return reverse(f"accounts:{kind}-detail", args=[name])
    return reverse(f"accounts:{kind}-detail-tab", args=[name, tab])


def tab_links(kind: str, name: str) -> list[tuple[str, str, str]]:
    """(key, label, url) of each tab, for templates/partials/tabs.html."""
    return [(key, label, tab_url(kind, name, key)) for key, label in TABS[kind]]


def check_tab(kind: str, tab: str) -> str:
    """``tab`` (empty: the first tab) if the page has it, else a 404."""
    tab = tab or TABS[kind][0][0]
    if tab not in dict(TABS[kind]):
        raise Http404("No such tab.")
    return tab


def old_tab_link(request: HtmxHttpRequest, kind: str, name: str) -> HttpResponse | None:
    """A redirect from a ``?tab=`` link (the URLs before tabs had paths) to the tab's URL."""
    tab = request.GET.get("tab")
    if tab is None:
        return None
    return redirect(tab_url(kind, name, check_tab(kind, tab)))


# -- the policy picker -------------------------------------------------------------------------


@dataclass
class Picker:
    """The searchable managed-policy list (checkboxes to attach, radios for a boundary)
    of every page that chooses policies: create wizards, "Attach policies", boundaries.

    ``chosen`` are the selected policies the current search does not list: they stay
    listed (checked) above the matches, whatever the search.
    """

    multiple: bool = True
    q: str = ""
    items: list[Any] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    chosen: list[Any] = field(default_factory=list)
    more: bool = False
    error: IamError | None = None
    exclude: set[str] = field(default_factory=set)
    url: str = ""  # where the search field asks (htmx) for the list again
    page_url: str = ""  # without JS, Search reloads this page (GET); else submits go=search
    qname: str = "q"  # the search field's name (two pickers may share a form)
    dom_id: str = "policy-picker"
    hidden: dict[str, list[str]] = field(default_factory=dict)  # sent along with a search
    field: str = "policies"  # last: it shadows dataclasses.field in this class body


def build_picker(
    actor: Principal,
    *,
    q: str = "",
    field_name: str = "policies",
    multiple: bool = True,
    selected: Iterable[str] = (),
    exclude: Iterable[str] = (),
    url: str = "",
    page_url: str = "",
    qname: str = "q",
    dom_id: str = "policy-picker",
    hidden: dict[str, list[str]] | None = None,
) -> Picker:
    """Policies through ListPolicies (a caller who may not list them sees AWS's denial)."""
    picker = Picker(
        field=field_name,
        multiple=multiple,
        q=q.strip()[:128],
        selected=[a for a in dict.fromkeys(selected) if a][:20],
        exclude=set(exclude),
        url=url,
        page_url=page_url,
        qname=qname,
        dom_id=dom_id,
        hidden=dict(hidden or {}),
    )
    try:
        page = list_policies(actor=actor, name_contains=picker.q or None, max_items=PICKER_SIZE)
    except IamError as exc:
        picker.error = exc
        return picker
    # AWS-managed first (as the console lists them), then the account's own.
    items = [p for p in page.items if p.arn not in picker.exclude]
    picker.items = sorted(items, key=lambda p: (p.account_id is not None, p.name.lower()))
    picker.more = page.is_truncated
    shown = {p.arn for p in picker.items}
    missing = [a for a in picker.selected if a not in shown]
    if missing:
        # Only policies the caller's ListPolicies could return: its account's and AWS's.
        picker.chosen = list(
            ManagedPolicy.objects.filter(arn__in=missing).filter(
                Q(account_id=actor.account_id) | Q(account__isnull=True)
            )
        )
    return picker


def group_role_picker(actor: Principal, **kwargs: Any) -> Picker:
    """A picker searched through ``accounts:policy-picker`` (group and role pages, their
    create pages): ``field_name`` "policies" (attach) or "boundary"."""
    name = kwargs.pop("field_name", "policies")
    exclude = list(kwargs.pop("exclude", ()))
    return build_picker(
        actor,
        field_name=name,
        multiple=name == "policies",
        exclude=exclude,
        url=reverse("accounts:policy-picker"),
        qname=f"{name}_q",
        dom_id=f"picker-list-{name}",
        hidden={"picker_field": [name], "attached": exclude},
        **kwargs,
    )


@console_login_required
@require_GET
def policy_picker(request: HtmxHttpRequest) -> HttpResponse:
    """The picker's list for a search typed in place (hx-include sends the checked boxes)."""
    field_name = request.GET.get("picker_field", "policies")
    if field_name not in ("policies", "boundary"):
        field_name = "policies"
    picker = group_role_picker(
        principal_of(request),
        field_name=field_name,
        q=request.GET.get(f"{field_name}_q", ""),
        selected=request.GET.getlist(field_name),
        exclude=request.GET.getlist("attached"),
    )
    status = picker.error.status if picker.error else 200
    return render(request, "partials/policy_picker.html#list", {"picker": picker}, status=status)


def attach_chosen(
    request: HtmxHttpRequest, attach: Callable[..., Any], **entity: str
) -> IamError | None:
    """Attach each policy ticked in the form (at most 20) with ``attach``
    (Attach{User,Group,Role}Policy), all or none; the error to show, if any."""
    arns = [a for a in dict.fromkeys(request.POST.getlist("policies")) if a][:20]
    if not arns:
        return ValidationError("Choose at least one policy to attach.")
    try:
        run_batch(principal_of(request), [(attach, {**entity, "policy_arn": a}) for a in arns])
    except IamError as exc:
        return exc
    return None


# -- group and role permissions tab -----------------------------------------------------


def permissions_context(actor: Principal, kind: str, name: str) -> dict[str, Any]:
    """Attached managed and inline policies of a group or role, via List* operations."""
    if kind == "group":
        attached = list_attached_group_policies(actor=actor, group_name=name, max_items=1000)
        inline = list_group_policies(actor=actor, group_name=name, max_items=1000)
    else:
        attached = list_attached_role_policies(actor=actor, role_name=name, max_items=1000)
        inline = list_role_policies(actor=actor, role_name=name, max_items=1000)
    return {
        "attached": list(attached.items),
        "inline": list(inline.items),
        "policy_count": len(attached.items) + len(inline.items),
    }


def form_error(form: forms.Form, exc: IamError, fields: dict[str, str]) -> None:
    """Put an IAM error by the field it is about (``fields``: text in message -> field)."""
    for needle, name in fields.items():
        if needle in exc.message and name in form.fields:
            form.add_error(name, exc.message)
            return
    form.add_error(None, exc.message)


def inline_policy_editor(
    request: HtmxHttpRequest,
    *,
    kind: str,
    entity: Any,
    put: Any,
    get: Any,
    template: str,
    tab_url: str,
    back: tuple[str, str],
) -> HttpResponse:
    """Create or edit an inline policy of a group or role (``kind``): the JSON editor with
    live validation, then Put{Group,Role}Policy through ``put``; ``get`` reads one to edit.
    The operations authorize; AccessDenied shows on the page, other IAM errors by field."""
    actor = principal_of(request)
    editing = request.GET.get("policy", "")
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        form = InlinePolicyForm(request.POST)
        if form.is_valid():
            try:
                put(actor, form.cleaned_data["name"], form.cleaned_data["document"])
            except IamError as exc:
                status = exc.status
                if exc.code == "AccessDenied":
                    error = exc
                else:
                    form_error(
                        form,
                        exc,
                        {"policyName": "name", "Maximum policy size": "document", "": "document"},
                    )
            else:
                messages.success(request, f"Policy {form.cleaned_data['name']} saved.")
                return redirect(tab_url)
        else:
            status = 400
        document = request.POST.get("document", "")
    elif editing:
        try:
            policy = get(actor, editing)
        except IamError as exc:
            return render_error(request, exc, back=back)
        document = pretty(policy.document)
        form = InlinePolicyForm(initial={"name": policy.name, "document": document})
    else:
        document = STARTER_DOCUMENT
        form = InlinePolicyForm(initial={"document": document})
    return render(
        request,
        template,
        {
            kind: entity,
            "form": form,
            "editing": editing,
            "error": error,
            "validate_url": reverse(f"accounts:{kind}-inline-validate"),
            "cancel_url": tab_url,
            **inline_validation(document, kind),
        },
        status=status,
    )


# -- tags ------------------------------------------------------------------------------------


def tags_from_post(data: Any, *, prefix: str = "tag") -> list[dict[str, str]]:
    """Key/value rows (``tag-key-N``, ``tag-value-N``) as AWS tags; blank keys skipped."""
    tags = []
    for i in range(60):
        key = data.get(f"{prefix}-key-{i}")
        if key is None:
            continue
        key = key.strip()
        if key:
            tags.append({"Key": key, "Value": (data.get(f"{prefix}-value-{i}") or "").strip()})
    return tags


def parse_tag_lines(text: str) -> list[dict[str, str]]:
    """``key=value`` lines (blank lines skipped) as IAM tags; a line without ``=`` is an error."""
    tags = []
    for n, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {n}: write each tag as key=value.")
        tags.append({"Key": key.strip(), "Value": value.strip()})
    return tags


# -- what a list may show ------------------------------------------------------------------------


def visible_counts(
    actor: Principal, kind: str, entities: Sequence[Any], counts: dict[Any, dict[str, int]]
) -> dict[Any, dict[str, int | None]]:
    """The counts (``users``, ``attached``, ``inline``) of each listed group or role that
    ``actor`` may see, ``None`` for the others. The one rule of every list and detail."""
    allowed = permission_checker(actor)
    title = kind.title()
    # The calls AWS's console reads them with; a caller without one sees "—", not zero.
    actions = {
        "attached": f"iam:ListAttached{title}Policies",
        "inline": f"iam:List{title}Policies",
    }
    if kind == "group":
        actions["users"] = "iam:GetGroup"
    out: dict[Any, dict[str, int | None]] = {}
    for entity in entities:
        row = counts.get(entity.pk, {})
        out[entity.pk] = {
            key: (row.get(key, 0) if allowed(action, entity.arn) else None)
            for key, action in actions.items()
        }
    return out


def picker_urlpatterns() -> list[Any]:
    # The policy picker's search (group and role pages, their create pages).
    return [path("roles/create/policies/", policy_picker, name="policy-picker")]
