"""The demo (``seed_demo``) shows outcomes: closed baseline and post windows at four schools,
well over 10 matched pupils per class, rollups built, so the region row is published."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from outcomes.models import ClassPair
from tests.outcomes.helpers import export_rows

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_rollups_with_a_published_region_row_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    built = ClassPair.objects.filter(rollups__isnull=False).distinct()
    assert built.values("school_id").distinct().count() >= 3
    assert all(pair.n_linked > 10 for pair in built)
    rows = export_rows("--scope", "region")
    assert {r["scale"] for r in rows} == {"violence_attitudes", "bystander", "help_seeking", "feeling_safe"}
    assert all(r["suppressed"] == "" and int(r["n_schools"]) >= 3 and int(r["n_matched"]) > 40 for r in rows)
    violence = next(r for r in rows if r["scale"] == "violence_attitudes")
    assert violence["higher_is_better"] == "false" and float(violence["mean_change"]) < 0

    versions = {pair.pk: pair.digest for pair in built}
    call_command("seed_demo", stdout=io.StringIO())
    assert {pair.pk: pair.digest for pair in built.all()} == versions
    assert export_rows("--scope", "region") == rows
