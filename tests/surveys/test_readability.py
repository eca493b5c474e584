"""Everything a pupil reads is checked for reading age: the questions and answer choices of
every shipped instrument, and the words on every pupil page (buttons, hints, errors, help,
signposting, the thank-you page), plus the messages the pupil script and the access rules
show.

**The measure: Spache**, from ``textstat`` (pinned in requirements-dev.txt). Spache was made
for primary-school reading (US grades 1 to 4): a grade from the average sentence length
and the share of words that are not on a list of words young children know (textstat uses
the Dale-Chall list of 3,000 familiar words; a one-syllable word is never counted as hard).
It suits our text, which is short sentences and button labels: Flesch-Kincaid and SMOG
count syllables per word and were fitted on long passages (SMOG needs 30 sentences), so
on a five-word question one two-syllable word moves them by years ("Telling someone about
a problem only makes it worse" scores a Flesch-Kincaid grade of 6.8). A UK reading age is
the US grade plus 5 (grade 4 is the year a child turns 10, so the start of grade 4 is
reading age 9).

**Targets** (reading age):

- primary instruments (ages 9 to 11) and every pupil page, which primary pupils see too:
  **9**, the age of the youngest pupils (Year 4 and 5);
- secondary instruments (Years 7 to 11): **10.5**, still below the youngest of them (11),
  because about a quarter of Year 7 pupils read below their age, and weapon and
  safeguarding words ("weapon", "threatened") have no simpler form.

The target applies to each text as a passage (an instrument's questions together, a page's
words together). A single sentence may go one year above it: one unusual word in a short
sentence swings any formula, and the passage figure is the steadier one; a sentence two
or more years harder still fails. Texts under five words (answer labels, buttons) are
measured only within the passage: on one or two words the share of unfamiliar words is
all or nothing ("Disagree" alone would read at 14.6). Names pupils are told (Childline, the safeguarding
lead's name, "Upstream") are not reading difficulty and are read as a one-syllable name.
The ethnic-group choices are the census wording, kept word for word so the figures compare
with school census data, and are not measured (teachers may read them aloud).

``test_the_check_fails_a_deliberately_hard_sentence`` shows the check can fail.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import textstat
from django.template.loader import render_to_string
from django.test import Client

from surveys import demo, sgic
from surveys.models import Response, SurveyWindow
from surveys.pupil import access
from surveys.pupil.markup import MISSING_OPTIONS
from surveys.response_scales import PRESETS
from tests.surveys.factories import PupilSurveyWindowFactory, TeachingGroupFactory, make_pupil, programme_page

PRIMARY_AGE = 9.0
SECONDARY_AGE = 10.5
ONE_SENTENCE_ALLOWANCE = 1.0
SENTENCE_WORDS = 5  # shorter texts (labels, buttons) are measured in the passage only
ROOT = Path(__file__).resolve().parents[2]

# Names a pupil is told, measured as a plain one-syllable name.
NAMES = ("Childline", "Upstream", "Patel", "Ahmed")
HARD = (
    "Notwithstanding considerable institutional heterogeneity, longitudinal evaluations "
    "demonstrate ambiguous effectiveness."
)


def reading_age(text: str) -> float:
    for name in NAMES:
        text = re.sub(rf"\b{name}\b", "Sam", text)
    return textstat.spache_readability(text) + 5


def too_hard(texts: list[str], *, target: float) -> list[str]:
    """Every problem with ``texts`` read as one passage at ``target``: the passage above the
    target, or any one text above the target plus the one-sentence allowance."""
    texts = [" ".join(text.split()) for text in texts if text.strip()]
    problems = [
        f"{reading_age(text):.1f}: {text}"
        for text in texts
        if len(text.split()) >= SENTENCE_WORDS and reading_age(text) > target + ONE_SENTENCE_ALLOWANCE
    ]
    passage = " ".join(text if text[-1] in ".?!:" else f"{text}." for text in texts)
    if reading_age(passage) > target:
        problems.append(f"the whole passage reads at {reading_age(passage):.1f}, above {target}")
    return problems


def test_the_check_fails_a_deliberately_hard_sentence():
    assert reading_age(HARD) > 15
    assert too_hard([HARD], target=SECONDARY_AGE) != []
    # One hard sentence among easy ones still fails, although the passage is easy.
    easy = ["I feel safe at school.", "I know who to ask for help.", "I like my friends.", "Fighting is bad."] * 3
    assert too_hard(easy, target=PRIMARY_AGE) == []
    assert too_hard([*easy, HARD], target=PRIMARY_AGE) == [f"{reading_age(HARD):.1f}: {HARD}"]
    # A passage of middling sentences, each within the allowance, fails as a whole.
    middling = ["Considering everything, telling somebody about difficulties is usually sensible."]
    assert reading_age(middling[0]) > PRIMARY_AGE
    assert too_hard(middling, target=PRIMARY_AGE) != []


def _instrument_texts(spec: dict) -> list[str]:
    texts = [text for _code, _name, _hib, items in spec["scales"] for _item, text, _reverse in items]
    texts += [label for _value, label in PRESETS[spec["response_scale"]]]
    texts += [label for _value, label in MISSING_OPTIONS]
    texts += [text for _code, text, _scale in demo.DEMOGRAPHICS]
    texts += [label for _value, label in Response.Gender.choices]
    return texts


@pytest.mark.parametrize(
    ("spec", "target"), [(demo.PRIMARY, PRIMARY_AGE), (demo.SECONDARY, SECONDARY_AGE)], ids=["primary", "secondary"]
)
def test_every_shipped_instrument_reads_at_its_target(spec, target):
    assert (spec["max_age"] <= 11) == (target == PRIMARY_AGE)
    assert too_hard(_instrument_texts(spec), target=target) == []


def test_the_own_code_questions_access_messages_and_script_messages_read_at_primary_level():
    texts = []
    for element in sgic.element_questions():
        texts += [element.question, element.hint]
        texts += [label for value, label in element.choices if not value.isalnum() or len(label) > 2]
    texts += list(sgic._MESSAGES.values())
    texts += [access.LIMITED_MESSAGE, access.JOIN_WRONG, access.CARD_UNKNOWN]
    script = (ROOT / "static/js/pupil.js").read_text()
    shown = re.findall(r'"([A-Z][^"]*[a-z.…✓][^"]*)"', script)
    messages = [text for text in shown if " " in text or text.endswith(("✓", "…"))]
    assert len(messages) >= 6  # the script's own messages were found
    texts += messages
    assert too_hard(texts, target=PRIMARY_AGE) == []


class _Blocks(HTMLParser):
    """The words of a page, one entry per paragraph, heading, list item, label, legend,
    button, option and the title (script and style skipped)."""

    BLOCKS = {"p", "li", "h1", "h2", "legend", "label", "button", "option", "title", "a", "span"}

    def __init__(self):
        super().__init__()
        self.blocks: list[str] = []
        self._stack: list[list[str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in self.BLOCKS:
            self._stack.append([])

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1
        elif tag in self.BLOCKS and self._stack:
            text = " ".join("".join(self._stack.pop()).split())
            if text:
                self.blocks.append(text)

    def handle_data(self, data):
        if not self._skip and self._stack:
            for part in self._stack:
                part.append(data)


def page_blocks(html: str) -> list[str]:
    parser = _Blocks()
    parser.feed(html)
    # A block inside another (a span in a label) is measured inside the outer one only.
    blocks = parser.blocks
    return [b for b in blocks if not any(b != other and b in other for other in blocks)]


def _seen(client, url: str, pages: dict, name: str, *, method: str = "get", data=None, follow=False) -> None:
    response = getattr(client, method)(url, data or {}, follow=follow)
    assert response.status_code in {200, 409, 429}, (url, response.status_code)
    pages[name] = page_blocks(response.content.decode())


@pytest.fixture
def pupil_pages(db, rf):
    """The words of every pupil page, walked with the test client on each shipped survey
    (a card window for a Year 5 class on the primary survey, one question a page, and for
    a Year 8 class on the secondary survey), plus the pages only trouble shows."""
    pages: dict[str, list[str]] = {}
    plans = [
        ("primary", 5, demo.seed_primary_instrument(), SurveyWindow.Layout.ITEM_PER_PAGE),
        ("secondary", 8, demo.seed_instrument(), SurveyWindow.Layout.SCALE_PER_PAGE),
    ]
    for label, year, version, layout in plans:
        group = TeachingGroupFactory(year_group=year, programme=programme_page(year_from=year, year_to=year))
        school = group.school
        school.dsl_name, school.dsl_contact = "Mr Patel", "the school office, or tell your class teacher"
        school.save()
        window = PupilSurveyWindowFactory(group=group, instrument_version=version, layout=layout)
        pupil = make_pupil(window)
        client = Client()
        _seen(client, "/go/", pages, f"{label} join")
        _seen(client, "/go/", pages, f"{label} join error", method="post", data={"code": "WRONG123"})
        client.post("/go/", {"code": window.join_code})
        _seen(client, "/go/card/", pages, f"{label} card")
        _seen(client, "/go/card/", pages, f"{label} card error", method="post", data={"code": "ABC"})
        client.post("/go/card/", {"code": pupil.card_code})
        _seen(client, "/go/start/", pages, f"{label} assent")
        client.post("/go/start/", {"choice": "yes"})
        number = 1
        while True:
            response = client.get(f"/go/q/{number}/")
            assert response.status_code == 200
            pages[f"{label} question page {number}"] = page_blocks(response.content.decode())
            html = response.content.decode()
            seq = re.search(r'name="seq" value="(\d+)"', html).group(1)
            key = re.search(r'name="key" value="([^"]+)"', html).group(1)
            sent = client.post(f"/go/q/{number}/", {"action": "skip", "seq": seq, "key": key, "page": number})
            assert sent.status_code == 302
            if sent["Location"].endswith("/go/thanks/"):
                break
            number += 1
        _seen(client, "/go/thanks/", pages, f"{label} thank-you")
        _seen(client, "/go/talk/", pages, f"{label} talk sent", method="post", follow=True)
        _seen(client, "/go/stopped/", pages, f"{label} stopped")
        _seen(client, "/go/no-thanks/", pages, f"{label} no thanks")

    own_code = PupilSurveyWindowFactory(linkage="sgic")
    client = Client()
    client.post("/go/", {"code": own_code.join_code})
    _seen(client, "/go/card/", pages, "own code")
    _seen(client, "/go/card/", pages, "own code error", method="post")
    closed = PupilSurveyWindowFactory(closed=True)
    request = rf.get("/go/")
    context = {"window": closed, "school": closed.group.school}
    for name in ("closed", "talk_closed", "talk_not_sent", "unavailable", "stopped"):
        pages[name] = page_blocks(render_to_string(f"surveys/pupil/{name}.html", context, request=request))
    for flag in ("already_sent", "started_elsewhere"):
        html = render_to_string("surveys/pupil/assent.html", {**context, flag: True}, request=request)
        pages[f"assent, {flag}"] = page_blocks(html)
    return pages


def test_every_pupil_page_reads_at_primary_level(pupil_pages):
    census = {label for _value, label in Response.EthnicGroup.choices} - {"Prefer not to say", "White"}
    assert len(pupil_pages) >= 40
    problems: dict[str, list[str]] = {}  # problem -> the pages it is on
    for name, blocks in pupil_pages.items():
        assert blocks, name
        measured = [block for block in blocks if block not in census]
        for found in too_hard(measured, target=PRIMARY_AGE):
            problems.setdefault(found, []).append(name)
    assert problems == {}
    every_word = " ".join(" ".join(blocks) for blocks in pupil_pages.values())
    for shown in ("Childline", "Send my answers", "Or you can choose:", "Thank you!", "I'd like to talk to someone"):
        assert shown in every_word
