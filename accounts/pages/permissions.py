"""What the users, groups and roles pages share about permissions: the one policy picker,
the inline-policy form and its starter document, the inline-policy quotas, attaching the
chosen policies (all or none), the tag-input rows, and the rule for which counts a list
may show to its caller.

Each entity page module (users.py, groups.py, roles.py) holds only its own views and
imports from here and from the console toolkit (iamconsole/pages.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import IamError, NoSuchEntity, ValidationError
from accounts.operations.common import find_group, find_role, find_user
from accounts.operations.groups import get_group
from accounts.operations.roles import get_role, tag_role, untag_role
from accounts.operations.users import get_user, tag_user, untag_user
from accounts.pages.entity import tab_url, tags_from_post
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of
from iamconsole.ops import run_batch
from iamconsole.pages import HtmxHttpRequest, pretty, render_error, validation_context
from policies.models import ManagedPolicy
from policies.operations import (
    attach_group_policy,
    attach_role_policy,
    attach_user_policy,
    delete_group_policy,
    delete_role_permissions_boundary,
    delete_role_policy,
    delete_user_permissions_boundary,
    delete_user_policy,
    detach_group_policy,
    detach_role_policy,
    detach_user_policy,
    list_attached_group_policies,
    list_attached_role_policies,
    list_group_policies,
    list_policies,
    list_role_policies,
    list_user_policies,
    put_group_policy,
    put_role_permissions_boundary,
    put_role_policy,
    put_user_permissions_boundary,
    put_user_policy,
)

PICKER_SIZE = 50
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


# -- one set of views for users, groups and roles --------------------------------------------

# How an entity's page answers a change: the tab again (htmx, or with the error in place and
# its status) or a redirect to the tab with ``notice``. users.py, groups.py and roles.py each
# pass theirs to ``entity_urlpatterns``.
Page = Callable[..., HttpResponse]  # page(request, name, tab, *, error=None, notice="")


@dataclass(frozen=True)
class Kind:
    """What the shared views need of users, groups or roles: the authorized read of the
    entity (GetUser, GetGroup, GetRole), the lookup without authorization (the operation
    called next decides) and its operations. Groups have neither boundary nor tags."""

    name: str
    title: str  # the list's name, the editor's breadcrumb
    get: Callable[[Principal, str], Any]
    find: Callable[[str, str], Any]
    attach: Callable[..., Any]
    detach: Callable[..., Any]
    put_inline: Callable[..., Any]
    list_inline: Callable[..., Any]
    delete_inline: Callable[..., Any]
    put_boundary: Callable[..., Any] | None = None
    delete_boundary: Callable[..., Any] | None = None
    tag: Callable[..., Any] | None = None
    untag: Callable[..., Any] | None = None

    @property
    def arg(self) -> str:
        """The operations' keyword for the entity (``user_name``, ...), also the URL's."""
        return f"{self.name}_name"


KINDS = {
    "user": Kind(
        name="user",
        title="Users",
        get=lambda actor, name: get_user(actor=actor, name=name),
        find=find_user,
        attach=attach_user_policy,
        detach=detach_user_policy,
        put_inline=put_user_policy,
        list_inline=list_user_policies,
        delete_inline=delete_user_policy,
        put_boundary=put_user_permissions_boundary,
        delete_boundary=delete_user_permissions_boundary,
        tag=tag_user,
        untag=untag_user,
    ),
    "group": Kind(
        name="group",
        title="User groups",
        get=lambda actor, name: get_group(actor=actor, name=name, max_items=1).group,
        find=find_group,
        attach=attach_group_policy,
        detach=detach_group_policy,
        put_inline=put_group_policy,
        list_inline=list_group_policies,
        delete_inline=delete_group_policy,
    ),
    "role": Kind(
        name="role",
        title="Roles",
        get=lambda actor, name: get_role(actor=actor, name=name),
        find=find_role,
        attach=attach_role_policy,
        detach=detach_role_policy,
        put_inline=put_role_policy,
        list_inline=list_role_policies,
        delete_inline=delete_role_policy,
        put_boundary=put_role_permissions_boundary,
        delete_boundary=delete_role_permissions_boundary,
        tag=tag_role,
        untag=untag_role,
    ),
}


def _call(request: HtmxHttpRequest, op: Callable[..., Any], **kwargs: Any) -> IamError | None:
    """One operation as the signed-in principal; the IAM error it raised, if any."""
    try:
        op(actor=principal_of(request), **kwargs)
    except IamError as exc:
        return exc
    return None


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def attach_policies(request: HtmxHttpRequest, kind: str, page: Page, **names: str) -> HttpResponse:
    """Attach{User,Group,Role}Policy for each chosen policy, all or none."""
    k = KINDS[kind]
    name = names[k.arg]
    error = attach_chosen(request, k.attach, **{k.arg: name})
    n = len(dict.fromkeys(a for a in request.POST.getlist("policies") if a))
    notice = f"{n} {'policy' if n == 1 else 'policies'} attached."
    return page(request, name, "permissions", error=error, notice=notice)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def detach_policy(request: HtmxHttpRequest, kind: str, page: Page, **names: str) -> HttpResponse:
    k = KINDS[kind]
    name = names[k.arg]
    error = _call(request, k.detach, **{k.arg: name}, policy_arn=request.POST.get("policy_arn", ""))
    return page(request, name, "permissions", error=error, notice="Policy removed.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def boundary(request: HtmxHttpRequest, kind: str, page: Page, **names: str) -> HttpResponse:
    """Put{User,Role}PermissionsBoundary with the chosen policy, or (``boundary`` empty)
    Delete{User,Role}PermissionsBoundary."""
    k = KINDS[kind]
    name = names[k.arg]
    if "boundary" not in request.POST:
        error: IamError | None = ValidationError(
            "Choose a policy to use as the permissions boundary."
        )
        return page(request, name, "permissions", error=error)
    arn = request.POST["boundary"]
    if arn:
        assert k.put_boundary is not None
        error = _call(request, k.put_boundary, **{k.arg: name}, policy_arn=arn)
        notice = "Permissions boundary set."
    else:
        assert k.delete_boundary is not None
        error = _call(request, k.delete_boundary, **{k.arg: name})
        notice = "Permissions boundary removed."
    return page(request, name, "permissions", error=error, notice=notice)


@console_login_required
@require_http_methods(["GET", "POST"])
def inline_policy(request: HtmxHttpRequest, kind: str, page: Page, **names: str) -> HttpResponse:
    """Create or edit (``?policy=``) an inline policy: the JSON editor with live validation,
    then Put{User,Group,Role}Policy. The operations authorize; AccessDenied and a missing
    entity show as the error page, other IAM errors by their field."""
    k = KINDS[kind]
    actor = principal_of(request)
    list_url = reverse(f"accounts:{kind}-list")
    try:
        entity = k.get(actor, names[k.arg])
    except IamError as exc:
        return render_error(request, exc, back=(list_url, k.title))
    cancel_url = tab_url(kind, entity.name, "permissions")
    back = (cancel_url, entity.name)
    editing = request.GET.get("policy", "")
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        form = InlinePolicyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                k.put_inline(
                    actor=actor,
                    **{k.arg: entity.name},
                    policy_name=data["name"],
                    document=data["document"],
                )
            except IamError as exc:
                status = exc.status
                if exc.code in ("AccessDenied", "NoSuchEntity"):
                    error = exc
                else:
                    form_error(
                        form,
                        exc,
                        {"policyName": "name", "Maximum policy size": "document", "": "document"},
                    )
            else:
                messages.success(request, f"Inline policy {data['name']} saved.")
                return redirect(cancel_url)
        else:
            status = 400
        document = request.POST.get("document", "")
    elif editing:
        # Read through List*Policies, as the tab does: a GET never writes an audit event
        # (Get*Policy of a missing policy would record its NoSuchEntity).
        try:
            listed = k.list_inline(actor=actor, **{k.arg: entity.name}, max_items=1000).items
            policy = next((p for p in listed if p.name == editing), None)
            if policy is None:
                raise NoSuchEntity(f"The {kind} policy with name {editing} cannot be found.")
        except IamError as exc:
            return render_error(request, exc, back=back)
        document = pretty(policy.document)
        form = InlinePolicyForm(initial={"name": policy.name, "document": document})
    else:
        document = STARTER_DOCUMENT
        form = InlinePolicyForm(initial={"document": document})
    context = {
        "kind": kind,
        # users.css or roles.css (the group and role pages share it)
        "base_template": f"accounts/{'users' if kind == 'user' else 'groups'}/base.html",
        "entity": entity,
        "list_url": list_url,
        "list_title": k.title,
        "form": form,
        "editing": editing,
        "error": error,
        "validate_url": reverse(f"accounts:{kind}-inline-validate"),
        "cancel_url": cancel_url,
        **inline_validation(document, kind),
    }
    return render(request, "accounts/inline_policy.html", context, status=status)


@console_login_required
@require_POST
def inline_validate(request: HtmxHttpRequest, kind: str) -> HttpResponse:
    """Live check of an inline policy as typed (the engine is pure: no permission needed)."""
    document = request.POST.get("document", "")[:131072]
    return render(request, "policies/partials/validation.html", inline_validation(document, kind))


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def inline_delete(request: HtmxHttpRequest, kind: str, page: Page, **names: str) -> HttpResponse:
    k = KINDS[kind]
    name = names[k.arg]
    error = _call(
        request, k.delete_inline, **{k.arg: name}, policy_name=request.POST.get("policy_name", "")
    )
    return page(request, name, "permissions", error=error, notice="Inline policy deleted.")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def tags(request: HtmxHttpRequest, kind: str, page: Page, **names: str) -> HttpResponse:
    """Save the tag rows (or drop the row of ``remove``): Untag{User,Role} for the keys
    removed, Tag{User,Role} for those added or changed, both or neither."""
    k = KINDS[kind]
    assert k.tag is not None and k.untag is not None
    try:
        entity = k.find(principal_of(request).account_id, names[k.arg])
    except IamError as exc:
        return render_error(request, exc, back=(reverse(f"accounts:{kind}-list"), k.title))
    wanted = tags_from_post(request.POST)
    remove_key = request.POST.get("remove")
    if remove_key is not None:
        wanted = [t for t in entity.tags if t["Key"] != remove_key]
    keys = [t["Key"].lower() for t in wanted]
    if len(keys) != len(set(keys)):
        duplicate = ValidationError("Duplicate tag keys found. Tag keys are case insensitive.")
        return page(request, entity.name, "tags", error=duplicate, draft=wanted)
    current = {t["Key"]: t["Value"] for t in entity.tags}
    wanted_map = {t["Key"]: t["Value"] for t in wanted}
    removed = [key for key in current if key not in wanted_map]
    changed = [t for t in wanted if current.get(t["Key"]) != t["Value"]]
    steps: list[tuple[Callable[..., Any], dict[str, Any]]] = []
    if removed:
        steps.append((k.untag, {"name": entity.name, "tag_keys": removed}))
    if changed:
        steps.append((k.tag, {"name": entity.name, "tags": changed}))
    try:
        run_batch(principal_of(request), steps)
    except IamError as exc:
        return page(request, entity.name, "tags", error=exc, draft=wanted)
    return page(request, entity.name, "tags", notice="Tags saved.")


def entity_urlpatterns(kind: str, page: Page) -> list[URLPattern]:
    """The shared views under /<kind>s/<name>/, named accounts:<kind>-attach-policies,
    -detach-policy, -inline-policy, -inline-delete, -inline-validate and, for users and
    roles, -boundary and -tags (e.g. accounts:user-boundary, accounts:role-tags)."""
    k = KINDS[kind]
    base = f"{kind}s/<str:{k.arg}>/"
    extra = {"kind": kind, "page": page}
    urls = [
        path(f"{kind}s/inline-policy/validate/", inline_validate, {"kind": kind},
             name=f"{kind}-inline-validate"),
        path(base + "policies/attach/", attach_policies, extra, name=f"{kind}-attach-policies"),
        path(base + "policies/detach/", detach_policy, extra, name=f"{kind}-detach-policy"),
        path(base + "policies/inline/", inline_policy, extra, name=f"{kind}-inline-policy"),
        path(base + "policies/inline/delete/", inline_delete, extra, name=f"{kind}-inline-delete"),
    ]  # fmt: skip
    if k.put_boundary is not None:
        urls.append(path(base + "boundary/", boundary, extra, name=f"{kind}-boundary"))
    if k.tag is not None:
        urls.append(path(base + "tags/edit/", tags, extra, name=f"{kind}-tags"))
    return urls


def picker_urlpatterns() -> list[Any]:
    # The policy picker's search (group and role pages, their create pages).
    return [path("roles/create/policies/", policy_picker, name="policy-picker")]
