"""Evidence on public pages: the "Programme results" block (lessons.blocks.
ProgrammeResultsBlock, rendered by outcomes/templatetags/outcome_evidence.py). An editor adds
it in the Wagtail admin; once published, the page shows the programme's regional headline
with the monitoring label, hidden under the disclosure thresholds, current after new data,
and read from the cache while the programme's data version stands still."""

from __future__ import annotations

import html
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from accounts.roles import CONTENT_EDITOR, MODERATOR
from lessons import services as lesson_services
from outcomes import services
from outcomes.templatetags import outcome_evidence
from tests.factories import UserFactory
from tests.lessons.factories import ProgrammeIndexPageFactory, ProgrammePageFactory, site_home
from tests.outcomes.helpers import closed_class, outcome_version, populate
from tests.second_factor import force_login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site():
    home = site_home()
    index = ProgrammeIndexPageFactory(parent=home)
    programme = ProgrammePageFactory(parent=index, title="Choices and Voices")
    return home, programme, outcome_version()


def _schools(programme, version, sizes):
    for n in sizes:
        _group, baseline, post = closed_class(programme=programme, version=version)
        populate(baseline, post, n, shift=1)
    services.class_pairs_refresh(keys=services.all_pair_keys())


def _text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _put_block(page, programme, **options):
    page.evidence_blocks = [
        (
            "programme_results",
            {"programme": programme, "heading": "", "academic_year": None, "compare": "post", **options},
        )
    ]
    page.save_revision().publish()


def test_an_editor_adds_the_block_and_the_published_page_shows_the_headline(site):
    """The real flow: the editor adds the block to the programme index (a public page they
    may edit) and submits it; the moderator approves; the published page shows it."""
    _home, programme, version = site
    _schools(programme, version, (12, 15, 11))
    index = programme.get_parent().specific
    lesson_services.content_workflow_ensure(index_page=index)
    editor = UserFactory(groups=[CONTENT_EDITOR], mfa=True)
    moderator = UserFactory(groups=[MODERATOR], mfa=True)

    def form(**actions):
        return nested_form_data(
            {
                "title": index.title,
                "slug": index.slug,
                "intro": rich_text("<p>Our programmes.</p>"),
                "evidence_blocks": streamfield(
                    [
                        (
                            "programme_results",
                            {
                                "programme": programme.pk,
                                "heading": "What pupils told us",
                                "academic_year": "",
                                "compare": "post",
                            },
                        )
                    ]
                ),
                **actions,
            }
        )

    edit_url = reverse("wagtailadmin_pages:edit", args=(index.pk,))
    client = Client()
    force_login_with_second_factor(client, editor)
    assert client.post(edit_url, form(**{"action-submit": "Submit"})).status_code == 302
    index.refresh_from_db()
    assert index.has_unpublished_changes
    assert "What pupils told us" not in _text(Client(), index.url)  # waiting for approval: not public

    client = Client()
    force_login_with_second_factor(client, moderator)
    approve = {"action-workflow-action": "true", "workflow-action-name": "approve"}
    assert client.post(edit_url, form(**approve)).status_code == 302
    index.refresh_from_db()
    assert index.live and not index.has_unpublished_changes
    text = _text(Client(), index.url)
    assert "What pupils told us" in text
    assert "Pupils' feeling safe went up by" in text
    assert "38 pupils in 3 schools answered both surveys" in text
    assert "Monitoring, not proof." in text and "comparison group" in text


def test_the_headline_is_hidden_under_the_thresholds(site):
    home, programme, version = site
    _schools(programme, version, (12, 15))  # two schools only
    _put_block(home, programme)
    text = _text(Client(), home.url)
    assert "Results will appear here once at least 10 pupils in at least 3 schools have answered both surveys." in text
    assert "went up" not in text and "27" not in text
    reasons = {st.hidden_reason for st in outcome_evidence.headline(programme).statements}
    assert reasons == {"fewer than 3 schools"}

    other_home, other_programme = home, ProgrammePageFactory(parent=programme.get_parent(), title="Small")
    _schools(other_programme, version, (3, 3, 3))  # three schools, nine pupils
    _put_block(other_home, other_programme)
    text = _text(Client(), home.url)
    assert "Results will appear here once" in text and "went up" not in text
    reasons = {st.hidden_reason for st in outcome_evidence.headline(other_programme).statements}
    assert reasons == {"fewer than 10"}


def test_the_headline_updates_after_new_data_and_is_cached_in_between(site, monkeypatch):
    home, programme, version = site
    _schools(programme, version, (12, 15))
    _put_block(home, programme)
    builds = []
    real_build = outcome_evidence._build
    monkeypatch.setattr(outcome_evidence, "_build", lambda *a, **k: builds.append(1) or real_build(*a, **k))

    assert "Results will appear here" in _text(Client(), home.url)
    assert "Results will appear here" in _text(Client(), home.url)
    assert len(builds) == 1  # the second view came from the cache

    _schools(programme, version, (11,))  # a third school's class closes: the data version moves
    text = _text(Client(), home.url)
    assert len(builds) == 2
    assert "Pupils' feeling safe went up by" in text and "38 pupils in 3 schools" in text


def test_an_unpublished_programme_shows_nothing(site):
    home, programme, version = site
    _schools(programme, version, (12, 15, 11))
    _put_block(home, programme)
    programme.unpublish()
    text = _text(Client(), home.url)
    assert "Results so far" not in text and "went up" not in text


def test_the_block_works_on_programme_and_index_pages(site):
    _home, programme, version = site
    _schools(programme, version, (12, 15, 11))
    index = programme.get_parent().specific
    _put_block(index, programme, heading="Across the region")
    _put_block(programme, programme)
    assert "Across the region" in _text(Client(), index.url)
    assert "Results so far: Choices and Voices" in _text(Client(), programme.url)
