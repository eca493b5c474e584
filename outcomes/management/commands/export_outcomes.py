"""``manage.py export_outcomes``: the published outcome table as CSV (exports.COLUMNS)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from outcomes import exports, selectors
from outcomes.filters import BREAKDOWNS, SCOPES, FilterError, OutcomeFilter
from outcomes.models import Compare


class Command(BaseCommand):
    help = (
        "Write privacy-safe outcome figures as CSV (UTF-8, one header line, no comment lines): one row per "
        "scope (region, local authority, school, class) and scale, small numbers suppressed. "
        f"{selectors.CAVEAT} Every row says so in its last column, 'caveat'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programme", metavar="SLUG", help="Only this programme (its page slug).")
        parser.add_argument(
            "--academic-year", metavar="YEAR", help="The year the school year starts, e.g. 2026 for 2026/27."
        )
        parser.add_argument("--local-authority", metavar="SLUG", help="This local authority, its schools and classes.")
        parser.add_argument("--school", metavar="URN", help="This school (six-digit DfE URN) and its classes.")
        parser.add_argument("--year-group", metavar="N", help="Only classes in this year group.")
        parser.add_argument("--breakdown", choices=BREAKDOWNS, help="Add rows per pupil group.")
        parser.add_argument(
            "--compare", choices=Compare.values, default=Compare.POST, help="Baseline to post (default) or follow-up."
        )
        parser.add_argument(
            "--scope", metavar="LIST", help=f"Comma-separated scopes to include (default: {','.join(SCOPES)})."
        )
        parser.add_argument("--format", choices=["csv"], default="csv", help="Output format (csv).")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, **options):
        try:
            resolved = OutcomeFilter.parse(
                programme=options["programme"],
                academic_year=options["academic_year"],
                local_authority=options["local_authority"],
                school=options["school"],
                year_group=options["year_group"],
                breakdown=options["breakdown"],
                compare=options["compare"],
                scopes=options["scope"],
            ).resolve()
        except FilterError as error:
            raise CommandError(" ".join(error.messages)) from None
        table = selectors.outcome_table(resolved)
        if options["output"]:
            try:
                with open(options["output"], "w", encoding="utf-8", newline="") as stream:
                    written = exports.write_csv(table, stream)
            except OSError as error:
                raise CommandError(f"Could not write {options['output']}: {error.strerror}.") from None
            self.stderr.write(f"Wrote {written} rows to {options['output']}.")
        else:
            stream = self.stdout._out if hasattr(self.stdout, "_out") else sys.stdout
            exports.write_csv(table, stream)
