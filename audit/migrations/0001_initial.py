"""AuditEvent moves here from the policies app: state only, the table stays.

The table ``policies_auditevent`` (created by ``policies.0001_initial``) keeps its
name and rows; this migration only tells Django's state that the model now
belongs to ``audit``. ``policies.0002`` removes it from the policies state.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("policies", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("time", models.DateTimeField(db_index=True)),
                        ("event_name", models.CharField(max_length=64)),
                        ("event_source", models.CharField(default="iam.amazonaws.com", max_length=32)),
                        ("actor_arn", models.CharField(max_length=1200)),
                        ("actor_account", models.CharField(blank=True, max_length=12)),
                        ("access_key_id", models.CharField(blank=True, max_length=32)),
                        ("resource_arn", models.CharField(blank=True, max_length=1200)),
                        ("allowed", models.BooleanField(default=True)),
                        ("error_code", models.CharField(blank=True, max_length=64)),
                        ("error_message", models.TextField(blank=True)),
                        ("source_ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=512)),
                        ("via", models.CharField(default="console", max_length=16)),
                        ("request", models.JSONField(blank=True, default=dict)),
                        (
                            "account",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="accounts.account",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "policies_auditevent",
                        "ordering": ["-time", "-id"],
                        "indexes": [models.Index(fields=["account", "-time"], name="event_account_time")],
                    },
                ),
            ],
        ),
    ]
