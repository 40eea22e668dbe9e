from organizations.pages.console import urlpatterns as pages

app_name = "organizations"

urlpatterns = list(pages)
