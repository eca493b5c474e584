"""Talk requests remember whether the school's leads were told, so one e-mail covers every
request not yet told. Requests made before this were each told already."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0004_outbox_rows_live_until_done"),
    ]

    operations = [
        migrations.AddField(
            model_name="talkrequest",
            name="leads_notified",
            field=models.BooleanField(default=True),
        ),
        migrations.AlterField(
            model_name="talkrequest",
            name="leads_notified",
            field=models.BooleanField(
                default=False,
                help_text="The school's leads have been e-mailed (one e-mail covers every untold request).",
            ),
        ),
    ]
