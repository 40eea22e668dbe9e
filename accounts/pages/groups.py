"""Console pages: groups (being built)."""

urlpatterns: list = []
