"""Delete pupil data past its retention period now (what beat does nightly)."""

from django.core.management.base import BaseCommand

from surveys.services.retention import pupil_data_purge

LABELS = {
    "responses": "responses deleted",
    "answers": "answers deleted",
    "page_saves": "page saves deleted",
    "unlinked_responses": "responses unlinked from their participant",
    "participants": "participants (linkage codes) deleted",
    "talk_requests": "'talk to someone' requests deleted",
    "outbox_dead_lettered": "dead-lettered outbox messages deleted",
    "access_counters": "expired counters of failed code attempts deleted",
}


class Command(BaseCommand):
    help = "Delete responses, linkage codes, talk requests and outbox messages past their retention period."

    def handle(self, *args, **options):
        result = pupil_data_purge()
        for name, count in result.as_dict().items():
            self.stdout.write(f"{count} {LABELS[name]}")
