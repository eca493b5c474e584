"""Participant cards: unique codes per school and year, only keyed hashes stored, and a
real A4 PDF with 10 cards a page that shows every code."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from surveys import codes
from surveys.models import CardBatch, Participant
from surveys.pdf import render_cards_pdf
from surveys.pseudonyms import card_code_hash
from surveys.services import cards as svc
from tests.factories import MembershipFactory
from tests.surveys.factories import TeachingGroupFactory

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_card_batch_makes_valid_unique_codes_and_stores_only_their_hashes():
    group = TeachingGroupFactory()
    batch, card_codes = svc.card_batch_create(actor=group.teacher, group=group, count=25)
    assert len(set(card_codes)) == 25 and batch.count == 25
    for code in card_codes:
        assert codes.validate_card_code(code) == code
    hashes = set(Participant.objects.filter(card_batch=batch).values_list("code_hash", flat=True))
    assert hashes == {card_code_hash(school_id=group.school_id, code=code) for code in card_codes}
    assert all(p.year_group == group.year_group for p in Participant.objects.filter(card_batch=batch))


def test_plain_codes_appear_nowhere_in_the_database():
    group = TeachingGroupFactory()
    _batch, card_codes = svc.card_batch_create(actor=group.teacher, group=group, count=5)
    participant_rows = " ".join(str(row) for row in Participant.objects.values())
    batch_rows = " ".join(str(row) for row in CardBatch.objects.values())
    assert Participant.objects.count() == 5
    for code in card_codes:
        assert code not in participant_rows and codes.format_card_code(code) not in participant_rows
        assert code not in batch_rows


def test_codes_already_used_at_the_school_this_year_are_drawn_again(monkeypatch):
    group = TeachingGroupFactory()
    Participant.objects.create(
        school=group.school,
        academic_year=group.academic_year,
        code_hash=card_code_hash(school_id=group.school_id, code="AAAAAAA"),
    )
    draws = iter(["AAAAAAA", "BBBBBBB"])
    monkeypatch.setattr(svc, "new_card_code", lambda: next(draws))
    _batch, card_codes = svc.card_batch_create(actor=group.teacher, group=group, count=1)
    assert card_codes == ["BBBBBBB"]


def test_cards_are_only_for_your_own_class_and_a_sensible_number():
    group = TeachingGroupFactory()
    with pytest.raises(PermissionDenied):
        svc.card_batch_create(actor=MembershipFactory().user, group=group, count=5)
    with pytest.raises(ValidationError):
        svc.card_batch_create(actor=group.teacher, group=group, count=0)
    assert not CardBatch.objects.exists()


def test_card_pdf_is_a4_with_ten_cards_a_page_showing_each_code_and_the_stub():
    group = TeachingGroupFactory()
    _batch, card_codes = svc.card_batch_create(actor=group.teacher, group=group, count=12)
    pdf = render_cards_pdf(codes=card_codes, group=group, start_url="http://testserver/go/")
    pages, text = _pdf_text(pdf)
    assert pages == 2
    width, height = (float(v) for v in PdfReader(io.BytesIO(pdf)).pages[0].mediabox[2:])
    assert round(width / 72 * 25.4) == 210 and round(height / 72 * 25.4) == 297
    compact = text.replace(" ", "")
    for code in card_codes:
        assert codes.format_card_code(code) in compact
    assert "Name (keep this part in school)" in text
    assert "testserver/go/" in compact


def test_card_pdf_fetches_nothing_from_outside(monkeypatch):
    from lessons.pdf.fetcher import ProjectFilesURLFetcher, RefusedURL

    with pytest.raises(RefusedURL):
        ProjectFilesURLFetcher().fetch("file:///etc/passwd")
