"""Relay the surveys outbox to Celery now (what beat does every minute)."""

from django.core.management.base import BaseCommand

from surveys.services.outbox import outbox_relay


class Command(BaseCommand):
    help = "Send due outbox messages to Celery; dead-letter a message after 5 failed attempts."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, **options):
        result = outbox_relay(batch_size=options["batch_size"])
        self.stdout.write(f"sent {result.sent}, will retry {result.retried}, dead-lettered {result.dead_lettered}")
