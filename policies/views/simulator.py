"""The policy simulator page: pick an entity (or paste policies), actions, resources, context."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.errors import AccessDenied, IamError
from accounts.operations.groups import list_groups
from accounts.operations.roles import list_roles
from accounts.operations.users import list_users
from iamconsole.console import console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest
from policies.forms import SimulatorForm, action_choices
from policies.simulation import simulate_custom_policy, simulate_principal_policy

EntityChoices = list[tuple[str, list[tuple[str, str]]]]


def _entities(request: HtmxHttpRequest) -> tuple[EntityChoices, IamError | None]:
    """The account's users, groups and roles, each list read through its operation.

    A list the caller may not read is left out; the first denial is reported.
    """
    actor = principal_of(request)
    out: EntityChoices = []
    denied: IamError | None = None
    for label, kind, op in (
        ("Users", "user", list_users),
        ("Groups", "group", list_groups),
        ("Roles", "role", list_roles),
    ):
        try:
            page = op(actor=actor, max_items=1000)
        except AccessDenied as exc:
            denied = denied or exc
            continue
        out.append((label, [(f"{kind}:{e.name}", e.name) for e in page.items]))
    return out, denied


@console_login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def simulator(request: HtmxHttpRequest) -> HttpResponse:
    """Policy simulator. POST runs a simulation (it changes nothing; POST carries CSRF
    and documents too long for a URL). ``load_actions`` only refreshes the action list
    (the no-JavaScript way to pick a service)."""
    entities, denied = _entities(request)
    status = 200
    simulation = None
    error: IamError | None = None
    if request.method == "POST":
        form = SimulatorForm(request.POST, entities=entities)
        if "load_actions" not in request.POST and form.is_valid():
            data = form.cleaned_data
            actor = principal_of(request)
            try:
                if data["source"] == "entity":
                    kind, _, name = data["entity"].partition(":")
                    simulation = simulate_principal_policy(
                        actor=actor,
                        kind=kind,
                        name=name,
                        actions=form.action_names(),
                        resources=data["resources"],
                        context=data["context"],
                    )
                else:
                    simulation = simulate_custom_policy(
                        actor=actor,
                        documents=form.documents(),
                        actions=form.action_names(),
                        resources=data["resources"],
                        context=data["context"],
                    )
            except IamError as exc:
                error, status = exc, exc.status
        elif "load_actions" not in request.POST:
            status = 400
    else:
        form = SimulatorForm(entities=entities)
        if denied is not None and not entities:
            # Nothing of the account is readable: the page itself is denied.
            error, status = denied, denied.status
    context: dict[str, Any] = {
        "form": form,
        "simulation": simulation,
        "error": error,
        "denied": denied,
        "action_options": form.fields["actions"].choices,
        "selected": request.POST.getlist("actions") if request.method == "POST" else [],
        "service": form.data.get("service", "") if form.is_bound else "",
    }
    template = "policies/simulator.html"
    if request.htmx:
        template += "#simulator"
    return render(request, template, context, status=status)


@console_login_required
@require_GET
def simulator_actions(request: HtmxHttpRequest) -> HttpResponse:
    """The action checkboxes of one service (the service select loads them in place)."""
    service = request.GET.get("service", "")
    return render(
        request,
        "policies/simulator.html#actions",
        {"action_options": action_choices(service), "service": service, "selected": []},
    )
