from django.apps import AppConfig


class AnalyzerConfig(AppConfig):
    name = "analyzer"
    default_auto_field = "django.db.models.BigAutoField"
