from django.urls import path

from iamconsole import views

app_name = "iamconsole"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
