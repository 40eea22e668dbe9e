"""Console page: the built-in test identity provider (accounts/testidp.py), for practising
web identity and SAML federation offline.

On one page: the account's test issuers (create one by name; each one's issuer URL,
``<this server>/testidp/<name>``, its discovery document, JWKS and SAML metadata, and a
button to register it as an OIDC or SAML provider of the account), minting a web
identity token (sub, aud, extra claims, lifetime) or a SAML response (role, provider,
subject), each shown with a copy button, and "Try it": AssumeRoleWithWebIdentity or
AssumeRoleWithSAML with what was minted, showing the session it gave.

Who may use it: any signed-in console identity of the account. Minting grants nothing by
itself (the role's trust policy decides what a token is worth); registering a provider
and assuming a role are operations, which authorize (the federation calls are unsigned,
as in AWS: the token and the trust policy decide).

The issuers a console page shows and mints for are the account's own: their names begin
with the account id (``111122223333-lab``). Issuers are installation-wide (the model has no
owner), so without this a user of one account could mint tokens from another account's
issuer, with any ``sub`` and ``aud``, and assume that account's web identity roles.
Issuers made from the command line (``manage.py issue_web_identity_token``) are not shown.

Tokens, assertions and the session's secret are shown in the one response that made them
(``Cache-Control: no-store``) and never logged.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import testidp
from accounts.errors import IamError, ValidationError
from accounts.models import BuiltinIdpIssuer
from accounts.operations.federation import assume_role_with_saml, assume_role_with_web_identity
from accounts.operations.providers import (
    create_open_id_connect_provider,
    create_saml_provider,
    list_open_id_connect_providers,
    list_saml_providers,
)
from accounts.operations.roles import list_roles
from accounts.principal import Principal
from iamconsole.console import console_login_required, principal_of
from iamconsole.pages import HtmxHttpRequest, is_htmx, section

DEFAULT_AUDIENCE = "sts.amazonaws.com"  # what aws-actions/configure-aws-credentials asks for
DEFAULT_SESSION = "testidp-session"
LIFETIME_RANGE = (-86400, 86400)  # seconds; a negative lifetime mints an expired token
CLAIMS_MAX = 4000  # characters of the extra claims' JSON
TOKEN_MAX = 20000  # characters of a pasted token
SAML_MAX = 100000  # characters of a pasted SAML response (base64)


def base_url(request: HtmxHttpRequest) -> str:
    """This server as the browser reaches it: the issuer URLs' base."""
    return request.build_absolute_uri("/").rstrip("/")


def issuer_prefix(actor: Principal) -> str:
    return f"{actor.account_id}-"


def account_issuers(actor: Principal) -> list[BuiltinIdpIssuer]:
    return list(BuiltinIdpIssuer.objects.filter(name__startswith=issuer_prefix(actor)))


def _own_issuer(actor: Principal, name: str) -> str:
    """``name`` if it is one of the account's test issuers, else a ValidationError."""
    if name not in {i.name for i in account_issuers(actor)}:
        raise ValidationError("Choose a test issuer of this account.")
    return name


def _decoded(token: str) -> dict[str, str]:
    """The token's header and claims, indented, for reading (the token is ours: it parses)."""
    parts = token.split(".")
    out = {}
    for key, part in (("header", parts[0]), ("claims", parts[1])):
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        out[key] = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    return out


# -- the page -----------------------------------------------------------------------------------


def _context(request: HtmxHttpRequest, data: QueryDict | None = None) -> dict[str, Any]:
    actor = principal_of(request)
    base = base_url(request)
    oidc = section(lambda: list_open_id_connect_providers(actor=actor))
    saml = section(lambda: list_saml_providers(actor=actor))
    oidc_by_url = {p.url: p for p in oidc.value or []}
    saml_by_name = {p.name: p for p in saml.value or []}
    issuers = []
    for issuer in account_issuers(actor):
        url = testidp.issuer_url(issuer.name, base)
        provider = oidc_by_url.get(url)
        issuers.append(
            {
                "name": issuer.name,
                "short": issuer.name[len(issuer_prefix(actor)) :],
                "url": url,
                "oidc": provider,
                "saml": saml_by_name.get(issuer.name),
                "audience": provider.client_ids[0]
                if provider and provider.client_ids
                else DEFAULT_AUDIENCE,
            }
        )
    roles = section(lambda: list(list_roles(actor=actor, max_items=1000).items))
    web_roles, saml_roles = [], []
    for role in roles.value or []:
        trust = role.trust_policy.lower()
        if "assumerolewithwebidentity" in trust:
            web_roles.append(role)
        if "assumerolewithsaml" in trust:
            saml_roles.append(role)
    w = data if data is not None else QueryDict()
    first = issuers[0] if issuers else None
    return {
        "issuers": issuers,
        "oidc_providers": oidc,
        "saml_providers": saml,
        "roles": roles,
        "web_roles": web_roles,
        "saml_roles": saml_roles,
        "w": w,
        "base": base,
        "prefix": issuer_prefix(actor),
        "default_issuer": w.get("issuer") or (first["name"] if first else ""),
        "default_audience": w.get("aud") or (first["audience"] if first else DEFAULT_AUDIENCE),
        "default_session": w.get("session_name") or DEFAULT_SESSION,
        "lifetime_range": LIFETIME_RANGE,
    }


def render_page(
    request: HtmxHttpRequest,
    *,
    data: QueryDict | None = None,
    fragment: str | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _context(request, data)
    context.update(extra or {})
    for key in ("error", "issuer_error", "mint_error", "try_error", "saml_error", "saml_try_error"):
        if context.get(key) is not None and status == 200:
            status = context[key].status
    template = "accounts/testidp/page.html"
    if fragment and is_htmx(request):
        template += "#" + fragment
        context["oob"] = True
    response = render(request, template, context, status=status)
    if any(context.get(k) for k in ("token", "saml_response", "session")):
        response["Cache-Control"] = "no-store"  # a token or a secret is in this answer
    return response


@console_login_required
@require_GET
def testidp_page(request: HtmxHttpRequest) -> HttpResponse:
    """The test identity provider: issuers, minting, Try it."""
    return render_page(request)


# -- issuers ------------------------------------------------------------------------------------


@console_login_required
@require_POST
def testidp_issuer_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create an issuer (its keys and certificate are made now)."""
    actor = principal_of(request)
    short = request.POST.get("name", "").strip()
    name = issuer_prefix(actor) + short
    if not short or not testidp.NAME_PATTERN.fullmatch(name):
        error = ValidationError(
            f"Invalid issuer name {short[:80]!r}: use letters, digits, '.', '_' or '-' "
            f"(at most {64 - len(issuer_prefix(actor))} characters)."
        )
        return render_page(request, data=request.POST, extra={"issuer_error": error})
    # The test IdP is a lab tool, not an IAM action (no actor, nothing audited: see
    # accounts/testidp.py): it makes the issuer, which is this account's by its name.
    testidp.get_issuer(name)
    messages.success(request, f"Test issuer {name} is ready.")
    return redirect("accounts:testidp")


@console_login_required
@require_POST
def testidp_register(request: HtmxHttpRequest) -> HttpResponse:
    """Register an issuer as an identity provider of the account: CreateOpenIDConnect
    Provider (its issuer URL, one audience) or CreateSAMLProvider (its metadata, named as
    the issuer). The operations authorize: AccessDenied shows with AWS's message."""
    actor = principal_of(request)
    kind = request.POST.get("kind", "oidc")
    try:
        name = _own_issuer(actor, request.POST.get("issuer", ""))
        base = base_url(request)
        if kind == "saml":
            provider = create_saml_provider(
                actor=actor, name=name, metadata=testidp.saml_metadata(name, base_url=base)
            )
            label = provider.arn
        else:
            audience = request.POST.get("audience", "").strip() or DEFAULT_AUDIENCE
            if len(audience) > 255:
                raise ValidationError("The audience is at most 255 characters.")
            oidc = create_open_id_connect_provider(
                actor=actor, url=testidp.issuer_url(name, base), client_ids=[audience]
            )
            label = oidc.arn
    except IamError as exc:
        return render_page(request, extra={"issuer_error": exc})
    messages.success(request, f"Identity provider {label} added.")
    return redirect("accounts:testidp")


# -- web identity tokens ------------------------------------------------------------------------


def _mint_token(actor: Principal, data: QueryDict, base: str) -> str:
    issuer = _own_issuer(actor, data.get("issuer", ""))
    sub = data.get("sub", "").strip()
    if not 1 <= len(sub) <= 255:
        raise ValidationError("Enter the subject (sub claim), 1 to 255 characters.")
    audiences = [a.strip() for a in data.get("aud", "").split(",") if a.strip()]
    if not audiences or any(len(a) > 255 for a in audiences):
        raise ValidationError(
            "Enter the audience (aud claim): one, or several separated by commas."
        )
    text = data.get("claims", "").strip()
    claims: dict[str, Any] = {}
    if text:
        if len(text) > CLAIMS_MAX:
            raise ValidationError(f"The extra claims are at most {CLAIMS_MAX} characters.")
        try:
            claims = json.loads(text)
        except ValueError:
            claims = None  # type: ignore[assignment]
        if not isinstance(claims, dict):
            raise ValidationError(
                'The extra claims must be a JSON object, such as {"email": "ana@example.com"}.'
            )
    try:
        lifetime = int(data.get("lifetime", "3600"))
    except ValueError:
        lifetime = LIFETIME_RANGE[1] + 1
    if not LIFETIME_RANGE[0] <= lifetime <= LIFETIME_RANGE[1]:
        raise ValidationError(
            f"The lifetime is a number of seconds from {LIFETIME_RANGE[0]} to {LIFETIME_RANGE[1]} "
            "(negative: an expired token)."
        )
    algorithm = data.get("algorithm", "RS256")
    if algorithm not in ("RS256", "ES256"):
        raise ValidationError("Choose RS256 or ES256.")
    return testidp.mint_web_identity_token(
        issuer,
        sub=sub,
        aud=audiences[0] if len(audiences) == 1 else audiences,
        claims=claims,
        lifetime=lifetime,
        base_url=base,
        algorithm=algorithm,
    )


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def testidp_mint_token(request: HtmxHttpRequest) -> HttpResponse:
    """Mint a web identity token (an OIDC ID token) from one of the account's issuers."""
    try:
        token = _mint_token(principal_of(request), request.POST, base_url(request))
    except IamError as exc:
        return render_page(request, data=request.POST, fragment="minted", extra={"mint_error": exc})
    extra = {"token": token, "decoded": _decoded(token), "try_token": token}
    return render_page(request, data=request.POST, fragment="minted", extra=extra)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def testidp_try(request: HtmxHttpRequest) -> HttpResponse:
    """Try it: AssumeRoleWithWebIdentity with the token, as an application would call it
    (unsigned: the token and the role's trust policy decide)."""
    data = request.POST
    token = data.get("token", "").strip()[:TOKEN_MAX]
    extra: dict[str, Any] = {"try_token": token}
    try:
        if not token:
            raise ValidationError("Mint a token first, or paste one.")
        result = assume_role_with_web_identity(
            actor=principal_of(request),
            role_arn=data.get("role_arn", "").strip(),
            session_name=data.get("session_name", "").strip() or DEFAULT_SESSION,
            web_identity_token=token,
        )
    except IamError as exc:
        extra["try_error"] = exc
    else:
        extra["session"] = {
            "new": result.new,
            "subject": result.subject,
            "audience": result.audience,
            "provider": result.provider,
        }
    return render_page(request, data=data, fragment="try_result", extra=extra)


# -- SAML ---------------------------------------------------------------------------------------


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def testidp_mint_saml(request: HtmxHttpRequest) -> HttpResponse:
    """Mint a signed SAML response: the Role attribute pairs the role and the provider."""
    data = request.POST
    try:
        issuer = _own_issuer(principal_of(request), data.get("issuer", ""))
        subject = data.get("subject", "").strip()
        role_arn = data.get("role_arn", "").strip()
        provider_arn = data.get("provider_arn", "").strip()
        if not 1 <= len(subject) <= 255:
            raise ValidationError("Enter the subject (the NameID), 1 to 255 characters.")
        if not role_arn.startswith("arn:") or not provider_arn.startswith("arn:"):
            raise ValidationError("Choose the role and the SAML provider (their ARNs).")
        response = testidp.mint_saml_response(
            issuer,
            role_arn=role_arn[:2048],
            provider_arn=provider_arn[:2048],
            subject=subject,
            base_url=base_url(request),
            session_name=data.get("saml_session_name", "").strip() or None,
        )
    except IamError as exc:
        return render_page(request, data=data, fragment="saml_minted", extra={"saml_error": exc})
    extra = {"saml_response": response, "try_saml": response}
    return render_page(request, data=data, fragment="saml_minted", extra=extra)


@console_login_required
@require_POST
@vary_on_headers("HX-Request")
def testidp_try_saml(request: HtmxHttpRequest) -> HttpResponse:
    """Try it: AssumeRoleWithSAML with the response (unsigned, as in AWS)."""
    data = request.POST
    assertion = data.get("saml_assertion", "").strip()[:SAML_MAX]
    extra: dict[str, Any] = {"try_saml": assertion}
    try:
        if not assertion:
            raise ValidationError("Mint a SAML response first, or paste one.")
        result = assume_role_with_saml(
            actor=principal_of(request),
            role_arn=data.get("role_arn", "").strip(),
            principal_arn=data.get("provider_arn", "").strip(),
            saml_assertion=assertion,
        )
    except IamError as exc:
        extra["saml_try_error"] = exc
    else:
        extra["session"] = {
            "new": result.new,
            "subject": result.subject,
            "audience": result.audience,
            "provider": data.get("provider_arn", "").strip(),
            "issuer": result.issuer,
        }
    return render_page(request, data=data, fragment="saml_try_result", extra=extra)


urlpatterns = [
    path("identity-providers/test-idp/", testidp_page, name="testidp"),
    path("identity-providers/test-idp/issuers/", testidp_issuer_create, name="testidp-issuer-create"),
    path("identity-providers/test-idp/register/", testidp_register, name="testidp-register"),
    path("identity-providers/test-idp/token/", testidp_mint_token, name="testidp-mint-token"),
    path("identity-providers/test-idp/try/", testidp_try, name="testidp-try"),
    path("identity-providers/test-idp/saml/", testidp_mint_saml, name="testidp-mint-saml"),
    path("identity-providers/test-idp/saml/try/", testidp_try_saml, name="testidp-try-saml"),
]  # fmt: skip
