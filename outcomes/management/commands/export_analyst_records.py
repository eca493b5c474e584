"""``manage.py export_analyst_records``: the analyst export (outcomes.analyst) from the
command line, for exports too large to prepare in a web request. The same ZIP as the admin
page (records.csv, metadata.csv, README.txt), the same k-anonymity check, and the same audit
entry, recorded under the analyst named with ``--user`` (who must hold the analyst role)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from outcomes import analyst
from outcomes.filters import FilterError
from outcomes.models import Compare


class Command(BaseCommand):
    help = (
        "Write pseudonymised record-level outcome data (one row per matched pupil, random identifiers, "
        "k-anonymity k >= 10) as a ZIP, for a VRU analyst, and record it in the audit log. "
        f"{analyst.CAVEAT}"
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, metavar="EMAIL", help="The analyst the export is for.")
        parser.add_argument("--output", required=True, metavar="FILE", help="Where to write the ZIP.")
        parser.add_argument("--programme", metavar="SLUG")
        parser.add_argument("--academic-year", metavar="YEAR", help="e.g. 2026 for 2026/27.")
        parser.add_argument("--local-authority", metavar="SLUG")
        parser.add_argument("--school", metavar="URN")
        parser.add_argument("--year-group", metavar="N")
        parser.add_argument("--compare", choices=Compare.values, default=Compare.POST)

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(email__iexact=options["user"], is_active=True).first()
        if user is None or not analyst.may_export(user):
            raise CommandError(f"{options['user']} is not an active VRU analyst: only analysts may export records.")
        try:
            resolved = analyst.parse_filters(
                {name: options[name] for name in ("programme", "local_authority", "school", "year_group", "compare")}
                | {"academic_year": options["academic_year"]}
            )
        except FilterError as error:
            raise CommandError(" ".join(error.messages)) from None
        made = analyst.build_export(resolved)
        if not made.rows:
            raise CommandError("No matched pupils qualify for these filters: nothing was written.")
        try:
            with open(options["output"], "wb") as stream:
                analyst.write_zip(made, stream)
        except OSError as error:
            raise CommandError(f"Could not write {options['output']}: {error.strerror}.") from None
        analyst.log_export(made, user)
        report = made.report
        self.stdout.write(
            f"Wrote {len(made.rows)} rows to {options['output']} (reference {made.reference}; "
            f"{report.coarsened_records} coarsened and {report.dropped} dropped of {report.records} checked)."
        )
