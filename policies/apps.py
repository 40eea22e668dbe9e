from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PoliciesConfig(AppConfig):
    name = "policies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # deferred: catalog_sync imports models, which cannot load before ready()
        from policies.catalog_sync import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self)
