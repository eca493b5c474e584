"""Wagtail admin requests that used to be server errors (lessons.admin_views and the
``before_copy_page`` hook in lessons.wagtail_hooks): each malformed request gets a clear
answer and writes nothing, and the well-formed request still works."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import Page, UploadedFile

from lessons.models import Theme
from tests.factories import UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(groups=["Content editors"], mfa=True)


@pytest.fixture
def editor_client(client, editor):
    login_with_second_factor(client, editor)
    return client


@pytest.fixture
def superuser_client(client):
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    return client


# --- The rich-text editor's external-link chooser -----------------------------------------


def test_the_external_link_chooser_reaches_our_view():
    assert reverse("wagtailadmin_choose_page_external_link") == "/admin/choose-external-link/"
    from django.urls import resolve

    assert resolve("/admin/choose-external-link/").url_name == "upstream_choose_external_link"


def test_an_external_link_post_without_its_url_shows_the_form_again(editor_client):
    response = editor_client.post(reverse("wagtailadmin_choose_page_external_link"), {})

    assert response.status_code == 200
    data = response.json()
    assert data["step"] == "external_link"
    assert "This field is required" in data["html"]


def test_an_external_link_is_still_chosen(editor_client):
    response = editor_client.post(
        reverse("wagtailadmin_choose_page_external_link"),
        {"external-link-chooser-url": "https://www.childline.org.uk/", "external-link-chooser-link_text": "Childline"},
    )

    data = response.json()
    assert data["step"] == "external_link_chosen"
    assert data["result"]["url"] == "https://www.childline.org.uk/"


def test_the_external_link_chooser_still_needs_admin_access(client):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory().user)
    response = client.post(reverse("wagtailadmin_choose_page_external_link"), {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Copying a page -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [{}, {"new_parent_page": "not-a-page"}, {"new_parent_page": "999999999"}])
def test_a_page_copy_without_a_real_destination_is_a_400_and_copies_nothing(superuser_client, lesson, data):
    pages_before = Page.objects.count()

    response = superuser_client.post(reverse("wagtailadmin_pages:copy", args=[lesson.pk]), data)

    assert response.status_code == 400
    assert Page.objects.count() == pages_before


def test_a_page_copy_with_its_destination_still_copies(superuser_client, lesson, programme):
    response = superuser_client.post(
        reverse("wagtailadmin_pages:copy", args=[lesson.pk]),
        {"new_title": "Copied lesson", "new_slug": "copied-lesson", "new_parent_page": programme.pk},
    )

    assert response.status_code == 302
    assert Page.objects.filter(title="Copied lesson").exists()


def test_a_page_copy_by_someone_who_may_not_copy_is_refused_before_the_check(client, lesson):
    login_with_second_factor(client, UserFactory(groups=["VRU officers"], mfa=True))
    response = client.post(reverse("wagtailadmin_pages:copy", args=[lesson.pk]), {})
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


# --- Finishing a multiple upload that needed more details -----------------------------------


@pytest.fixture
def upload(editor):
    return UploadedFile.objects.create(
        file=ContentFile(b"%PDF-1.4 handout", name="handout.pdf"),
        for_content_type=ContentType.objects.get_for_model(get_document_model()),
        uploaded_by_user=editor,
    )


def _finish(client, upload, **fields):
    prefix = f"uploaded-document-{upload.pk}"
    return client.post(
        reverse("wagtaildocs:create_multiple_from_uploaded_document", args=[upload.pk]),
        {f"{prefix}-{name}": value for name, value in fields.items()},
    )


def test_finishing_an_upload_creates_the_document_from_the_uploaded_file(editor_client, upload):
    from wagtail.models import Collection

    response = _finish(editor_client, upload, title="Handout", collection=Collection.get_first_root_node().pk)

    data = response.json()
    assert data["success"] is True
    document = get_document_model().objects.get(pk=data["doc_id"])
    assert document.title == "Handout"
    with document.file.open() as stored:
        assert stored.read() == b"%PDF-1.4 handout"
    assert not UploadedFile.objects.filter(pk=upload.pk).exists()


def test_finishing_an_upload_with_nothing_filled_in_shows_the_form_again(editor_client, upload):
    response = _finish(editor_client, upload)

    assert response.status_code == 200
    data = response.json()
    assert data["success"] is False
    assert "This field is required" in data["form"]
    assert not get_document_model().objects.exists()
    assert UploadedFile.objects.filter(pk=upload.pk).exists()


# --- The theme chooser has no "Create" --------------------------------------------------------


def test_the_theme_chooser_has_no_creation_form_so_create_is_a_404(superuser_client):
    url = reverse("wagtailsnippetchoosers_lessons_theme:create")

    assert superuser_client.get(url).status_code == 404
    assert superuser_client.post(url, {"name": "Knife crime", "slug": "knife-crime"}).status_code == 404
    assert not Theme.objects.exists()


def test_the_theme_chooser_create_still_checks_the_add_permission_first(editor_client):
    response = editor_client.post(reverse("wagtailsnippetchoosers_lessons_theme:create"), {})
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_the_theme_chooser_still_lists_themes(editor_client):
    Theme.objects.create(name="Conflict", slug="conflict")
    response = editor_client.get(reverse("wagtailsnippetchoosers_lessons_theme:choose"))
    assert response.status_code == 200
    assert "Conflict" in json.loads(response.content)["html"]
