"""AuditEvent moved to the audit app: drop it from this app's state, keep the table.

``audit.0001_initial`` takes the model over with the same table
(``policies_auditevent``), so no row is lost and nothing is recreated.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
        ),
    ]
