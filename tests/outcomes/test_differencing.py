"""Cross-table differencing audit (issue 9): what can a person work out by combining every
table they can obtain, from every surface and every filter?

Each published table is disclosure-checked on its own (``outcomes.stats.disclosure``). This
test checks the union. On a small randomised region (three local authorities, one of them
with only 2 schools; classes with fewer than 10 matched pupils; small "other" and "prefer
not to say" groups; a year group with few pupils; two academic years; classes at every
dose) it collects, per role, every table that role can see:

- **VRU officer**: the dashboard (``outcomes.dashboard.build``, which is also what its CSV,
  ``export_outcomes --scope region,local_authority`` and the regional PDF print; see
  ``test_same_figures``) for every combination of academic year, local authority, year group
  and breakdown (none, gender, ethnic group, year group; the dose table the dashboard builds
  beside each), and the public evidence block;
- **the public**: the evidence block's statements (``outcome_evidence.headline``) for every
  academic year and for all years;
- **a school lead**: their own school's data, every pupil cell of it (a lead is allowed to
  know it), their school results page's rows (school and each class, every year) and the
  public block;
- **a teacher**: their own class's cells, its rows, and the public block.

Then, per scale, it decides by linear algebra whether any protected quantity lies in the
span of what the role sees. The unknowns are the finest cells: class x gender x ethnic
group (the year group, academic year, school, local authority and dose of a class are
known to everyone, and modelled as such). A shown row publishes its matched n exactly, and
through its mean and SD (printed in full in the CSV) the exact sums behind them; every such
quantity is the row's indicator vector applied to the finest cells' quantities, so one rank
test decides them all: a quantity is worked out exactly when its indicator vector lies in
the row space of the shown rows' vectors. Nothing is rounded on these surfaces
(``stats.disclosure``: counts are not rounded), so nothing is modelled as rounded; a hidden
row publishes nothing.

Protected quantities: every group of pupils a table could name (scope x subgroup x academic
year x year group, and every finest cell) with 1 to 9 matched pupils, and, for the officer
and the public, every such group from fewer than 3 schools (a school's or class's figures
included). A lead or teacher may subtract what they know: for them the protected part of a
group is what is left after taking out their own school or class, protected when it has
1 to 9 pupils or comes from a single school (at least 2 other schools combined is what the
3-schools rule allows, docs/outcomes-statistics.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pytest
from django.utils import timezone

from outcomes import dashboard, services
from outcomes.models import NOT_RECORDED, ClassRollup, Dimension
from outcomes.selectors import ALL, MERGEABLE, FigureRow
from outcomes.services import DOSE_CODES
from outcomes.staff_views import school_rows
from outcomes.stats.disclosure import MIN_SCHOOLS, THRESHOLD
from outcomes.templatetags.outcome_evidence import headline
from surveys.models import Response
from tests.factories import SchoolFactory
from tests.lessons.factories import LessonDeliveryFactory, LessonPageFactory
from tests.outcomes.helpers import answer, authority, closed_class, make_pupil, outcome_version, programme_page

pytestmark = pytest.mark.django_db

GENDERS = [*Response.Gender.values, NOT_RECORDED]
ETHNIC = [*Response.EthnicGroup.values, NOT_RECORDED]
YEARS = (2025, 2026)
YEAR_GROUPS = (7, 8, 9)
PLACES = {"coventry": 4, "walsall": 3, "dudley": 2}  # Dudley: fewer than 3 schools


@dataclass(frozen=True)
class Klass:
    pk: int
    school: str  # URN
    authority: str  # slug
    year_group: int
    academic_year: int
    dose: str = ""


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build_world(seed: int) -> dict:
    """The randomised region: returns the classes and each class's pupils' (gender, ethnic
    group) as stored (``NOT_RECORDED`` when not given), matched pupils only."""
    rng = random.Random(seed)
    version, programme = outcome_version(), programme_page()
    lessons = [LessonPageFactory(parent=programme, title=f"Lesson {i}") for i in range(4)]
    during = timezone.localdate() - dt.timedelta(days=20)
    pupils: dict[int, list[tuple[str, str]]] = {}
    classes: list[Klass] = []
    small_year_group_done = 0
    for slug, n_schools in PLACES.items():
        for _ in range(n_schools):
            school = SchoolFactory(local_authority=authority(slug))
            for _ in range(rng.choice((1, 2))):
                year_group = rng.choice(YEAR_GROUPS[:2])
                size = rng.choice((6, 8, 11, 12, 14, 16, 18))
                if small_year_group_done < 2 and rng.random() < 0.4:
                    # Year 9: few pupils in the whole region, at no more than 2 schools.
                    year_group, size = 9, rng.choice((4, 5, 6))
                    small_year_group_done += 1
                group, baseline, post = closed_class(
                    programme=programme,
                    version=version,
                    school=school,
                    year_group=year_group,
                    academic_year=rng.choice(YEARS),
                )
                cells = []
                for _pupil in range(size):
                    gender = _pick(rng, {"girl": 46, "boy": 46, "other": 4, "pns": 2, "": 2})
                    ethnic = _pick(rng, {"white": 58, "asian": 20, "black": 10, "mixed": 6, "other": 3, "pns": 3})
                    participant = make_pupil(baseline)
                    level = rng.randint(1, 4)
                    answer(baseline, participant, _values(rng, level), gender=gender, ethnic_group=ethnic)
                    answer(post, participant, _values(rng, level + 1), gender=gender, ethnic_group=ethnic)
                    cells.append((gender or NOT_RECORDED, ethnic or NOT_RECORDED))
                for lesson in lessons[: rng.randint(1, 4)]:
                    LessonDeliveryFactory(group=group, lesson=lesson, delivered_on=during)
                pupils[group.pk] = cells
                classes.append(Klass(group.pk, school.urn, slug, year_group, group.academic_year))
    services.class_pairs_refresh(keys=services.all_pair_keys())
    bands = dict(ClassRollup.objects.filter(dimension=Dimension.ALL).values_list("group_id", "dose_band"))
    classes = [
        Klass(k.pk, k.school, k.authority, k.year_group, k.academic_year, DOSE_CODES.get(bands.get(k.pk), NOT_RECORDED))
        for k in classes
    ]
    return {"programme": programme, "classes": classes, "pupils": pupils}


def _values(rng: random.Random, level: int) -> dict:
    out = {}
    for code in ("SAF_01", "SAF_02", "SAF_03", "SAF_04", "SAF_05", "VIO_01", "VIO_02", "VIO_03"):
        out[code] = max(1, min(5, level + rng.choice((-1, 0, 1))))
    out["VIO_04"] = rng.randint(1, 3)
    return out


class Space:
    """The finest cells (class x gender x ethnic group) and the indicator vector of a group."""

    def __init__(self, classes: list[Klass], pupils: dict[int, list[tuple[str, str]]]):
        self.classes = classes
        self.columns = [(k, g, e) for k in classes for g in GENDERS for e in ETHNIC]
        self.index = {(k.pk, g, e): i for i, (k, g, e) in enumerate(self.columns)}
        self.truth = np.zeros(len(self.columns))
        for pk, cells in pupils.items():
            for g, e in cells:
                self.truth[self.index[(pk, g, e)]] += 1

    def candidates(self) -> list[tuple[str, np.ndarray]]:
        if not hasattr(self, "_candidates"):
            self._candidates = candidate_groups(self)
        return self._candidates

    def vector(self, select) -> np.ndarray:
        return np.array([1.0 if select(k, g, e) else 0.0 for k, g, e in self.columns])

    def n(self, v: np.ndarray) -> int:
        return int(round(float(v @ self.truth)))

    def schools(self, v: np.ndarray) -> set[str]:
        return {k.school for (k, _g, _e), x, t in zip(self.columns, v, self.truth, strict=True) if x and t}

    def group(self, scope: tuple[str, str], subgroup: str, year: int | None, year_group: int | None) -> np.ndarray:
        level, ident = scope
        if subgroup != ALL:
            dimension, category = subgroup.split(":", 1)
            members = set(category.split("+"))

        def select(k: Klass, g: str, e: str) -> bool:
            if year is not None and k.academic_year != year:
                return False
            if year_group is not None and k.year_group != year_group:
                return False
            if level == "local_authority" and k.authority != ident:
                return False
            if level == "school" and k.school != ident:
                return False
            if level == "class" and str(k.pk) != ident:
                return False
            if subgroup == ALL:
                return True
            value = {"gender": g, "ethnicity": e, "year_group": str(k.year_group), "dose": k.dose}[dimension]
            return value in members

        return self.vector(select)


def _row_vector(space: Space, row: FigureRow, year: int | None, year_group: int | None) -> np.ndarray:
    return space.group((row.scope, row.scope_id), row.subgroup, year, year_group)


class Seen:
    """What one role has seen, per scale: the published vectors."""

    def __init__(self, space: Space):
        self.space = space
        self.rows: dict[str, list[np.ndarray]] = defaultdict(list)
        self.tables = 0
        self.shown_rows = 0

    def add_rows(self, rows: list[FigureRow], *, year: int | None, year_group: int | None) -> None:
        self.tables += 1
        for row in rows:
            if not row.suppressed:
                self.shown_rows += 1
                self.rows[row.scale].append(_row_vector(self.space, row, year, year_group))

    def know(self, scales, select) -> None:
        """Cells the role knows anyway (their own school or class): one unit row each."""
        for i, (k, _g, _e) in enumerate(self.space.columns):
            if select(k):
                unit = np.zeros(len(self.space.columns))
                unit[i] = 1.0
                for scale in scales:
                    self.rows[scale].append(unit)

    def basis(self, scale: str) -> np.ndarray:
        matrix = np.array(self.rows[scale]) if self.rows[scale] else np.zeros((1, len(self.space.columns)))
        _u, s, vt = np.linalg.svd(matrix, full_matrices=False)
        rank = int((s > max(matrix.shape) * np.finfo(float).eps * max(float(s.max()), 1.0)).sum())
        return vt[:rank]


def determined(basis: np.ndarray, v: np.ndarray) -> bool:
    """The rank test: v lies in the row space of the published vectors."""
    residual = v - basis.T @ (basis @ v) if basis.size else v
    return float(np.linalg.norm(residual)) < 1e-8 * max(1.0, float(np.linalg.norm(v)))


def candidate_groups(space: Space) -> list[tuple[str, np.ndarray]]:
    """Every group a table could name, and every finest cell, as (description, vector)."""
    scopes = [("region", "")]
    scopes += [("local_authority", slug) for slug in PLACES]
    scopes += sorted({("school", k.school) for k in space.classes})
    scopes += [("class", str(k.pk)) for k in space.classes]
    merged = "+".join(MERGEABLE)
    subgroups = [ALL]
    subgroups += [f"gender:{g}" for g in GENDERS] + [f"gender:{merged}"]
    subgroups += [f"ethnicity:{e}" for e in ETHNIC] + [f"ethnicity:{merged}"]
    subgroups += [f"year_group:{y}" for y in YEAR_GROUPS]
    subgroups += [f"dose:{code}" for code in {k.dose for k in space.classes}]
    found: dict[bytes, tuple[str, np.ndarray]] = {}
    for scope, sub, year, yg in itertools.product(scopes, subgroups, (None, *YEARS), (None, *YEAR_GROUPS)):
        v = space.group(scope, sub, year, yg)
        if v.any():
            found.setdefault(v.tobytes(), (f"{scope[0]} {scope[1]} / {sub} / year {year} / year group {yg}", v))
    for i, (k, g, e) in enumerate(space.columns):
        v = np.zeros(len(space.columns))
        v[i] = 1.0
        found.setdefault(v.tobytes(), (f"class {k.pk} / gender {g} / ethnic group {e}", v))
    return list(found.values())


def leaks(seen: Seen, scales: list[str], *, own=None) -> list[str]:
    """Protected quantities the role can work out. ``own(klass)`` marks the classes the role
    knows anyway: the protected part of a group is then what is left without them."""
    space = seen.space
    out = []
    candidates = space.candidates()
    for scale in scales:
        basis = seen.basis(scale)
        for name, v in candidates:
            if own is not None:
                v = v * np.array([0.0 if own(k) else 1.0 for k, _g, _e in space.columns])
            n, schools = space.n(v), space.schools(v)
            if n == 0:
                continue
            if own is None:
                protected = n < THRESHOLD or len(schools) < MIN_SCHOOLS
            else:
                protected = n < THRESHOLD or len(schools) < 2
            if protected and determined(basis, v):
                out.append(f"{scale}: {name} (n={n}, schools={len(schools)})")
    return sorted(set(out))


def _public(seen: Seen, programme) -> None:
    for year in (None, *YEARS):
        statements = headline(programme, academic_year=year).statements
        seen.tables += 1
        for statement in statements:
            if statement.shown:
                seen.shown_rows += 1
                seen.rows[statement.scale].append(seen.space.group(("region", ""), ALL, year, None))


def officer_view(space: Space, programme) -> Seen:
    seen = Seen(space)
    for year, place, year_group, breakdown in itertools.product(
        (None, *YEARS), (None, *PLACES), (None, *YEAR_GROUPS), ("", "gender", "ethnicity", "year_group")
    ):
        query = {
            "programme": programme.slug,
            "academic_year": year or "",
            "local_authority": place or "",
            "year_group": year_group or "",
            "breakdown": breakdown,
        }
        board = dashboard.build(dashboard.parse(query), use_cache=False)
        seen.add_rows(board.table.rows, year=year, year_group=year_group)
        if not breakdown:
            seen.add_rows(board.dose_table.rows, year=year, year_group=year_group)
    _public(seen, programme)
    return seen


@pytest.fixture
def world(reference_data):
    return build_world(seed=20261202)


def _scales(seen: Seen) -> list[str]:
    return sorted(seen.rows)


def test_the_region_has_what_the_audit_needs(world):
    """The randomised region really has the small groups the audit is about: classes under
    10, an authority with fewer than 3 schools, a small year group, small gender and ethnic
    categories, and both academic years."""
    space = Space(world["classes"], world["pupils"])
    sizes = {k.pk: len(world["pupils"][k.pk]) for k in world["classes"]}
    assert any(n < THRESHOLD for n in sizes.values())
    assert any(n >= THRESHOLD for n in sizes.values())
    assert space.n(space.group(("region", ""), "year_group:9", None, None)) > 0
    assert space.n(space.group(("region", ""), "gender:other", None, None)) < 30
    assert {k.academic_year for k in world["classes"]} == set(YEARS)
    # The stored rollups agree with the pupils the audit models.
    stored = dict(
        ClassRollup.objects.filter(dimension=Dimension.ALL, scale_code="safety").values_list("group_id", "n_matched")
    )
    assert stored == sizes


def test_officer_cannot_work_out_a_small_group_from_every_dashboard_table(world):
    space = Space(world["classes"], world["pupils"])
    seen = officer_view(space, world["programme"])
    assert seen.shown_rows > 100  # the audit looks at real figures, not an empty dashboard
    found = leaks(seen, _scales(seen))
    assert found == [], "\n".join(found)


def test_public_cannot_work_out_a_small_group(world):
    space = Space(world["classes"], world["pupils"])
    seen = Seen(space)
    _public(seen, world["programme"])
    assert seen.shown_rows > 0
    assert leaks(seen, _scales(seen)) == []


def test_school_lead_learns_nothing_smaller_than_two_other_schools(world):
    """A lead knows their school; with the public block they can take it out of the region
    (what is left is the other schools combined, at least 2 of them when the region shows),
    and nothing else."""
    space = Space(world["classes"], world["pupils"])
    programme = world["programme"]
    by_school: dict[str, list[Klass]] = defaultdict(list)
    for k in world["classes"]:
        by_school[k.school].append(k)
    from accounts.models import School

    checked = 0
    for urn in sorted(by_school):
        school = School.objects.get(urn=urn)
        seen = Seen(space)
        _public(seen, programme)
        for year in sorted({k.academic_year for k in by_school[urn]}):
            seen.add_rows(school_rows(school, year, "post"), year=year, year_group=None)
        scales = _scales(seen) or ["safety", "violence"]
        seen.know(scales, lambda k, urn=urn: k.school == urn)
        found = leaks(seen, scales, own=lambda k, urn=urn: k.school == urn)
        assert found == [], f"lead of {urn}:\n" + "\n".join(found)
        checked += 1
    assert checked == len(by_school)


def test_teacher_learns_nothing_beyond_their_class_and_the_public_figures(world):
    space = Space(world["classes"], world["pupils"])
    programme = world["programme"]
    from accounts.models import School

    for k in world["classes"]:
        seen = Seen(space)
        _public(seen, programme)
        rows = school_rows(School.objects.get(urn=k.school), k.academic_year, "post")
        seen.add_rows(
            [r for r in rows if r.scope == "class" and r.scope_id == str(k.pk)], year=k.academic_year, year_group=None
        )
        scales = _scales(seen) or ["safety", "violence"]
        seen.know(scales, lambda other, pk=k.pk: other.pk == pk)
        found = leaks(seen, scales, own=lambda other, pk=k.pk: other.pk == pk)
        assert found == [], f"teacher of class {k.pk}:\n" + "\n".join(found)
