"""The one filter object every reader of outcome figures uses: ``export_outcomes`` today, the
dashboard and its CSV download later. Parse raw strings with ``OutcomeFilter.parse`` (bad
input raises ``FilterError`` with messages for a person), then ``resolve()`` the names
against the database (an unknown programme or school is a ``FilterError`` too).

Filters of two kinds:
- data filters restrict which pupils count: programme, academic year, year group, and the
  wave pair (``compare``). Each publishes a complement (all years less this one), which the
  disclosure rules take into account.
- place filters choose which scopes are shown: ``local_authority`` shows that authority, its
  schools and classes; ``school`` shows the school and its classes. The figures of a scope
  are always its whole figures; a place filter never makes a smaller "region".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accounts.models import LocalAuthority, School
from lessons.models import YEAR_GROUPS, ProgrammePage

from .models import Compare

SCOPES = ("region", "local_authority", "school", "class")
BREAKDOWNS = ("gender", "ethnicity", "year_group", "dose")
YEARS = range(2000, 2101)
YEAR_GROUP_VALUES = tuple(value for value, _ in YEAR_GROUPS)


class FilterError(ValueError):
    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__(" ".join(messages))


@dataclass(frozen=True)
class ProgrammeRef:
    id: int
    slug: str
    title: str


@dataclass(frozen=True)
class OutcomeFilter:
    programme: str | None = None
    academic_year: int | None = None
    local_authority: str | None = None
    school: str | None = None
    year_group: int | None = None
    breakdown: str | None = None
    compare: str = Compare.POST
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def parse(
        cls,
        *,
        programme: str | None = None,
        academic_year: str | int | None = None,
        local_authority: str | None = None,
        school: str | None = None,
        year_group: str | int | None = None,
        breakdown: str | None = None,
        compare: str | None = None,
        scopes: str | tuple[str, ...] | list[str] | None = None,
    ) -> OutcomeFilter:
        """From raw strings (command-line options, later query parameters). Empty means
        "not filtered"."""
        errors: list[str] = []

        def text(value) -> str | None:
            value = (str(value) if value is not None else "").strip()
            return value or None

        def number(value, name: str, allowed, hint: str) -> int | None:
            value = text(value)
            if value is None:
                return None
            if not re.fullmatch(r"\d{1,4}", value) or int(value) not in allowed:
                errors.append(f"'{value}' is not a valid {name}: {hint}.")
                return None
            return int(value)

        year = number(academic_year, "academic year", YEARS, "give the year the school year starts, e.g. 2026")
        year_group_value = number(
            year_group,
            "year group",
            YEAR_GROUP_VALUES,
            f"use a number from {YEAR_GROUP_VALUES[0]} to {YEAR_GROUP_VALUES[-1]}",
        )
        urn = text(school)
        if urn is not None and not re.fullmatch(r"\d{6}", urn):
            errors.append(f"'{urn}' is not a school URN: a URN is the school's six-digit DfE number.")
        breakdown_value = text(breakdown)
        if breakdown_value is not None:
            breakdown_value = breakdown_value.lower().replace("-", "_")
            if breakdown_value == "ethnic_group":
                breakdown_value = "ethnicity"
            if breakdown_value not in BREAKDOWNS:
                errors.append(f"'{breakdown}' is not a breakdown: use {', '.join(BREAKDOWNS)}.")
        compare_value = (text(compare) or Compare.POST).lower().replace("-", "_")
        if compare_value not in Compare.values:
            errors.append(f"'{compare}' is not a comparison: use post or follow_up.")
        if isinstance(scopes, str):
            scopes = [part.strip() for part in scopes.split(",") if part.strip()]
        scope_values = tuple(scopes) if scopes else SCOPES
        unknown = [scope for scope in scope_values if scope not in SCOPES]
        if unknown:
            errors.append(f"'{', '.join(unknown)}' is not a scope: use {', '.join(SCOPES)}.")
        if errors:
            raise FilterError(errors)
        return cls(
            programme=text(programme),
            academic_year=year,
            local_authority=text(local_authority),
            school=urn,
            year_group=year_group_value,
            breakdown=breakdown_value,
            compare=compare_value,
            scopes=tuple(scope for scope in SCOPES if scope in scope_values),
        )

    def resolve(self) -> ResolvedFilter:
        """Look the names up. Raises ``FilterError`` naming what is unknown."""
        errors: list[str] = []
        programmes = ProgrammePage.objects.order_by("title")
        if self.programme is not None:
            programmes = programmes.filter(slug=self.programme)
        refs = tuple(ProgrammeRef(p.pk, p.slug, p.title) for p in programmes.only("pk", "slug", "title"))
        if self.programme is not None and not refs:
            known = ", ".join(ProgrammePage.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
            errors.append(f"No programme has the slug '{self.programme}'. Programmes: {known}.")
        authority = None
        if self.local_authority is not None:
            authority = LocalAuthority.objects.filter(slug=self.local_authority).first()
            if authority is None:
                known = ", ".join(LocalAuthority.objects.order_by("slug").values_list("slug", flat=True))
                errors.append(f"No local authority has the slug '{self.local_authority}'. Local authorities: {known}.")
        school = None
        if self.school is not None:
            school = School.objects.filter(urn=self.school).first()
            if school is None:
                errors.append(f"No school has the URN {self.school}.")
            elif authority is not None and school.local_authority_id != authority.pk:
                errors.append(f"{school.name} is not in {authority.name}.")
        if errors:
            raise FilterError(errors)
        return ResolvedFilter(filter=self, programmes=refs, local_authority=authority, school=school)


@dataclass(frozen=True)
class ResolvedFilter:
    filter: OutcomeFilter
    programmes: tuple[ProgrammeRef, ...]
    local_authority: LocalAuthority | None = None
    school: School | None = None
    data_filters: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(name for name in ("academic_year", "year_group") if getattr(self.filter, name) is not None)
        object.__setattr__(self, "data_filters", names)

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes shown: a place filter starts the hierarchy at that place."""
        if self.school is not None:
            allowed = {"school", "class"}
        elif self.local_authority is not None:
            allowed = {"local_authority", "school", "class"}
        else:
            allowed = set(SCOPES)
        return tuple(scope for scope in self.filter.scopes if scope in allowed)

    def rollup_filter(self, *, without: str | None = None) -> dict:
        """ORM lookups shared by class and area rollups for the data filters (``without``
        leaves one out, for its complement)."""
        lookups: dict = {"compare": self.filter.compare}
        if self.filter.academic_year is not None and without != "academic_year":
            lookups["academic_year"] = self.filter.academic_year
        if self.filter.year_group is not None and without != "year_group":
            lookups["year_group"] = self.filter.year_group
        return lookups
