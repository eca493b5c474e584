"""StreamField blocks (lessons.blocks): each renders through its own template, video
links are limited to the hosts the CSP allows, and nothing renders inline script/style."""

from __future__ import annotations

import pytest
from wagtail.blocks import StructBlockValidationError

from lessons.blocks import (
    ActivityBlock,
    CheckUnderstandingBlock,
    DiscussionPromptBlock,
    LessonBodyBlock,
    SafeguardingNoteBlock,
    ScenarioBlock,
    TeacherNoteBlock,
    VideoBlock,
    video_embed_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=abcDEF12345", "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        ("https://youtu.be/abcDEF12345", "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        ("https://vimeo.com/123456789", "https://player.vimeo.com/video/123456789?dnt=1"),
        ("https://evil.example/watch?v=abcDEF12345", None),
        ("javascript:alert(1)", None),
        ("https://www.youtube.com/watch?v=<script>", None),
    ],
)
def test_video_embed_url_allows_only_youtube_and_vimeo(url, expected):
    assert video_embed_url(url) == expected


def test_video_block_refuses_other_hosts_when_the_editor_saves():
    block = VideoBlock()
    value = block.to_python({"title": "Clip", "url": "https://evil.example/v/1", "minutes": 2, "description": ""})
    with pytest.raises(StructBlockValidationError):
        block.clean(value)


def test_video_block_makes_no_third_party_request_until_asked():
    block = VideoBlock()
    html = block.render(block.to_python({"title": "Clip", "url": "https://youtu.be/abcDEF12345", "description": ""}))
    assert "<iframe" not in html
    assert 'data-embed-url="https://www.youtube-nocookie.com/embed/abcDEF12345"' in html


def test_video_block_prints_its_link_in_the_pdf():
    block = VideoBlock()
    value = block.to_python({"title": "Clip", "url": "https://youtu.be/abcDEF12345", "description": ""})
    assert "https://youtu.be/abcDEF12345" in block.render(value, context={"pdf": True})


def test_activity_block_shows_heading_minutes_and_grouping():
    block = ActivityBlock()
    value = block.to_python(
        {"heading": "Calm-down toolkit", "minutes": 15, "grouping": "small_groups", "instructions": "<p>Go</p>"}
    )
    html = block.render(value)
    assert "Calm-down toolkit" in html and "15 min" in html and "Small groups" in html


def test_safeguarding_note_is_visually_distinct_from_a_teacher_note():
    safeguarding = SafeguardingNoteBlock().render(SafeguardingNoteBlock().to_python({"text": "<p>Tell the DSL</p>"}))
    note = TeacherNoteBlock().render(TeacherNoteBlock().to_python({"text": "<p>Tip</p>"}))
    assert "block-safeguarding" in safeguarding and "Safeguarding" in safeguarding
    assert "block-safeguarding" not in note


def test_every_body_block_has_help_text_an_icon_and_its_own_template():
    templates = set()
    for name, block in LessonBodyBlock().child_blocks.items():
        assert block.meta.help_text, name
        assert block.meta.icon, name
        assert block.meta.template.startswith("lessons/blocks/"), name
        templates.add(block.meta.template)
        for child_name, child in block.child_blocks.items():
            help_text = child.field.help_text if hasattr(child, "field") else child.meta.help_text
            assert help_text, (name, child_name)
    assert len(templates) == len(LessonBodyBlock().child_blocks)


@pytest.mark.parametrize(
    ("block", "value", "text"),
    [
        (DiscussionPromptBlock(), {"prompt": "Is conflict bad?", "follow_ups": ["Why?"]}, "Why?"),
        (ScenarioBlock(), {"title": "Lunch", "story": "<p>Sam</p>", "questions": ["What next?"]}, "What next?"),
        (CheckUnderstandingBlock(), {"question": "Name a tool", "answer_guidance": "Pausing"}, "Pausing"),
    ],
)
def test_blocks_render_their_content_without_inline_style(block, value, text):
    html = block.render(block.to_python(value))
    assert text in html
    assert "style=" not in html
