from django.urls import path

from policies import views
from policies.views import catalog as catalog_views

app_name = "policies"

# Policies are addressed by their id (ANPA…): ARNs hold slashes and paths.
urlpatterns = [
    path("", views.policy_list, name="policy-list"),
    path("create/", views.policy_create, name="policy-create"),
    path("delete/", views.policy_bulk_delete, name="policy-bulk-delete"),  # ids are ANPA…
    path("validate/", views.policy_validate, name="policy-validate"),
    path("simulator/", views.simulator, name="simulator"),
    path("simulator/actions/", views.simulator_actions, name="simulator-actions"),
    path("catalog/services/", catalog_views.catalog_services, name="catalog-services"),
    path("catalog/services/<str:prefix>/", catalog_views.catalog_service, name="catalog-service"),
    path("<str:policy_id>/", views.policy_detail, name="policy-detail"),
    path("<str:policy_id>/delete/", views.policy_delete, name="policy-delete"),
    path("<str:policy_id>/tags/", views.policy_tag, name="policy-tag"),
    path("<str:policy_id>/tags/remove/", views.policy_untag, name="policy-untag"),
    path("<str:policy_id>/versions/create/", views.version_create, name="version-create"),
    path("<str:policy_id>/versions/diff/", views.version_diff, name="version-diff"),
    path(
        "<str:policy_id>/versions/<str:version_id>/default/",
        views.version_set_default,
        name="version-set-default",
    ),
    path(
        "<str:policy_id>/versions/<str:version_id>/delete/",
        views.version_delete,
        name="version-delete",
    ),
]
