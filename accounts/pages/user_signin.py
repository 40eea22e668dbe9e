"""Console pages: user_signin (being built)."""

urlpatterns: list = []
