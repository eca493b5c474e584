"""Outbox rows now live only until their work is done (the consumer deletes them), and a
dead-lettered row keeps only the day it failed: no exact time stays beside a response or
a talk request. Rows already processed are deleted; dead letters keep their day."""

# Destructive operations acknowledged: created_at, failed_at and processed_at were exact times kept beside pupil work (docs/decisions.md#8); processed rows are deleted on purpose and failed_at is copied to failed_on first. Code from before this migration writes these columns, so stop the outbox relay and the workers while it runs.

import datetime as dt

import django.utils.timezone
from django.db import migrations, models


def keep_days_only(apps, schema_editor):
    OutboxMessage = apps.get_model("surveys", "OutboxMessage")
    OutboxMessage.objects.filter(processed_at__isnull=False).delete()
    for message in OutboxMessage.objects.filter(failed_at__isnull=False):
        day = django.utils.timezone.localdate(message.failed_at)
        message.failed_on = day
        message.available_at = django.utils.timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        message.save(update_fields=["failed_on", "available_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_response_over_quota"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="failed_on",
            field=models.DateField(blank=True, help_text="Dead-lettered after 5 attempts, on this day.", null=True),
        ),
        migrations.RunPython(keep_days_only, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="outboxmessage",
            name="outbox_pending_idx",
        ),
        migrations.RemoveField(
            model_name="outboxmessage",
            name="created_at",
        ),
        migrations.RemoveField(
            model_name="outboxmessage",
            name="failed_at",
        ),
        migrations.RemoveField(
            model_name="outboxmessage",
            name="processed_at",
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0, help_text="Times handed to a consumer."),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="available_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When it may next be handed to a consumer (exact only while pending).",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("failed_on__isnull", True)), fields=["available_at"], name="outbox_due_idx"
            ),
        ),
    ]
