"""PolicyAttachment.account: the attached entity's account, on the row.

Filled from each attachment's user, group or role, then required, with the index
(account, policy) that "this account's attachments of these policies" reads.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_accounts(apps, schema_editor):
    attachment = apps.get_model("policies", "PolicyAttachment")
    for kind, model in (("user", "IamUser"), ("group", "Group"), ("role", "Role")):
        owner = apps.get_model("accounts", model)
        attachment.objects.filter(**{f"{kind}__isnull": False}).update(
            account_id=Subquery(
                owner.objects.filter(pk=OuterRef(f"{kind}_id")).values("account_id")[:1]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("policies", "0002_auditevent_moves_to_audit"),
    ]

    operations = [
        migrations.AddField(
            model_name="policyattachment",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.account",
            ),
        ),
        migrations.RunPython(fill_accounts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="policyattachment",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.account",
            ),
        ),
        migrations.AddIndex(
            model_name="policyattachment",
            index=models.Index(fields=["account", "policy"], name="attach_account_policy"),
        ),
    ]
