"""The VRU outcomes dashboard's content, without a request: the published table for the
filters (through ``outcomes.selectors``, the one way to read a figure), its presentation
and charts, the change by lessons delivered, the fidelity panel and the methods statement.

The admin view (``outcomes.admin_views``) renders it; the PDF reports can build the same
object from the same filters, so every surface shows the same numbers.

**Scopes.** The dashboard shows the region and its local authorities (or the chosen
authority): figures that rest on at least 3 schools (``stats.disclosure.MIN_SCHOOLS``, which
the engine applies to those scopes). It never shows a school's or a class's figures: those
belong to the school's own staff. Its CSV is the same table
(``export_outcomes --scope region,local_authority``).

**Cache.** The built dashboard is cached under the filter, the programmes' data versions
(``selectors.data_versions``, moved by every refresh that changes a figure) and the
disclosure rules version, for ``CACHE_SECONDS`` at most (names of schools and authorities
can change without a new data version). A warm dashboard is two small queries and a cache
read. The admin view also caches the rendered figures (HTML) under the same key, so a warm
page is one cache read and the admin's chrome.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.cache import cache

from lessons.evidence import evidence_for
from lessons.models import ProgrammePage

from . import presentation, selectors
from .filters import OutcomeFilter, ResolvedFilter
from .stats.disclosure import MIN_SCHOOLS, RULES_VERSION, THRESHOLD

SCOPES = ("region", "local_authority")
BREAKDOWN_CHOICES = (
    ("", "None"),
    ("gender", "Gender"),
    ("ethnicity", "Ethnic group"),
    ("year_group", "Year group"),
)
CACHE_PREFIX = "outcomes-dashboard-v1"
CACHE_SECONDS = 600


def parse(data) -> ResolvedFilter:
    """The dashboard's filters from a query dict (raises ``FilterError``)."""

    def get(name):
        value = data.get(name)
        return value if value not in (None, "") else None

    return OutcomeFilter.parse(
        programme=get("programme"),
        academic_year=get("academic_year"),
        local_authority=get("local_authority"),
        year_group=get("year_group"),
        breakdown=get("breakdown"),
        compare=get("compare"),
        scopes=SCOPES,
    ).resolve()


def dose_filter(resolved: ResolvedFilter) -> ResolvedFilter:
    """The same filters, broken down by lessons delivered (the engine's dose bands)."""
    f = resolved.filter
    return OutcomeFilter(
        programme=f.programme,
        academic_year=f.academic_year,
        local_authority=f.local_authority,
        school=f.school,
        year_group=f.year_group,
        breakdown="dose",
        compare=f.compare,
        scopes=f.scopes,
    ).resolve()


@dataclass
class Evidence:
    toolkit_entry: str = ""
    headline: str = ""
    url: str = ""
    caution: str = ""
    note: str = ""  # the programme page's own evidence note (rich text, already safe HTML)


@dataclass
class ProgrammeView:
    slug: str
    title: str
    sections: list[presentation.ScaleSection] = field(default_factory=list)
    dose_sections: list[presentation.ScaleSection] = field(default_factory=list)
    fidelity: selectors.Fidelity | None = None
    instruments: list[str] = field(default_factory=list)
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def match_summary(self) -> list[tuple[str, str]]:
        """(scale, "n of m baseline pupils (r%)") at the top scope, for the methods statement."""
        out = []
        for section in self.sections:
            total = section.total
            if total is None:
                continue
            if total.hidden:
                out.append((section.scale_name, total.hidden_text))
            else:
                f = total.row.figures
                if f is None:  # a shown row always carries its figures
                    continue
                out.append(
                    (
                        section.scale_name,
                        f"{f.n_matched:,} of {f.n_baseline:,} baseline pupils matched "
                        f"({presentation.percent(f.match_rate)}; {f.n_exact:,} exactly, {f.n_fuzzy:,} by a "
                        "near-identical own code)",
                    )
                )
        return out


@dataclass
class Dashboard:
    resolved: ResolvedFilter
    table: selectors.PublishedTable
    dose_table: selectors.PublishedTable
    programmes: list[ProgrammeView]
    rules_version: str = RULES_VERSION
    threshold: int = THRESHOLD
    min_schools: int = MIN_SCHOOLS
    caveat: str = selectors.CAVEAT

    @property
    def later_label(self) -> str:
        return presentation.LATER_LABELS.get(self.resolved.filter.compare, "Post")


def cache_key(resolved: ResolvedFilter) -> str:
    versions = selectors.data_versions(p.id for p in resolved.programmes)
    raw = f"{resolved.filter!r}|{sorted(versions.items())}|{RULES_VERSION}"
    return f"{CACHE_PREFIX}:{hashlib.sha256(raw.encode()).hexdigest()}"


def build(resolved: ResolvedFilter, *, use_cache: bool = True) -> Dashboard:
    key = cache_key(resolved) if use_cache else None
    if key:
        found = cache.get(key)
        if found is not None:
            return found
    dashboard = _build(resolved)
    if key:
        cache.set(key, dashboard, CACHE_SECONDS)
    return dashboard


def _build(resolved: ResolvedFilter) -> Dashboard:
    table = selectors.outcome_table(resolved)
    dose_table = selectors.outcome_table(dose_filter(resolved))
    fidelity = selectors.fidelity(resolved)
    instruments = selectors.instrument_versions(resolved)
    sections = presentation.sections(table, chart_prefix="outcome-chart")
    dose_sections = presentation.sections(dose_table, chart_prefix="dose-chart", suffix=", by lessons delivered")
    pages = {p.slug: p for p in ProgrammePage.objects.filter(pk__in=[p.id for p in resolved.programmes])}
    programmes = []
    for ref in resolved.programmes:
        own = [s for s in sections if s.programme == ref.slug]
        if not own and ref.slug not in fidelity:
            continue
        page = pages.get(ref.slug)
        evidence = Evidence()
        if page is not None:
            found = evidence_for(page.toolkit_entry)
            if found:
                evidence = Evidence(found.entry, found.headline, found.url, found.caution)
            evidence.note = page.evidence_note or ""
        programmes.append(
            ProgrammeView(
                slug=ref.slug,
                title=ref.title,
                sections=own,
                dose_sections=[s for s in dose_sections if s.programme == ref.slug],
                fidelity=fidelity.get(ref.slug),
                instruments=instruments.get(ref.slug, []),
                evidence=evidence,
            )
        )
    return Dashboard(resolved=resolved, table=table, dose_table=dose_table, programmes=programmes)
