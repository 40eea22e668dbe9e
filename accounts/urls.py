from django.urls import path

from accounts import pages, views
from accounts.pages import providers, testidp

app_name = "accounts"

# Root sign-in steps live under /signin/root/…: IAM users' sign-in URL is
# /signin/<alias or account id>/ (one segment), so no alias can shadow a step.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup-confirm"),
    path("signin/", views.signin, name="signin"),
    path("signin/root/password/", views.signin_password, name="signin-password"),
    path("signin/root/mfa/", views.signin_mfa, name="signin-mfa"),
    path("signin/root/mfa/enroll/", views.signin_mfa_enroll, name="signin-mfa-enroll"),
    path("signout/", views.signout, name="signout"),
]

# The console pages (users, groups, roles, account settings, event history, and
# IAM users' sign-in) come after the root sign-in steps.
urlpatterns += pages.urlpatterns()

# Identity providers and the built-in test identity provider's page.
urlpatterns += providers.urlpatterns + testidp.urlpatterns
