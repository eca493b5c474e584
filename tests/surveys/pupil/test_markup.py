"""The question markup of a pupil page: built once per page, ticked per pupil."""

from __future__ import annotations

import re
from types import SimpleNamespace

from surveys.pupil.markup import questions_markup
from surveys.survey_pages import SurveyPage


def _question(code, text, options, *, scale="agree5", demographic=False):
    return {
        "item": SimpleNamespace(response_scale=scale),
        "code": code,
        "text": text,
        "options": options,
        "demographic": demographic,
    }


def _page():
    return SurveyPage(
        number=1,
        heading="",
        questions=[
            _question("SAFE_01", "I feel safe <b>at</b> school & on the bus.", [("1", "No"), ("2", "Yes")]),
            _question("FACE_01", "How do you feel?", [("1", "No"), ("2", "Not sure"), ("3", "Yes")], scale="faces3"),
            _question(
                "GENDER", "Are you a girl or a boy?", [("girl", "Girl"), ("pns", "Prefer not to say")], demographic=True
            ),
        ],
    )


def _ticked(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'name="q_([A-Z_0-9]+)" value="([a-z0-9]+)" checked>', html))


def test_saved_options_are_ticked_and_only_those():
    page = _page()
    html = questions_markup(page, {"SAFE_01": "2", "FACE_01": "dk", "GENDER": "girl"})
    assert _ticked(html) == {("SAFE_01", "2"), ("FACE_01", "dk"), ("GENDER", "girl")}
    assert html.count(" checked") == 3


def test_the_same_page_object_serves_pupils_with_different_answers():
    page = _page()
    first = questions_markup(page, {"SAFE_01": "1"})
    second = questions_markup(page, {"SAFE_01": "2", "GENDER": "pns"})
    nothing = questions_markup(page, {})
    assert _ticked(first) == {("SAFE_01", "1")}
    assert _ticked(second) == {("SAFE_01", "2"), ("GENDER", "pns")}
    assert " checked" not in nothing
    assert first.replace(" checked", "") == nothing == second.replace(" checked", "")


def test_question_text_is_escaped_and_each_question_is_a_labelled_group():
    html = questions_markup(_page(), {})
    assert "I feel safe &lt;b&gt;at&lt;/b&gt; school &amp; on the bus." in html
    assert "<b>" not in html
    assert html.count('<fieldset class="q">') == 3 and html.count("</fieldset>") == 3
    assert html.count("<legend>") == 3
    assert 'Read aloud<span class="visually-hidden">: question 3</span>' in html


def test_dont_know_and_prefer_not_to_say_only_on_scored_questions():
    html = questions_markup(_page(), {})
    assert html.count('value="dk"') == 2  # SAFE_01 and FACE_01, not the demographic question
    assert 'name="q_GENDER" value="dk"' not in html
    assert html.count('name="q_GENDER" value="pns"') == 1  # its own option, not a second one


def test_younger_pupils_see_faces_beside_the_words():
    html = questions_markup(_page(), {})
    faces = re.findall(r'name="q_FACE_01" value="(\d)">(<span class="face" aria-hidden="true">.+?</span>)?<span>', html)
    assert [value for value, face in faces] == ["1", "2", "3"]
    assert all(face for _, face in faces)
    assert 'name="q_SAFE_01" value="1"><span>No</span>' in html


def test_dont_know_sits_apart_below_the_scale_under_its_own_label():
    """'Don't know' is not the middle of the scale: it comes after the scale's choices,
    under 'Or you can choose:', and the scales' middles read 'In between'."""
    from surveys.response_scales import PRESETS

    html = questions_markup(_page(), {})
    face_block = html[html.index('name="q_FACE_01"') :]
    assert face_block.index('value="3"') < face_block.index("Or you can choose:") < face_block.index('value="dk"')
    assert html.count('<p class="or">Or you can choose:</p>') == 2  # not on the demographic question
    labels = {label for options in PRESETS.values() for _, label in options}
    assert "Not sure" not in labels and "Don't know" not in labels
    assert dict(PRESETS["faces3"])[2] == dict(PRESETS["agree5"])[3] == "In between"
