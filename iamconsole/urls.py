from django.urls import include, path

urlpatterns = [
    path("", include("iamconsole.console_urls")),
    path("", include("accounts.urls")),
    path("policies/", include("policies.urls")),
    path("", include("labs.urls")),
]
