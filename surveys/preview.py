"""Staff preview of a survey page rendered with the pupil flow's own template
(``surveys/pupil/page.html``), so staff see exactly what pupils see, made read-only:

- the pupil scripts are left out (nothing is queued or sent);
- the page's form is turned into a GET to the next preview page, the stop form and the
  back link point at the preview, and CSRF tokens are dropped;
- a banner says it is a preview and offers the other layout.
"""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape

from .models import InstrumentVersion, SurveyWindow
from .pupil.markup import questions_markup
from .survey_pages import SurveyPage

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_CSRF = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken"[^>]*>')
_SURVEY_FORM = re.compile(r'<form method="post" action="[^"]*"(?= class="survey")')
_OTHER_FORM = re.compile(r'<form method="post" action="[^"]*"')
_PAGE_LINK = re.compile(r'href="[^"]*/q/(\d+)/"')


def page_url(version: InstrumentVersion, number: int, layout: str) -> str:
    return reverse("surveys_admin:preview_page", args=[version.pk, number]) + f"?layout={layout}"


def _banner(version: InstrumentVersion, number: int, total: int, layout: str) -> str:
    overview = reverse("surveys_admin:preview", args=[version.pk]) + f"?layout={layout}"
    other = next(value for value, _label in SurveyWindow.Layout.choices if value != layout)
    other_label = dict(SurveyWindow.Layout.choices)[other]
    return (
        '<div class="preview-banner" role="note"><p><strong>Preview</strong> of '
        f"{escape(str(version))}, page {number} of {total}, exactly as pupils see it. Nothing is saved.</p>"
        f'<p><a href="{overview}">All questions on one page</a> · '
        f'<a href="{page_url(version, 1, other)}">Switch to: {escape(other_label)}</a></p></div>'
    )


def render_pupil_page(*, request, version: InstrumentVersion, pages: list[SurveyPage], number: int, layout: str) -> str:
    page = pages[number - 1]
    context = {
        "window": None,
        "school": None,
        "page": page,
        "total": len(pages),
        "last": number == len(pages),
        "key": "",
        "seq": 0,
        "questions": questions_markup(page, {}),
        "error": "",
    }
    html: str = render_to_string("surveys/pupil/page.html", context, request=request)
    next_url = page_url(version, min(number + 1, len(pages)), layout)
    html = _SCRIPT.sub("", html)
    html = _CSRF.sub("", html)
    html = _SURVEY_FORM.sub(f'<form method="get" action="{next_url}"', html)
    html = _OTHER_FORM.sub(f'<form method="get" action="{page_url(version, 1, layout)}"', html)
    html = _PAGE_LINK.sub(lambda m: f'href="{page_url(version, int(m.group(1)), layout)}"', html)
    html = html.replace("</head>", f'<link rel="stylesheet" href="{static("css/staff-surveys.css")}">\n</head>', 1)
    html = re.sub(
        r"(<body\b[^>]*>)", lambda m: m.group(1) + _banner(version, number, len(pages), layout), html, count=1
    )
    return html
