"""Counters of failed pupil code attempts, counted in one atomic statement (they were in
the database cache, whose read-then-write increment lets requests sent at once slip by)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0005_talkrequest_leads_notified"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessCounter",
            fields=[
                ("counter_key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("count", models.PositiveIntegerField(default=0)),
                ("expires_at", models.DateTimeField()),
            ],
            options={
                "indexes": [models.Index(fields=["expires_at"], name="accesscounter_expiry_idx")],
            },
        ),
    ]
