"""Policy versions: create (optionally as default), set default, delete, diff two versions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.errors import IamError, LimitExceeded, MalformedPolicyDocument
from iamconsole.console import console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest, pretty, render_error, validation_context
from policies.forms import PolicyVersionForm, VersionDiffForm
from policies.lookups import policy_by_id
from policies.operations import (
    create_policy_version,
    delete_policy_version,
    get_policy,
    get_policy_version,
    set_default_policy_version,
)
from policies.views.managed import render_detail

# The error page's breadcrumb.
BACK = (reverse_lazy("policies:policy-list"), "Policies")


def _versions_url(policy_id: str) -> str:
    return reverse("policies:policy-detail", args=[policy_id]) + "?tab=versions"


@console_login_required
@require_http_methods(["GET", "POST"])
def version_create(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    """Edit the policy: a new version, the default one's document to start from."""
    actor = principal_of(request)
    try:
        policy = get_policy(actor=actor, arn=policy_by_id(actor, policy_id).arn)
        current = get_policy_version(
            actor=actor, arn=policy.arn, version_id=policy.default_version_id
        )
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    error = None
    status = 200
    if request.method == "POST":
        form = PolicyVersionForm(request.POST)
        if form.is_valid():
            try:
                version = create_policy_version(
                    actor=actor,
                    arn=policy.arn,
                    document=form.cleaned_data["document"],
                    set_as_default=form.cleaned_data["set_as_default"],
                )
            except (MalformedPolicyDocument, LimitExceeded) as exc:
                form.add_error("document", exc.message)
                status = exc.status
            except IamError as exc:
                error, status = exc, exc.status
            else:
                messages.success(request, f"Version {version.version_id} of {policy.name} created.")
                return redirect(_versions_url(policy.policy_id))
        else:
            status = 400
        document = request.POST.get("document", "")
    else:
        form = PolicyVersionForm(initial={"document": pretty(current.document)})
        document = form.initial["document"]
    context = {"policy": policy, "form": form, "error": error, **validation_context(document)}
    return render(request, "policies/version_create.html", context, status=status)


def _version_action(
    request: HtmxHttpRequest, policy_id: str, version_id: str, op: str
) -> HttpResponse:
    actor = principal_of(request)
    try:
        policy = policy_by_id(actor, policy_id)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    func = set_default_policy_version if op == "default" else delete_policy_version
    try:
        func(actor=actor, arn=policy.arn, version_id=version_id)
    except IamError as exc:  # shown above the versions table, with AWS's status
        return render_detail(request, policy_id, "versions", extra={"error": exc})
    if not request.htmx:
        done = "is now the default" if op == "default" else "deleted"
        messages.success(request, f"Version {version_id} {done}.")
        return redirect(_versions_url(policy_id))
    return render_detail(request, policy_id, "versions")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def version_set_default(request: HtmxHttpRequest, policy_id: str, version_id: str) -> HttpResponse:
    return _version_action(request, policy_id, version_id, "default")


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def version_delete(request: HtmxHttpRequest, policy_id: str, version_id: str) -> HttpResponse:
    return _version_action(request, policy_id, version_id, "delete")


# -- diff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    kind: str  # equal | change | delete | insert
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(a: list[str], b: list[str]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                rows.append(DiffRow("equal", i1 + k + 1, a[i1 + k], j1 + k + 1, b[j1 + k]))
            continue
        left = list(range(i1, i2))
        right = list(range(j1, j2))
        for li, ri in zip_longest(left, right):
            kind = "change" if li is not None and ri is not None else tag
            if tag == "replace" and (li is None or ri is None):
                kind = "insert" if li is None else "delete"
            rows.append(
                DiffRow(
                    kind,
                    None if li is None else li + 1,
                    "" if li is None else a[li],
                    None if ri is None else ri + 1,
                    "" if ri is None else b[ri],
                )
            )
    return rows


def unified(a: list[str], b: list[str], a_name: str, b_name: str) -> list[tuple[str, str]]:
    out = []
    for line in difflib.unified_diff(a, b, fromfile=a_name, tofile=b_name, lineterm="", n=3):
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "insert"
        elif line.startswith("-"):
            kind = "delete"
        else:
            kind = "equal"
        out.append((kind, line))
    return out


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def version_diff(request: HtmxHttpRequest, policy_id: str) -> HttpResponse:
    """Two versions of one policy compared, side by side or unified (difflib)."""
    actor = principal_of(request)
    try:
        policy = get_policy(actor=actor, arn=policy_by_id(actor, policy_id).arn)
    except IamError as exc:
        return render_error(request, exc, back=BACK)
    form = VersionDiffForm(request.GET)
    context: dict[str, object] = {"policy": policy, "diff_form": form}
    status = 200
    if form.is_valid():
        a_id, b_id = form.cleaned_data["a"], form.cleaned_data["b"]
        mode = form.cleaned_data["mode"] or "side"
        try:
            va = get_policy_version(actor=actor, arn=policy.arn, version_id=a_id)
            vb = get_policy_version(actor=actor, arn=policy.arn, version_id=b_id)
        except IamError as exc:
            context["diff_error"] = exc
            status = exc.status
        else:
            a_lines = pretty(va.document).splitlines()
            b_lines = pretty(vb.document).splitlines()
            context.update(
                {
                    "a": va,
                    "b": vb,
                    "mode": mode,
                    "identical": a_lines == b_lines,
                    "rows": side_by_side(a_lines, b_lines) if mode == "side" else None,
                    "unified": unified(a_lines, b_lines, a_id, b_id) if mode == "unified" else None,
                }
            )
    else:
        status = 400
    template = "policies/diff.html"
    if request.htmx:
        template += "#diff"
    return render(request, template, context, status=status)
