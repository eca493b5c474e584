"""``{% load outcome_evidence %}``: a programme's headline results on public pages.

The lessons app defines the StreamField block editors place (``lessons.blocks.
ProgrammeResultsBlock``: a programme and a few options) but may not import outcomes, so its
template hands the block's value to ``{% programme_results value %}`` here. A template tag
library rather than a registry filled at ``ready()``: the dependency is named where it is
used, and a missing outcomes app is a loud template error, never a block that silently
renders nothing.

What it shows: the region's row per scale (``outcomes.selectors.outcome_table`` at region
scope, so the same disclosure rules as every other surface: at least 10 matched pupils and
at least 3 schools, else the reason and no number), in the words of ``outcomes.wording``,
with the monitoring label. Always current and cheap: the statements are cached under the
programme's data version (``selectors.data_versions``, one indexed row read per render),
which every refresh that changes a figure moves, so a new version is a new key and a stale
figure is never served; the disclosure rules' version is in the key too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.core.cache import cache

from ..filters import OutcomeFilter, ProgrammeRef, ResolvedFilter
from ..models import Compare
from ..selectors import ALL, data_versions, outcome_table
from ..stats.disclosure import RULES_VERSION
from ..wording import MONITORING, Statement, statements

register = template.Library()

CACHE_SECONDS = 7 * 24 * 3600  # a key names one data version; old keys just expire


@dataclass(frozen=True)
class Headline:
    programme_title: str
    region: str
    statements: tuple[Statement, ...]
    version: int

    @property
    def shown(self) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.shown)


def cache_key(programme_id: int, academic_year: int | None, compare: str, version: int) -> str:
    return f"outcomes:evidence:{RULES_VERSION}:{programme_id}:{academic_year or 'all'}:{compare}:v{version}"


def headline(programme, *, academic_year: int | None = None, compare: str = Compare.POST) -> Headline:
    """The programme's regional statements, from the cache when its data version has not
    moved since they were built."""
    if compare not in Compare.values:
        compare = Compare.POST
    version = data_versions([programme.pk])[programme.pk]
    key = cache_key(programme.pk, academic_year, compare, version)
    found = cache.get(key)
    if found is None:
        found = _build(programme, academic_year=academic_year, compare=compare, version=version)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _build(programme, *, academic_year: int | None, compare: str, version: int) -> Headline:
    resolved = ResolvedFilter(
        filter=OutcomeFilter(academic_year=academic_year, compare=compare, scopes=("region",)),
        programmes=(ProgrammeRef(programme.pk, programme.slug, programme.title),),
    )
    rows = [row for row in outcome_table(resolved).rows if row.scope == "region" and row.subgroup == ALL]
    return Headline(
        programme_title=programme.title,
        region=str(settings.UPSTREAM_REGION_NAME),
        statements=tuple(statements(rows, compare=compare)),
        version=version,
    )


@register.inclusion_tag("outcomes/evidence/programme_results.html")
def programme_results(value) -> dict:
    """Render a ``ProgrammeResultsBlock`` value. A programme that is not published (or was
    deleted) shows nothing: its results are not public."""
    programme = value.get("programme") if value else None
    programme = getattr(programme, "specific", programme)
    if programme is None or not getattr(programme, "live", False):
        return {"headline": None}
    year = value.get("academic_year") or None
    compare = value.get("compare") or Compare.POST
    found = headline(programme, academic_year=year, compare=compare)
    return {
        "headline": found,
        "heading": value.get("heading") or f"Results so far: {programme.title}",
        "year_label": f"{year}/{(year + 1) % 100:02d}" if year else "",
        "compare": compare,
        "monitoring": MONITORING,
        "block_id": f"programme-results-{programme.pk}-{year or 'all'}-{compare}",
    }
