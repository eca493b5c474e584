"""Survey permissions granted to the VRU groups (least privilege)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from surveys.roles import ensure_survey_permissions

pytestmark = pytest.mark.django_db


def _codenames(group_name):
    return set(
        Group.objects.get(name=group_name)
        .permissions.filter(content_type__app_label="surveys")
        .values_list("codename", flat=True)
    )


def test_editors_moderators_and_admins_edit_instruments_officers_and_analysts_only_view(reference_data):
    ensure_survey_permissions()
    for name in ("Content editors", "Moderators", "Platform admins"):
        assert {"add_instrumentversion", "change_instrumentversion", "change_instrument"} <= _codenames(name)
    for name in ("VRU officers", "VRU analysts"):
        codenames = _codenames(name)
        assert "view_instrumentversion" in codenames
        assert not {c for c in codenames if c.startswith(("change_", "delete_")) or c == "add_instrumentversion"}


def test_only_officers_and_platform_admins_import_paper_surveys(reference_data):
    ensure_survey_permissions()
    importers = {
        name
        for name in ("Content editors", "Moderators", "Platform admins", "VRU officers", "VRU analysts")
        if "add_response" in _codenames(name)
    }
    assert importers == {"Platform admins", "VRU officers"}


def test_granting_is_idempotent(reference_data):
    ensure_survey_permissions()
    before = _codenames("Moderators")
    ensure_survey_permissions()
    assert _codenames("Moderators") == before


def test_only_moderators_and_officers_publish_instrument_versions(reference_data):
    ensure_survey_permissions()
    publishers = {
        name
        for name in ("Content editors", "Moderators", "Platform admins", "VRU officers", "VRU analysts")
        if "publish_instrumentversion" in _codenames(name)
    }
    assert publishers == {"Moderators", "VRU officers"}


def test_only_officers_and_analysts_see_delivery_and_participation(reference_data):
    ensure_survey_permissions()
    viewers = {
        name
        for name in ("Content editors", "Moderators", "Platform admins", "VRU officers", "VRU analysts")
        if "view_participation" in _codenames(name)
    }
    assert viewers == {"VRU officers", "VRU analysts"}
