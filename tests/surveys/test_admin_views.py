"""The Wagtail admin for instruments: who may edit, frozen versions, publish, new version,
the pupil-eye preview and the paper import upload."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from surveys.models import Instrument, InstrumentVersion, Response
from surveys.services import cards as card_services
from tests.factories import UserFactory, login_with_second_factor
from tests.surveys.factories import SurveyWindowFactory, make_response, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _survey_permissions(reference_data):
    """Transactional tests elsewhere flush migration data; put the grants back."""
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions()


def _as(client, group):
    login_with_second_factor(client, UserFactory(groups=[group], mfa=True))
    return client


def _version_form(version, **changes):
    scales = [
        {"id": s.pk, "code": s.code, "name": s.name, "higher_is_better": s.higher_is_better}
        for s in version.scales.all()
    ]
    items = [
        {
            "id": i.pk,
            "code": i.code,
            "text": changes.get(i.code, i.text),
            "scale_code": i.scale_code,
            "response_scale": i.response_scale,
            "reverse_keyed": i.reverse_keyed,
        }
        for i in version.items.all()
    ]
    return nested_form_data(
        {
            "instrument": version.instrument_id,
            "notes": "edited",
            "scales": inline_formset(scales, initial=len(scales)),
            "items": inline_formset(items, initial=len(items)),
        }
    )


def test_content_editors_can_open_the_instrument_admin_and_teachers_cannot(client, teacher):
    assert _as(client, "Content editors").get(reverse("surveys_instrument:index")).status_code == 200
    assert client.get(reverse("surveys_instrumentversion:add")).status_code == 200
    client.force_login(teacher)
    assert client.get(reverse("surveys_instrument:index")).status_code in (302, 403)


def test_officers_may_view_but_not_change_instruments(client):
    version = make_version()
    _as(client, "VRU officers")
    assert client.get(reverse("surveys_instrumentversion:index")).status_code == 200
    assert client.get(reverse("surveys_instrumentversion:edit", args=[version.pk])).status_code in (302, 403)
    assert client.get(reverse("surveys_admin:preview", args=[version.pk])).status_code == 200


def test_editing_a_version_without_responses_saves(client):
    version = make_version(status="draft")
    response = _as(client, "Content editors").post(
        reverse("surveys_instrumentversion:edit", args=[version.pk]), _version_form(version, SAF_01="I feel OK.")
    )
    assert response.status_code == 302, response.content[:2000]
    assert version.items.get(code="SAF_01").text == "I feel OK."


def test_editing_a_frozen_version_is_refused_with_a_clear_message(client):
    window = SurveyWindowFactory()
    make_response(window)
    version = window.instrument_version
    _as(client, "Content editors")
    url = reverse("surveys_instrumentversion:edit", args=[version.pk])
    assert b"cannot be changed" in client.get(url).content
    response = client.post(url, _version_form(version, SAF_01="Changed wording."), follow=True)
    assert b"cannot be changed" in response.content
    assert version.items.get(code="SAF_01").text == "I feel safe at school."


def test_new_version_action_copies_to_a_draft_and_opens_it(client):
    window = SurveyWindowFactory()
    make_response(window)
    _as(client, "Moderators")
    response = client.post(reverse("surveys_admin:new_version", args=[window.instrument_version.pk]))
    draft = InstrumentVersion.objects.get(instrument=window.instrument_version.instrument, number=2)
    assert response["Location"] == reverse("surveys_instrumentversion:edit", args=[draft.pk])
    assert draft.items.count() == window.instrument_version.items.count()


def test_a_new_version_made_in_the_admin_is_numbered_automatically(client):
    version = make_version()
    data = nested_form_data(
        {
            "instrument": version.instrument_id,
            "notes": "second",
            "scales": inline_formset([{"code": "safety", "name": "Safe", "higher_is_better": True}]),
            "items": inline_formset(
                [{"code": "SAF_01", "text": "I feel safe.", "scale_code": "safety", "response_scale": "agree5"}]
            ),
        }
    )
    response = _as(client, "Content editors").post(reverse("surveys_instrumentversion:add"), data)
    assert response.status_code == 302, response.content[:2000]
    assert InstrumentVersion.objects.filter(instrument=version.instrument, number=2).exists()


def test_publish_view_lists_refusals_and_publishes_when_fine(client):
    pending = make_version(status="draft", licence=Instrument.Licence.PERMISSION_PENDING)
    _as(client, "Moderators")
    page = client.get(reverse("surveys_admin:publish", args=[pending.pk]))
    assert b"licence is still pending" in page.content
    client.post(reverse("surveys_admin:publish", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.status == InstrumentVersion.Status.DRAFT

    fine = make_version(status="draft")
    client.post(reverse("surveys_admin:publish", args=[fine.pk]))
    fine.refresh_from_db()
    assert fine.status == InstrumentVersion.Status.PUBLISHED


def test_editors_draft_but_cannot_publish_a_version(client):
    """Issue 7: editors could publish a survey instrument version with no moderator."""
    version = make_version(status="draft")
    url = reverse("surveys_admin:publish", args=[version.pk])
    _as(client, "Content editors")
    edit = client.get(reverse("surveys_instrumentversion:edit", args=[version.pk]))
    assert edit.status_code == 200 and url not in edit.content.decode()
    # Wagtail answers a refused admin view with a redirect to the dashboard and a message.
    for refused in (client.get(url), client.post(url)):
        assert refused.status_code in (302, 403) and refused.get("Location", "/admin/") == "/admin/"
    version.refresh_from_db()
    assert version.status == InstrumentVersion.Status.DRAFT and version.published_at is None


def test_moderators_and_officers_publish_like_a_page(client):
    for group in ("Moderators", "VRU officers"):
        version = make_version(status="draft")
        _as(client, group)
        url = reverse("surveys_admin:publish", args=[version.pk])
        start = "edit" if group == "Moderators" else "inspect"
        start_page = client.get(reverse(f"surveys_instrumentversion:{start}", args=[version.pk]))
        assert url in start_page.content.decode(), group  # the publish button is where they start
        done = client.post(url)
        assert done.status_code == 302 and done["Location"] == reverse(
            f"surveys_instrumentversion:{start}", args=[version.pk]
        )
        version.refresh_from_db()
        assert version.status == InstrumentVersion.Status.PUBLISHED, group


def test_preview_shows_every_question_as_a_pupil_sees_it_with_missing_options(client):
    version = make_version()
    body = _as(client, "Content editors").get(reverse("surveys_admin:preview", args=[version.pk])).content.decode()
    for item in version.items.all():
        assert item.text in body
    assert "Don't know" in body and "Prefer not to say" in body and "Childline" in body
    one_per_page = client.get(reverse("surveys_admin:preview", args=[version.pk]) + "?layout=item").content.decode()
    assert "Page 5 of 5" in one_per_page


def test_import_upload_is_permission_guarded_and_all_or_nothing(client):
    window = SurveyWindowFactory()
    group = window.group
    _batch, card_codes = card_services.card_batch_create(actor=group.teacher, group=group, count=1)
    header = "school_urn,group,year_group,wave,participant_code,gender,ethnicity,SAF_01"
    row = f"{group.school.urn},{group.name},{group.year_group},baseline,{card_codes[0]},girl,white,"
    url = reverse("surveys_import:index")

    assert _as(client, "Content editors").get(url).status_code in (302, 403)

    _as(client, "VRU officers")
    bad = client.post(url, {"file": _upload(f"{header}\n{row}7\n")})
    assert b"Nothing was imported" in bad.content and b"SAF_01" in bad.content
    assert not Response.objects.exists()
    good = client.post(url, {"file": _upload(f"{header}\n{row}4\n")})
    assert b"Imported 1 new responses" in good.content
    assert Response.objects.filter(source="paper").count() == 1


def test_an_unreadable_upload_is_a_form_error_not_a_server_error(client):
    """A value over the csv module's 131,072-character limit used to answer 500."""
    window = SurveyWindowFactory()
    group = window.group
    header = "school_urn,group,year_group,wave,participant_code,gender,ethnicity,SAF_01"
    row = f"{group.school.urn},{group.name},{group.year_group},baseline,,girl,{'y' * 200_000},4"
    page = _as(client, "VRU officers").post(reverse("surveys_import:index"), {"file": _upload(f"{header}\n{row}\n")})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nothing was imported" in text and "could not be read: a value is far too long" in text
    assert not Response.objects.exists()


def _upload(text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("paper.csv", text.encode(), content_type="text/csv")


def test_page_preview_uses_the_pupil_template_read_only(client):
    version = make_version()
    _as(client, "VRU officers")
    response = client.get(reverse("surveys_admin:preview_page", args=[version.pk, 1]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Preview" in body and "I feel safe at school." in body and "Page 1 of 3" in body
    assert "<script" not in body and 'method="post"' not in body and "csrfmiddlewaretoken" not in body
    assert reverse("surveys_admin:preview_page", args=[version.pk, 2]) in body
    last = client.get(reverse("surveys_admin:preview_page", args=[version.pk, 3]))
    assert b"Send my answers" in last.content
    assert client.get(reverse("surveys_admin:preview_page", args=[version.pk, 9])).status_code == 302


def test_a_version_used_by_a_class_cannot_be_deleted(client):
    window = SurveyWindowFactory()
    _as(client, "Content editors")
    response = client.post(reverse("surveys_instrumentversion:delete", args=[window.instrument_version_id]))
    assert response.status_code == 302
    assert InstrumentVersion.objects.filter(pk=window.instrument_version_id).exists()
    response = client.post(reverse("surveys_instrument:delete", args=[window.instrument_version.instrument_id]))
    assert response.status_code == 302 and Instrument.objects.exists()


def test_an_unused_draft_version_can_be_deleted(client):
    version = make_version(status="draft")
    _as(client, "Content editors")
    client.post(reverse("surveys_instrumentversion:delete", args=[version.pk]))
    assert not InstrumentVersion.objects.filter(pk=version.pk).exists()


def test_publishing_for_a_chosen_programme_outside_the_ages_is_refused(client):
    from tests.surveys.factories import programme_page

    version = make_version(status="draft", min_age=11, max_age=16)
    programme = programme_page(year_from=4, year_to=6)
    programme.save_revision().publish()
    _as(client, "Moderators")
    page = client.get(reverse("surveys_admin:publish", args=[version.pk]))
    assert b"outside the ages" in page.content
    response = client.post(
        reverse("surveys_admin:publish", args=[version.pk]), {"programmes": [programme.pk]}, follow=True
    )
    assert b"Year 4, Year 5" in response.content
    version.refresh_from_db()
    assert version.status == InstrumentVersion.Status.DRAFT


def test_a_version_cannot_be_moved_to_another_instrument(client):
    version = make_version(status="draft")
    other = make_version(status="draft")
    data = _version_form(version)
    data["instrument"] = other.instrument_id
    response = _as(client, "Content editors").post(reverse("surveys_instrumentversion:edit", args=[version.pk]), data)
    assert response.status_code == 200 and b"belongs to its instrument" in response.content
    version.refresh_from_db()
    assert version.instrument_id != other.instrument_id


def test_preview_one_question_a_page_moves_on_to_the_next_question(client):
    """The one-question pages carry ``data-one-question`` (the phone layout's sticky
    buttons); the preview still points their Next button at the next page."""
    from surveys.preview import page_url

    version = make_version()
    first = page_url(version, 1, "item")
    body = _as(client, "Content editors").get(first).content.decode()
    assert "data-one-question" in body
    assert f'<form method="get" action="{page_url(version, 2, "item")}" class="survey"' in body
