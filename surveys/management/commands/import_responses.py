"""Import paper survey answers from a CSV file, all or nothing (see surveys.services.importing)."""

from django.core.management.base import BaseCommand, CommandError

from surveys.services.importing import ImportRefused, responses_import


class Command(BaseCommand):
    help = "Import paper survey answers from a CSV file. Nothing is written if any row is invalid."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file (UTF-8).")

    def handle(self, *args, **options):
        try:
            with open(options["file"], encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        try:
            result = responses_import(text=text)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"Nothing was imported: {len(refused.problems)} problem(s) in the file.") from None
        self.stdout.write(self.style.SUCCESS(result.summary))
