from django.urls import path

from iamconsole import views

app_name = "iamconsole"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/alias/", views.dashboard_alias, name="dashboard-alias"),
    path("credential-report/", views.credential_report_download, name="credential-report"),
]
