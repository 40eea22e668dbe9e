"""The lists' Preferences form (AWS's gear dialog): which optional columns show, and
the page size, per signed-in console identity (stored by ``accounts.preferences``).

The four main lists (users, groups, roles, policies) read theirs with ``preferences``
and render only the chosen columns (the name column always shows); the Preferences
form (``templates/partials/list_preferences.html``) POSTs here and comes back to the
list. Saving one's own preferences touches no IAM data, so no IAM action authorizes
it (AWS keeps them in the browser) and nothing is audited; any signed-in identity
sets its own, never another's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.preferences import (
    LISTS,
    PREFERENCE_PAGE_SIZES,
    ListSpec,
    Preferences,
    load_preferences,
    save_preferences,
)
from iamconsole.console import console_login_required


def preferences(request: HttpRequest, list_name: str) -> Preferences:
    """The signed-in identity's preferences for ``list_name`` (one query), or the defaults."""
    return load_preferences(request.user.pk, list_name)


class PreferencesForm(forms.Form):
    columns = forms.MultipleChoiceField(required=False, label="Select visible columns")
    page_size = forms.TypedChoiceField(
        label="Page size", choices=[(n, str(n)) for n in PREFERENCE_PAGE_SIZES], coerce=int
    )
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, spec: ListSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [(c.key, c.label) for c in spec.columns]


def back_to_list(request: HttpRequest, spec: ListSpec, next_url: str) -> str:
    """Where the form comes back to: the list's own page with the filters of ``next``
    (its page number and size dropped, the new size applies from page 1); anything
    else (another site, another page) is the list's page as it opens."""
    list_url = reverse(spec.url_name)
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return list_url
    parts = urlsplit(next_url)
    if parts.path != list_url:
        return list_url
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in {"page", "size", "marker"}]
    return f"{list_url}?{urlencode(kept)}" if kept else list_url


@console_login_required
@require_POST
def list_preferences(request: HttpRequest, list_name: str) -> HttpResponse:
    """Save the Preferences of one list for the signed-in identity, then back to the list."""
    spec = LISTS.get(list_name)
    if spec is None:
        raise Http404("No such list.")
    form = PreferencesForm(request.POST, spec=spec)
    if not form.is_valid():
        prefs = preferences(request, list_name)
        return render(
            request,
            "accounts/preferences/invalid.html",
            {"form": form, "prefs": prefs, "back": reverse(spec.url_name)},
            status=400,
        )
    save_preferences(
        request.user.pk,
        list_name,
        columns=form.cleaned_data["columns"],
        page_size=form.cleaned_data["page_size"],
    )
    return redirect(back_to_list(request, spec, form.cleaned_data["next"]))


urlpatterns = [
    path("preferences/<str:list_name>/", list_preferences, name="list-preferences"),
]
