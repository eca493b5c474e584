"""Header navigation (lessons.context_processors)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from lessons.context_processors import navigation

pytestmark = pytest.mark.django_db


def test_navigation_links_to_the_programme_index_found_by_type(index):
    index.slug = "our-programmes"
    index.save_revision().publish()
    context = navigation(RequestFactory().get("/"))
    assert context["nav_programmes_url"].rstrip("/").endswith("/our-programmes")
    assert context["nav_classes_url"] == reverse("lessons:group_list")


def test_navigation_copes_with_no_programme_index(db):
    assert navigation(RequestFactory().get("/"))["nav_programmes_url"] == ""


def test_base_template_uses_the_links(client, index):
    html = client.get(index.url).content.decode()
    assert f'href="{index.url}">Programmes</a>' in html
