"""Console pages: account_settings (being built)."""

urlpatterns: list = []
