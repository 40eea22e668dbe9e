"""Console pages: roles (being built)."""

urlpatterns: list = []
