"""Property: figures combined from rollups equal figures computed from the raw answers.

Hypothesis draws pupils for three classes in three local authorities: each pupil answers
at baseline, at post or both, with a card or without one, and leaves random items as
"Don't know", "Prefer not to say" or skipped. Every class also has four pupils who answer
everything at both waves, so the region row always rests on at least 12 matched pupils
from 3 schools and is published. The rollups are refreshed, the table is exported, and the
region row must equal the statistics of the raw scores, computed here straight from the
answers with ``outcomes.stats.scoring`` and the stats functions: no SQL, no rollup.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import services
from outcomes.models import ClassRollup
from outcomes.stats import clustering, independent, paired
from outcomes.stats.scoring import ItemKey, scale_score_units
from outcomes.stats.sufficient import Moments
from tests.outcomes.helpers import (
    answer,
    closed_class,
    export_rows,
    make_pupil,
    outcome_version,
    programme_page,
    region_row,
)

pytestmark = pytest.mark.django_db

SAFETY = ["SAF_01", "SAF_02", "SAF_03", "SAF_04", "SAF_05"]
KEYS = [ItemKey(reverse_keyed=code in ("SAF_02", "SAF_04"), lo=1, hi=5) for code in SAFETY]
UNIT = 20
GENDERS = ["girl", "boy", "other", "pns", ""]

answer_value = st.one_of(st.integers(1, 5), st.sampled_from(["dk", "pns", "skip"]))
answers = st.lists(answer_value, min_size=5, max_size=5)
full_answers = st.lists(st.integers(1, 5), min_size=5, max_size=5)
pupil = st.fixed_dictionaries(
    {
        "waves": st.sampled_from(["both", "both", "baseline", "post"]),
        "card": st.booleans(),
        "baseline": answers,
        "post": answers,
        "gender": st.sampled_from(GENDERS),
    }
)
core_pupil = st.fixed_dictionaries(
    {
        "waves": st.just("both"),
        "card": st.just(True),
        "baseline": full_answers,
        "post": full_answers,
        "gender": st.sampled_from(GENDERS),
    }
)
class_pupils = st.tuples(st.lists(core_pupil, min_size=4, max_size=4), st.lists(pupil, max_size=10)).map(
    lambda parts: parts[0] + parts[1]
)


@pytest.fixture
def region():
    version, programme = outcome_version(), programme_page()
    classes = [
        closed_class(programme=programme, version=version, authority_slug=slug)
        for slug in ("coventry", "solihull", "wolverhampton")
    ]
    return programme, classes


def _raw(values) -> list[int | None]:
    return [v if isinstance(v, int) else None for v in values]


def _score(values) -> int | None:
    return scale_score_units(_raw(values), KEYS, unit=UNIT)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(class_pupils, min_size=3, max_size=3))
def test_region_figures_from_rollups_equal_the_raw_computation(region, drawn):
    programme, classes = region
    with transaction.atomic():
        pairs, lost, unmatched, class_changes = [], [], [], []
        for (_group, baseline, post), pupils in zip(classes, drawn, strict=True):
            changes = []
            for p in pupils:
                participant = make_pupil(baseline) if p["card"] else None
                x = y = None
                if p["waves"] in ("both", "baseline"):
                    answer(baseline, participant, dict(zip(SAFETY, p["baseline"], strict=True)), gender=p["gender"])
                    x = _score(p["baseline"])
                if p["waves"] in ("both", "post"):
                    answer(post, participant, dict(zip(SAFETY, p["post"], strict=True)), gender=p["gender"])
                    y = _score(p["post"])
                linked = p["waves"] == "both" and p["card"]
                if linked and x is not None and y is not None:
                    pairs.append((x, y))
                    changes.append(y - x)
                else:
                    if x is not None:
                        lost.append(x)
                    if y is not None:
                        unmatched.append(y)
            class_changes.append(changes)
        services.class_pairs_refresh(keys=[(group.pk, "post") for group, _b, _p in classes])

        # Categories partition every class: their sums add up to the class's "all" row.
        for group, _b, _p in classes:
            rows = ClassRollup.objects.filter(group_id=group.pk, scale_code="safety")
            total = rows.get(dimension="all")
            for dimension in ("gender", "ethnicity"):
                parts = rows.filter(dimension=dimension)
                for name in ("n_matched", "sum_x", "sum_yy", "sum_xy", "n_lost", "sumsq_unmatched"):
                    assert sum(getattr(part, name) for part in parts) == getattr(total, name)

        row = region_row(export_rows("--programme", programme.slug, "--scope", "region"), "safety")
        expected = paired.paired_summary_from_pairs(
            [x / UNIT for x, _ in pairs], [y / UNIT for _, y in pairs], unit=UNIT
        )
        matched_base = Moments.from_units((x for x, _ in pairs), UNIT)
        lost_m = Moments.from_units(lost, UNIT)
        all_base = matched_base + lost_m
        all_post = Moments.from_units((y for _, y in pairs), UNIT) + Moments.from_units(unmatched, UNIT)
        welch = independent.welch(all_base, all_post)
        icc = clustering.icc_oneway([Moments.from_units(c, UNIT) for c in class_changes])

        assert row["suppressed"] == ""
        assert int(row["n_matched"]) == len(pairs)
        assert int(row["n_baseline"]) == len(pairs) + len(lost)
        assert int(row["n_post"]) == len(pairs) + len(unmatched)
        _close(row, "baseline_mean", expected.baseline_mean)
        _close(row, "post_sd", expected.post_sd)
        _close(row, "mean_change", expected.mean_change)
        _close(row, "ci_low", expected.ci_low)
        _close(row, "t", expected.t)
        _close(row, "p_value", expected.p_value)
        _close(row, "wilcoxon_p", expected.wilcoxon.p if expected.wilcoxon else None)
        _close(row, "g_av", expected.g_av)
        _close(row, "r_pre_post", expected.r_pre_post)
        _close(row, "welch_p", welch.p_value if welch else None)
        g = independent.hedges_g(matched_base, lost_m)
        _close(row, "matched_vs_lost_g", g)
        _close(row, "icc", icc)
        _close(row, "icc_school", icc)  # one class per school here
        transaction.set_rollback(True)


def _close(row: dict, column: str, expected: float | None) -> None:
    if expected is None:
        assert row[column] == "", column
    else:
        assert float(row[column]) == pytest.approx(expected, rel=1e-9, abs=1e-12), column
