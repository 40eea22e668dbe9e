from django.apps import AppConfig


class IamConsoleConfig(AppConfig):
    name = "iamconsole"
    verbose_name = "IAM Console"
