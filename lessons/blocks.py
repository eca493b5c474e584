"""StreamField blocks for lesson bodies. Blocks only render: each has its own template
under ``templates/lessons/blocks/`` and editor-facing help text. The same templates are
used in the printable lesson plan, where ``pdf`` is true in the context.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

GROUPING_CHOICES = [
    ("whole_class", "Whole class"),
    ("pairs", "Pairs"),
    ("small_groups", "Small groups"),
    ("individual", "Individual"),
]

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_VIMEO_ID = re.compile(r"^\d{4,12}$")


def video_embed_url(url: str) -> str | None:
    """The privacy-enhanced player URL for a YouTube or Vimeo link, or None.

    Only these two hosts are allowed by the site's ``frame-src`` policy, so anything else
    is refused when the editor saves rather than silently failing for teachers.
    """
    parsed = urlparse(url or "")
    host = (parsed.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = None
    if host in {"youtube.com", "youtube-nocookie.com"}:
        if parsed.path == "/watch":
            video_id = next(iter(parse_qs(parsed.query).get("v") or []), None)
        elif parsed.path.startswith(("/embed/", "/shorts/")):
            video_id = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parsed.path.lstrip("/")
    elif host in {"vimeo.com", "player.vimeo.com"}:
        last = parsed.path.rstrip("/").rsplit("/", 1)[-1]
        if _VIMEO_ID.match(last):
            return f"https://player.vimeo.com/video/{last}?dnt=1"
        return None
    if video_id and _YOUTUBE_ID.match(video_id):
        return f"https://www.youtube-nocookie.com/embed/{video_id}"
    return None


class ActivityBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        max_length=120, help_text="A short name for the activity, e.g. 'Warm-up: what is conflict?'."
    )
    minutes = blocks.IntegerBlock(
        min_value=1, max_value=120, help_text="How many minutes the activity takes. Used for the timings table."
    )
    grouping = blocks.ChoiceBlock(
        choices=GROUPING_CHOICES, default="whole_class", help_text="How pupils work during this activity."
    )
    instructions = blocks.RichTextBlock(
        features=["bold", "italic", "ol", "ul", "link"],
        help_text="Step-by-step instructions for the teacher, written so a cover teacher could run it.",
    )
    resources_needed = blocks.CharBlock(
        required=False, max_length=200, help_text="Optional: what to prepare, e.g. 'Scenario cards, one set per group'."
    )

    class Meta:
        icon = "time"
        template = "lessons/blocks/activity_block.html"
        help_text = "A timed activity. Its heading and minutes appear in the lesson's timings table."
        label = "Activity"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["grouping_label"] = dict(GROUPING_CHOICES).get(value.get("grouping"), "")
        return context


class DiscussionPromptBlock(blocks.StructBlock):
    prompt = blocks.CharBlock(max_length=300, help_text="The question put to pupils, in words they understand.")
    follow_ups = blocks.ListBlock(
        blocks.CharBlock(max_length=300),
        required=False,
        default=[],
        help_text="Optional follow-up questions to deepen the discussion.",
    )

    class Meta:
        icon = "openquote"
        template = "lessons/blocks/discussion_prompt_block.html"
        help_text = "An open question for pupils to discuss, with optional follow-ups."
        label = "Discussion prompt"


class ScenarioBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120, help_text="A neutral title, e.g. 'Jay's group chat'.")
    story = blocks.RichTextBlock(
        features=["bold", "italic", "ol", "ul"],
        help_text=(
            "The scenario pupils read or hear. Use invented names, avoid graphic detail and "
            "never base it on a real local incident (no shock tactics)."
        ),
    )
    questions = blocks.ListBlock(
        blocks.CharBlock(max_length=300),
        required=False,
        default=[],
        help_text="Questions for pupils about the scenario.",
    )

    class Meta:
        icon = "doc-full"
        template = "lessons/blocks/scenario_block.html"
        help_text = "A short fictional scenario or case study with questions."
        label = "Scenario or case study"


class TeacherNoteBlock(blocks.StructBlock):
    text = blocks.RichTextBlock(
        features=["bold", "italic", "ol", "ul", "link"],
        help_text="Background, tips or common misconceptions. Shown to teachers only.",
    )

    class Meta:
        icon = "help"
        template = "lessons/blocks/teacher_note_block.html"
        help_text = "A note for the teacher, not to be read out to pupils."
        label = "Teacher note"


class SafeguardingNoteBlock(blocks.StructBlock):
    text = blocks.RichTextBlock(
        features=["bold", "italic", "ol", "ul", "link"],
        help_text=(
            "What might come up and what to do: who to tell (the designated safeguarding lead), "
            "how to respond to a disclosure, pupils who may need a heads-up beforehand."
        ),
    )

    class Meta:
        icon = "warning"
        template = "lessons/blocks/safeguarding_note_block.html"
        help_text = "Safeguarding guidance for this point in the lesson. Shown prominently to teachers."
        label = "Safeguarding note"


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(
        max_length=150, help_text="What the video is, e.g. 'Two-minute animation: what a bystander can do'."
    )
    url = blocks.URLBlock(
        help_text="A YouTube or Vimeo link. Other sites are not allowed by the site's security policy."
    )
    minutes = blocks.IntegerBlock(
        required=False, min_value=1, max_value=60, help_text="Optional running time in minutes."
    )
    description = blocks.TextBlock(
        required=False,
        help_text="A short description or transcript summary, for accessibility and for the printed plan.",
    )

    class Meta:
        icon = "media"
        template = "lessons/blocks/video_block.html"
        help_text = "A video from YouTube or Vimeo. It loads only when the teacher chooses to play it."
        label = "Video"

    def clean(self, value):
        value = super().clean(value)
        if video_embed_url(value.get("url")) is None:
            raise blocks.StructBlockValidationError(
                block_errors={"url": ValidationError("Use a link to a YouTube or Vimeo video.")}
            )
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["embed_url"] = video_embed_url(value.get("url"))
        return context


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(help_text="Choose or upload an image. Avoid images of weapons or injuries.")
    alt_text = blocks.CharBlock(
        max_length=250,
        help_text="Describe the image for someone who cannot see it. Required for accessibility.",
    )
    caption = blocks.CharBlock(required=False, max_length=250, help_text="Optional caption shown under the image.")

    class Meta:
        icon = "image"
        template = "lessons/blocks/image_block.html"
        help_text = "An image with alternative text for screen readers."
        label = "Image"


class ResourceBlock(blocks.StructBlock):
    document = DocumentChooserBlock(help_text="Choose or upload a worksheet, slide deck or handout.")
    title = blocks.CharBlock(
        required=False, max_length=150, help_text="Optional: a clearer name than the file's own title."
    )
    description = blocks.CharBlock(
        required=False, max_length=250, help_text="Optional: what it is for, e.g. 'One copy per pair'."
    )

    class Meta:
        icon = "download"
        template = "lessons/blocks/resource_block.html"
        help_text = "A downloadable resource for this lesson (PDF, Word, PowerPoint or OpenDocument)."
        label = "Downloadable resource"


class CheckUnderstandingBlock(blocks.StructBlock):
    question = blocks.CharBlock(max_length=300, help_text="A question to check pupils have understood.")
    answer_guidance = blocks.TextBlock(
        required=False, help_text="Optional: what a good answer includes. Shown to teachers only."
    )

    class Meta:
        icon = "tick"
        template = "lessons/blocks/check_understanding_block.html"
        help_text = "A quick question to check understanding, with guidance on good answers."
        label = "Check understanding"


class LessonBodyBlock(blocks.StreamBlock):
    activity = ActivityBlock()
    discussion_prompt = DiscussionPromptBlock()
    scenario = ScenarioBlock()
    teacher_note = TeacherNoteBlock()
    safeguarding_note = SafeguardingNoteBlock()
    video = VideoBlock()
    image = ImageBlock()
    resource = ResourceBlock()
    check_understanding = CheckUnderstandingBlock()


class VocabularyBlock(blocks.StructBlock):
    term = blocks.CharBlock(max_length=80, help_text="The word or phrase, e.g. 'bystander'.")
    definition = blocks.CharBlock(max_length=300, help_text="A definition a pupil of this age would understand.")

    class Meta:
        icon = "list-ul"
        template = "lessons/blocks/vocabulary_block.html"
        help_text = "A key word and its pupil-friendly definition."
        label = "Key word"


# --- Public pages ----------------------------------------------------------------------

COMPARE_CHOICES = [("post", "Before and after the programme"), ("follow_up", "Before and at the follow-up")]


class ProgrammeResultsBlock(blocks.StructBlock):
    """A programme's headline results from pupils' surveys, across the region.

    The block only holds the editor's choices. Its template renders the figures with the
    ``outcome_evidence`` template tag library of the outcomes app: lessons never imports
    outcomes (the import chain is accounts <- lessons <- surveys <- outcomes), and a
    template names a tag library by name at render time, which is no import. If the
    outcomes app were missing, the page would fail loudly ("not a registered tag
    library") instead of quietly showing nothing. The figures are read, suppressed and
    cached there (docs/outcomes-for-schools.md, "Evidence on public pages")."""

    programme = blocks.PageChooserBlock(
        page_type="lessons.ProgrammePage",
        help_text="The programme whose results to show. Only a published programme's results appear.",
    )
    heading = blocks.CharBlock(
        required=False,
        max_length=120,
        help_text="Optional heading, e.g. 'What pupils told us'. Leave empty for 'Results so far: <programme>'.",
    )
    academic_year = blocks.IntegerBlock(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="Optional: one school year, given by the year it starts (2026 for 2026/27). Empty: every year.",
    )
    compare = blocks.ChoiceBlock(
        choices=COMPARE_CHOICES,
        default="post",
        help_text="Which later survey to compare with the baseline.",
    )

    class Meta:
        icon = "table"
        template = "lessons/blocks/programme_results_block.html"
        help_text = (
            "Shows the programme's latest regional results in plain words, always up to date. Results are "
            "hidden until at least 10 pupils in at least 3 schools have answered both surveys, and always "
            "carry the note that a before-and-after change is monitoring, not proof of impact."
        )
        label = "Programme results"


class PublicPageBlock(blocks.StreamBlock):
    programme_results = ProgrammeResultsBlock()
