"""Console pages for identities, one module per area, each with its own ``urlpatterns``.

accounts/urls.py joins them under the ``accounts`` namespace, so URL names stay
``accounts:user-detail``, ``accounts:group-add-member`` and so on.
"""

from django.urls import URLPattern, URLResolver

from accounts.pages import (
    account_settings,
    events,
    groups,
    list_preferences,
    password_reset,
    roles,
    root_credentials,
    search,
    switch_role,
    user_signin,
    users,
    users_credentials,
    users_wizard,
)


def urlpatterns() -> list[URLPattern | URLResolver]:
    return [
        *password_reset.urlpatterns,  # /signin/root/… before /signin/<account>/
        *user_signin.urlpatterns,
        *users_wizard.urlpatterns,  # /users/create/ before /users/<name>/
        *users_credentials.urlpatterns,
        *users.urlpatterns,
        *groups.urlpatterns,
        *roles.urlpatterns,
        *account_settings.urlpatterns,
        *events.urlpatterns,
        *switch_role.urlpatterns,
        *root_credentials.urlpatterns,
        *search.urlpatterns,
        *list_preferences.urlpatterns,
    ]
