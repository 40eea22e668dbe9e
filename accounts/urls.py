from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signin/", views.signin, name="signin"),
    path("signin/password/", views.signin_password, name="signin-password"),
    path("signin/mfa/", views.signin_mfa, name="signin-mfa"),
    path("signin/mfa/enroll/", views.signin_mfa_enroll, name="signin-mfa-enroll"),
    path("signout/", views.signout, name="signout"),
]
