"""Console pages: Identity providers (AWS console: IAM > Identity providers).

The list (OpenID Connect and SAML providers together), "Add provider" (OpenID Connect:
provider URL and audience; SAML: name and metadata document), and each provider's page:
for OIDC its audiences (client ids, add and remove) and thumbprints; for SAML its
metadata (download, replace) and validity; tags, delete, and "Assign role", which opens
the create-role wizard with the provider's trust chosen (roles_wizard.py).

Every read and write is one operation of accounts/operations/providers.py (or one batch
of them) as the signed-in principal: the operations authorize and audit.

URLs: an OIDC provider is addressed by its URL without the scheme, the resource part of
its ARN (``/identity-providers/oidc/token.actions.githubusercontent.com/``), a SAML
provider by its name. The OIDC part may hold slashes, so its actions come after it
(``…/<url>/audiences/add/``) and the detail route is the last one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import AccessDenied, IamError, InvalidInput, ValidationError
from accounts.models import OpenIdConnectProvider, SamlProvider
from accounts.operations.providers import (
    COULD_NOT_PARSE,
    THUMBPRINTS_PER_PROVIDER,
    add_client_id_to_open_id_connect_provider,
    create_open_id_connect_provider,
    create_saml_provider,
    delete_open_id_connect_provider,
    delete_saml_provider,
    get_open_id_connect_provider,
    get_saml_provider,
    list_open_id_connect_providers,
    list_saml_providers,
    oidc_provider_arn,
    parse_saml_metadata,
    remove_client_id_from_open_id_connect_provider,
    tag_open_id_connect_provider,
    tag_saml_provider,
    untag_open_id_connect_provider,
    untag_saml_provider,
    update_open_id_connect_provider_thumbprint,
    update_saml_provider,
)
from accounts.pages.entity import tags_from_post
from iamconsole.console import console_login_required, principal_of, require_create_permission
from iamconsole.ops import run_batch
from iamconsole.pages import HtmxHttpRequest, Section, is_htmx, render_error, section

PROVIDER_TYPES = [("saml", "SAML"), ("oidc", "OpenID Connect")]
# CreateSAMLProvider's SAMLMetadataDocument: 1,000 to 10,000,000 characters (IAM API
# reference); a larger upload is refused before it is read whole.
METADATA_MAX = 10_000_000
# A thumbprint is the hex SHA-1 of the IdP's certificate: 40 characters (IAM API
# reference, UpdateOpenIDConnectProviderThumbprint: ThumbprintList members of length 40).
THUMBPRINT_RE = re.compile(r"^[0-9A-Fa-f]{40}$")
BLANK_TAG_ROWS = 2


def _list_url() -> str:
    return reverse("accounts:provider-list")


def _back() -> tuple[str, str]:
    return (_list_url(), "Identity providers")


def oidc_page_url(provider: OpenIdConnectProvider) -> str:
    return reverse("accounts:oidc-provider-detail", args=[provider.host_path])


def saml_page_url(provider: SamlProvider) -> str:
    return reverse("accounts:saml-provider-detail", args=[provider.name])


def assign_role_url(kind: str, arn: str) -> str:
    """The create-role wizard with this provider's trust chosen ("Assign role")."""
    if kind == "oidc":
        query = {"entity_type": "web_identity", "web_provider": arn}
    else:
        query = {"entity_type": "saml", "saml_provider": arn}
    return f"{reverse('accounts:role-create')}?{urlencode(query)}"


# -- list ------------------------------------------------------------------------------------


@console_login_required
@require_GET
@vary_on_headers("HX-Request")
def provider_list(request: HtmxHttpRequest) -> HttpResponse:
    """Identity providers: both kinds in one table (ListOpenIDConnectProviders and
    ListSAMLProviders), filtered by name in place. A kind the caller may not list shows
    AWS's message; refused both, the page is AWS's AccessDenied with its 403."""
    actor = principal_of(request)
    q = request.GET.get("q", "")[:128].strip()
    oidc = section(lambda: list_open_id_connect_providers(actor=actor))
    saml = section(lambda: list_saml_providers(actor=actor))
    if oidc.error is not None and saml.error is not None:
        return render_error(request, oidc.error, back=("/", "Dashboard"))
    rows = [
        {
            "name": p.host_path,
            "type": "OpenID Connect",
            "created": p.created,
            "url": oidc_page_url(p),
        }
        for p in oidc.value or []
    ] + [
        {"name": p.name, "type": "SAML", "created": p.created, "url": saml_page_url(p)}
        for p in saml.value or []
    ]
    if q:
        rows = [r for r in rows if q.lower() in r["name"].lower()]
    rows.sort(key=lambda r: r["name"].lower())
    template = "accounts/providers/list.html"
    if request.htmx and request.htmx.target == "provider-table":
        template += "#table"
    context = {"rows": rows, "q": q, "errors": [s.error for s in (oidc, saml) if s.error]}
    return render(request, template, context)


# -- add provider ----------------------------------------------------------------------------


class ProviderForm(forms.Form):
    """Add provider. Lengths beyond IAM's are left to the operations, which answer them
    with AWS's own messages; these bounds only keep the input sane."""

    provider_type = forms.ChoiceField(choices=PROVIDER_TYPES, label="Provider type")
    url = forms.CharField(required=False, max_length=255, label="Provider URL")
    audience = forms.CharField(required=False, max_length=255, label="Audience")
    name = forms.CharField(required=False, max_length=200, label="Provider name")
    metadata = forms.FileField(required=False, label="Metadata document")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("provider_type") == "oidc":
            if not data.get("url"):
                self.add_error("url", "Enter the provider URL (it begins with https://).")
            if not data.get("audience"):
                self.add_error("audience", "Enter an audience (the client ID of your app).")
        elif data.get("provider_type") == "saml":
            if not data.get("name"):
                self.add_error("name", "Enter a provider name.")
            if not data.get("metadata"):
                self.add_error("metadata", "Choose the metadata document of your IdP.")
        return data


def read_metadata(upload: Any) -> str:
    """An uploaded metadata document as text: UTF-8 (a byte order mark is kept, for the
    operation to refuse as AWS does), at most METADATA_MAX characters."""
    if upload.size is not None and upload.size > METADATA_MAX * 4:
        raise InvalidInput(COULD_NOT_PARSE)
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(COULD_NOT_PARSE) from exc
    if len(text) > METADATA_MAX:
        raise InvalidInput(COULD_NOT_PARSE)
    return text


def _create_gate(request: HtmxHttpRequest) -> HttpResponse | None:
    """The add form opens to a caller who may create either kind (AWS's console opens it
    and refuses at submit; here a caller who could never add one is told first)."""
    try:
        require_create_permission(request, "iam:CreateOpenIDConnectProvider", "oidc-provider")
        return None
    except AccessDenied as first:
        try:
            require_create_permission(request, "iam:CreateSAMLProvider", "saml-provider")
            return None
        except AccessDenied:
            return render_error(request, first, back=_back())


def _create(request: HtmxHttpRequest, data: dict[str, Any], tags: list[dict[str, str]]) -> str:
    """Create the provider; its page's URL."""
    actor = principal_of(request)
    if data["provider_type"] == "oidc":
        provider = create_open_id_connect_provider(
            actor=actor, url=data["url"], client_ids=[data["audience"]], tags=tags
        )
        messages.success(request, f"Provider {provider.host_path} added.")
        return oidc_page_url(provider)
    saml = create_saml_provider(
        actor=actor, name=data["name"], metadata=read_metadata(data["metadata"]), tags=tags
    )
    messages.success(request, f"Provider {saml.name} added.")
    return saml_page_url(saml)


@console_login_required
@require_http_methods(["GET", "POST"])
def provider_create(request: HtmxHttpRequest) -> HttpResponse:
    """Add provider → CreateOpenIDConnectProvider or CreateSAMLProvider. Each IAM error
    shows by its field with AWS's message (AccessDenied above the form, with its 403)."""
    gate = _create_gate(request)
    if gate is not None:
        return gate
    error: IamError | None = None
    status = 200
    tags: list[dict[str, str]] = []
    if request.method == "POST":
        form = ProviderForm(request.POST, request.FILES)
        tags = tags_from_post(request.POST)
        if form.is_valid():
            try:
                return redirect(_create(request, form.cleaned_data, tags))
            except IamError as exc:
                status = exc.status
                if exc.code == "AccessDenied":
                    error = exc
                else:
                    _form_error(form, form.cleaned_data["provider_type"], exc)
        else:
            status = 400
    else:
        form = ProviderForm(initial={"provider_type": request.GET.get("type", "saml")})
    context = {
        "form": form,
        "error": error,
        "types": PROVIDER_TYPES,
        "chosen": form["provider_type"].value() or "saml",
        "tag_rows": tags + [{"Key": "", "Value": ""}] * BLANK_TAG_ROWS,
    }
    return render(request, "accounts/providers/create.html", context, status=status)


def _form_error(form: ProviderForm, kind: str, exc: IamError) -> None:
    """Put an operation's message by the field it is about; tag errors above the form."""
    message = exc.message
    if "tag" in message.lower():
        form.add_error(None, message)
    elif kind == "oidc":
        form.add_error("audience" if "ClientId" in message else "url", message)
    else:
        form.add_error(
            "name" if "'name'" in message or "with name" in message else "metadata", message
        )


# -- a provider's page -------------------------------------------------------------------------


def _oidc(request: HtmxHttpRequest, url: str) -> tuple[OpenIdConnectProvider | None, Any]:
    actor = principal_of(request)
    try:
        arn = oidc_provider_arn(actor.account_id, url)
        return get_open_id_connect_provider(actor=actor, arn=arn), None
    except IamError as exc:
        return None, render_error(request, exc, back=_back())


def _saml(request: HtmxHttpRequest, name: str) -> tuple[SamlProvider | None, Any]:
    actor = principal_of(request)
    try:
        arn = f"arn:aws:iam::{actor.account_id}:saml-provider/{name}"
        return get_saml_provider(actor=actor, arn=arn), None
    except IamError as exc:
        return None, render_error(request, exc, back=_back())


def _metadata_facts(provider: SamlProvider) -> dict[str, Any]:
    """What the metadata says (entity id, signing certificates' expiry), when it parses."""
    try:
        parsed = parse_saml_metadata(provider.metadata)
    except IamError:
        return {"entity_id": "", "certificates": []}
    return {
        "entity_id": parsed.entity_id,
        "certificates": [c.not_valid_after_utc for c in parsed.certificates],
    }


def render_provider(
    request: HtmxHttpRequest,
    kind: str,
    key: str,
    *,
    fragment: str | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """A provider's page, or for htmx one of its sections (``fragment``), with a section's
    error shown in place and answered with its status."""
    if kind == "oidc":
        provider, failed = _oidc(request, key)
    else:
        provider, failed = _saml(request, key)
    if failed is not None:
        return failed
    assert provider is not None
    context: dict[str, Any] = {
        "provider": provider,
        "kind": kind,
        "name": provider.host_path if kind == "oidc" else provider.name,
        "assign_url": assign_role_url(kind, provider.arn),
        "tags": Section(value=provider.tags),
        "tags_url": reverse(f"accounts:{kind}-provider-tags", args=[key]),
        "delete_url": reverse(f"accounts:{kind}-provider-delete", args=[key]),
        "thumbprints_text": "\n".join(getattr(provider, "thumbprints", [])),
        "thumbprint_limit": THUMBPRINTS_PER_PROVIDER,
    }
    if kind == "saml":
        context.update(_metadata_facts(provider))
    context.update(extra or {})
    for name in ("error", "audience_error", "thumbprint_error", "metadata_error"):
        if context.get(name) is not None and status == 200:
            status = context[name].status
    template = f"accounts/providers/{kind}_detail.html"
    if is_htmx(request) and fragment:
        template += "#" + fragment
    return render(request, template, context, status=status)


@console_login_required
@require_GET
def oidc_provider_detail(request: HtmxHttpRequest, oidc_url: str) -> HttpResponse:
    """An OpenID Connect provider: summary, audiences, thumbprints, tags."""
    return render_provider(request, "oidc", oidc_url)


@console_login_required
@require_GET
def saml_provider_detail(request: HtmxHttpRequest, saml_name: str) -> HttpResponse:
    """A SAML provider: summary with validity, metadata, tags."""
    return render_provider(request, "saml", saml_name)


def _section_answer(
    request: HtmxHttpRequest,
    kind: str,
    key: str,
    fragment: str,
    *,
    error: IamError | None,
    error_key: str,
    notice: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """After a change: for htmx (and errors) the section again, with the error in place
    and its status; else back to the page with ``notice``."""
    if error is None and not is_htmx(request):
        messages.success(request, notice)
        return redirect(reverse(f"accounts:{kind}-provider-detail", args=[key]))
    context = {error_key: error, f"{fragment}_notice": "" if error else notice, **(extra or {})}
    return render_provider(request, kind, key, fragment=fragment, extra=context)


def _call(request: HtmxHttpRequest, op: Callable[..., Any], **kwargs: Any) -> IamError | None:
    try:
        op(actor=principal_of(request), **kwargs)
    except IamError as exc:
        return exc
    return None


# -- OIDC: audiences and thumbprints ---------------------------------------------------------------


def _arn(request: HtmxHttpRequest, oidc_url: str) -> str:
    return oidc_provider_arn(principal_of(request).account_id, oidc_url)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def oidc_add_audience(request: HtmxHttpRequest, oidc_url: str) -> HttpResponse:
    """Add audience → AddClientIDToOpenIDConnectProvider."""
    client_id = request.POST.get("client_id", "").strip()
    error: IamError | None
    if not 1 <= len(client_id) <= 255:
        # The ClientID constraint of the IAM API (length 1 to 255), in the Query API's words.
        error = ValidationError(
            f"1 validation error detected: Value '{client_id[:255]}' at 'clientID' failed to "
            "satisfy constraint: Member must have length between 1 and 255"
        )
    else:
        error = _call(
            request,
            add_client_id_to_open_id_connect_provider,
            arn=_arn(request, oidc_url),
            client_id=client_id,
        )
    return _section_answer(
        request,
        "oidc",
        oidc_url,
        "audiences",
        error=error,
        error_key="audience_error",
        notice=f"Audience {client_id} added.",
        extra={"client_id_draft": client_id} if error else None,
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def oidc_remove_audience(request: HtmxHttpRequest, oidc_url: str) -> HttpResponse:
    """Remove audience → RemoveClientIDFromOpenIDConnectProvider."""
    client_id = request.POST.get("client_id", "")
    error = _call(
        request,
        remove_client_id_from_open_id_connect_provider,
        arn=_arn(request, oidc_url),
        client_id=client_id,
    )
    return _section_answer(
        request,
        "oidc",
        oidc_url,
        "audiences",
        error=error,
        error_key="audience_error",
        notice=f"Audience {client_id} removed.",
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def oidc_thumbprints(request: HtmxHttpRequest, oidc_url: str) -> HttpResponse:
    """Edit thumbprints (one a line) → UpdateOpenIDConnectProviderThumbprint."""
    text = request.POST.get("thumbprints", "")[:4000]
    values = [line.strip() for line in text.splitlines() if line.strip()]
    bad = [v for v in values if not THUMBPRINT_RE.match(v)]
    error: IamError | None
    if bad:
        error = ValidationError(
            f"Thumbprint {bad[0][:60]} is not valid: a thumbprint is the 40-character "
            "hexadecimal SHA-1 fingerprint of the IdP's server certificate."
        )
    else:
        error = _call(
            request,
            update_open_id_connect_provider_thumbprint,
            arn=_arn(request, oidc_url),
            thumbprints=values,
        )
    return _section_answer(
        request,
        "oidc",
        oidc_url,
        "thumbprints",
        error=error,
        error_key="thumbprint_error",
        notice="Thumbprints saved.",
        extra={"thumbprints_text": text} if error else None,
    )


# -- SAML: metadata ------------------------------------------------------------------------------


@console_login_required
@require_GET
def saml_metadata_download(request: HtmxHttpRequest, saml_name: str) -> HttpResponse:
    """Download metadata: the document as registered (GetSAMLProvider)."""
    provider, failed = _saml(request, saml_name)
    if failed is not None:
        return failed
    assert provider is not None
    response = HttpResponse(provider.metadata, content_type="application/samlmetadata+xml")
    response["Content-Disposition"] = f'attachment; filename="{provider.name}-metadata.xml"'
    return response


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def saml_metadata_replace(request: HtmxHttpRequest, saml_name: str) -> HttpResponse:
    """Replace metadata → UpdateSAMLProvider (a rotated signing certificate)."""
    upload = request.FILES.get("metadata")
    error: IamError | None
    if upload is None:
        error = ValidationError("Choose the new metadata document of your IdP.")
    else:
        try:
            document = read_metadata(upload)
        except IamError as exc:
            error = exc
        else:
            arn = f"arn:aws:iam::{principal_of(request).account_id}:saml-provider/{saml_name}"
            error = _call(request, update_saml_provider, arn=arn, metadata=document)
    return _section_answer(
        request,
        "saml",
        saml_name,
        "metadata",
        error=error,
        error_key="metadata_error",
        notice="Metadata document replaced.",
    )


# -- tags (both kinds) ---------------------------------------------------------------------------

TAG_OPS = {
    "oidc": (tag_open_id_connect_provider, untag_open_id_connect_provider),
    "saml": (tag_saml_provider, untag_saml_provider),
}


def _provider_tags(request: HtmxHttpRequest, kind: str, key: str) -> HttpResponse:
    """Save the tag rows (or drop the row of ``remove``): Untag… for the keys removed,
    Tag… for those added or changed, both or neither (as the user and role tags)."""
    provider, failed = (_oidc if kind == "oidc" else _saml)(request, key)
    if failed is not None:
        return failed
    assert provider is not None
    tag, untag = TAG_OPS[kind]
    wanted = tags_from_post(request.POST)
    remove_key = request.POST.get("remove")
    if remove_key is not None:
        wanted = [t for t in provider.tags if t["Key"] != remove_key]
    keys = [t["Key"].lower() for t in wanted]
    error: IamError | None = None
    if len(keys) != len(set(keys)):
        error = ValidationError("Duplicate tag keys found. Tag keys are case insensitive.")
    else:
        current = {t["Key"]: t["Value"] for t in provider.tags}
        wanted_map = {t["Key"]: t["Value"] for t in wanted}
        removed = [k for k in current if k not in wanted_map]
        changed = [t for t in wanted if current.get(t["Key"]) != t["Value"]]
        steps: list[tuple[Callable[..., Any], dict[str, Any]]] = []
        if removed:
            steps.append((untag, {"arn": provider.arn, "tag_keys": removed}))
        if changed:
            steps.append((tag, {"arn": provider.arn, "tags": changed}))
        try:
            run_batch(principal_of(request), steps)
        except IamError as exc:
            error = exc
    return _section_answer(
        request,
        kind,
        key,
        "tags",
        error=error,
        error_key="error",
        notice="Tags saved.",
        extra={"draft": wanted} if error else None,
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def oidc_provider_tags(request: HtmxHttpRequest, oidc_url: str) -> HttpResponse:
    return _provider_tags(request, "oidc", oidc_url)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def saml_provider_tags(request: HtmxHttpRequest, saml_name: str) -> HttpResponse:
    return _provider_tags(request, "saml", saml_name)


# -- delete --------------------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    confirm = forms.CharField(max_length=300)

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected:
            raise forms.ValidationError(f"Enter {self.expected} exactly to confirm.")
        return value


def _delete(request: HtmxHttpRequest, kind: str, key: str) -> HttpResponse:
    """Delete: type the provider's name to confirm. Roles that trust it keep their trust
    policy (as in AWS); their federated sessions fail from then on."""
    provider, failed = (_oidc if kind == "oidc" else _saml)(request, key)
    if failed is not None:
        return failed
    assert provider is not None
    name = provider.host_path if kind == "oidc" else provider.name
    form = ConfirmForm(request.POST or None, expected=name)
    error: IamError | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            op = delete_open_id_connect_provider if kind == "oidc" else delete_saml_provider
            error = _call(request, op, arn=provider.arn)
            if error is None:
                messages.success(request, f"Provider {name} deleted.")
                if request.htmx:
                    return HttpResponseClientRedirect(_list_url())
                return redirect(_list_url())
            status = error.status
        else:
            status = 400
    detail = reverse(f"accounts:{kind}-provider-detail", args=[key])
    context = {
        "provider": provider,
        "name": name,
        "kind": kind,
        "form": form,
        "error": error,
        "detail_url": detail,
        "delete_url": reverse(f"accounts:{kind}-provider-delete", args=[key]),
    }
    template = "accounts/providers/delete.html"
    if request.htmx:
        template += "#confirm"
    return render(request, template, context, status=status)


@console_login_required
@require_http_methods(["GET", "POST"])
def oidc_provider_delete(request: HtmxHttpRequest, oidc_url: str) -> HttpResponse:
    """Delete → DeleteOpenIDConnectProvider."""
    return _delete(request, "oidc", oidc_url)


@console_login_required
@require_http_methods(["GET", "POST"])
def saml_provider_delete(request: HtmxHttpRequest, saml_name: str) -> HttpResponse:
    """Delete → DeleteSAMLProvider."""
    return _delete(request, "saml", saml_name)


def _oidc_path(suffix: str, view: Any, name: str) -> Any:
    return path(f"identity-providers/oidc/<path:oidc_url>/{suffix}", view, name=name)


def _saml_path(suffix: str, view: Any, name: str) -> Any:
    return path(f"identity-providers/saml/<str:saml_name>/{suffix}", view, name=name)


urlpatterns = [
    path("identity-providers/", provider_list, name="provider-list"),
    path("identity-providers/create/", provider_create, name="provider-create"),
    _saml_path("", saml_provider_detail, "saml-provider-detail"),
    _saml_path("metadata.xml", saml_metadata_download, "saml-provider-metadata"),
    _saml_path("metadata/", saml_metadata_replace, "saml-provider-update"),
    _saml_path("tags/", saml_provider_tags, "saml-provider-tags"),
    _saml_path("delete/", saml_provider_delete, "saml-provider-delete"),
    _oidc_path("audiences/add/", oidc_add_audience, "oidc-provider-add-audience"),
    _oidc_path("audiences/remove/", oidc_remove_audience, "oidc-provider-remove-audience"),
    _oidc_path("thumbprints/", oidc_thumbprints, "oidc-provider-thumbprints"),
    _oidc_path("tags/", oidc_provider_tags, "oidc-provider-tags"),
    _oidc_path("delete/", oidc_provider_delete, "oidc-provider-delete"),
    # Last: the provider URL may hold slashes, so it takes whatever the routes above leave.
    _oidc_path("", oidc_provider_detail, "oidc-provider-detail"),
]
