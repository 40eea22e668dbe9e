"""Console pages: events (being built)."""

urlpatterns: list = []
