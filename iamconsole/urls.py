from django.urls import include, path

urlpatterns = [
    path("", include("iamconsole.console_urls")),
    path("", include("accounts.urls")),
    path("policies/", include("policies.urls")),
    path("access-analyzer/", include("analyzer.urls")),
    path("organizations/", include("organizations.urls")),
    path("", include("labs.urls")),
    # The built-in test identity provider's public endpoints (OIDC discovery, JWKS, SAML
    # metadata): accounts/testidp.py.
    path("testidp/", include("accounts.testidp")),
]
