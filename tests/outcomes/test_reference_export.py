"""End to end against published results: R's ``sleep`` data and Lakens' (2013) film ratings
are imported as paper responses through the real import service, spread over 3 schools;
the outbox relay refreshes the rollups (no manual rebuild) and ``export_outcomes`` must give
R's numbers in the region row.

Mapping the reference values onto a 1-5 answer scale (and undoing it when checking):

- Lakens' ratings 6-10 are answered as rating - 5 on every item of a 4-item scale (reverse-
  keyed items with 6 minus it), so a score is the rating less 5: means move by 5, changes,
  intervals and every standardised statistic are unchanged.
- ``sleep`` has one decimal and spans -1.6 to 5.5, so it needs a finer grid: a 20-item
  scale whose keyed answers add up to 36 + 10 x value gives score = 1.8 + value / 2. t, df,
  p, r, d_z, g_av, Wilcoxon and Welch do not change under this affine map; the change, its
  interval, means and SDs are halved, so the test doubles them back.

Expected values are R's printed output (docs/outcomes-statistics.md#paired-analysis-pairedpaired_summary) or, where the notes
round, SciPy on the raw lists (an independent path: no rollup, no grid).
"""

from __future__ import annotations

import csv
import io
import statistics

import pytest
from scipy import stats

from outcomes.stats.disclosure import RULES_VERSION
from surveys.services.importing import responses_import
from surveys.services.outbox import outbox_relay
from tests.outcomes.helpers import closed_class, export_rows, make_pupil, programme_page, region_row
from tests.outcomes.stats.reference import LAKENS_MOVIE_1, LAKENS_MOVIE_2, SLEEP_GROUP_1, SLEEP_GROUP_2
from tests.surveys.factories import make_version

pytestmark = pytest.mark.django_db

TOL = 1e-4
P_TOL = 1e-5


def _instrument(n_items: int, code: str):
    items = [(f"{code.upper()}_{i:02d}", f"Question {i}.", code, "agree5", i % 2 == 0) for i in range(1, n_items + 1)]
    return make_version(scales=[(code, code.title(), True)], items=items, max_age=16), [c for c, *_ in items]


def _paper_file(programme, version, item_codes, baseline_keyed, post_keyed) -> tuple[str, list]:
    """Three schools in three local authorities; pupil i goes to school i mod 3. Each row
    answers every item; ``*_keyed(i)`` gives the keyed values, reverse-keyed items get 6
    minus the value on paper."""
    classes = [
        closed_class(programme=programme, version=version, authority_slug=slug)
        for slug in ("coventry", "dudley", "walsall")
    ]
    reverse = {code: item.reverse_keyed for code in item_codes for item in version.items.filter(code=code)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["school_urn", "group", "year_group", "wave", "participant_code", "gender", "ethnicity", *item_codes]
    )
    for i in range(len(SLEEP_GROUP_1)):
        group, baseline, _post = classes[i % 3]
        pupil = make_pupil(baseline)
        for wave, keyed in (("baseline", baseline_keyed(i)), ("post", post_keyed(i))):
            answers = [6 - value if reverse[code] else value for code, value in zip(item_codes, keyed, strict=True)]
            writer.writerow([group.school.urn, group.name, group.year_group, wave, pupil.card_code, "", "", *answers])
    return out.getvalue(), classes


def _spread(total: int, n_items: int) -> list[int]:
    """n_items answers from 1 to 5 adding up to ``total``."""
    base, extra = divmod(total, n_items)
    return [base + 1] * extra + [base] * (n_items - extra)


def _import_and_relay(text: str) -> None:
    result = responses_import(text=text)
    assert result.created == 20
    relayed = outbox_relay()
    assert relayed.sent >= 1 and relayed.dead_lettered == 0


def test_sleep_reference_comes_out_of_the_export_region_row():
    programme = programme_page()
    version, codes = _instrument(20, "sleep")

    def keyed(values):
        return lambda i: _spread(36 + round(10 * values[i]), 20)

    # R: t.test(extra[group == 1], extra[group == 2], paired = TRUE): post = group 1.
    text, _classes = _paper_file(programme, version, codes, keyed(SLEEP_GROUP_2), keyed(SLEEP_GROUP_1))
    _import_and_relay(text)

    row = region_row(export_rows("--programme", programme.slug), "sleep")

    def num(column: str) -> float:
        return float(row[column])

    assert row["suppressed"] == "" and row["rules_version"] == RULES_VERSION
    assert (row["n_schools"], row["n_baseline"], row["n_post"], row["n_matched"]) == ("3", "10", "10", "10")
    assert num("match_rate") == 1.0 and row["small_sample"] == "true"
    assert 2 * num("mean_change") == pytest.approx(-1.58, abs=TOL)
    assert 2 * num("ci_low") == pytest.approx(-2.4598858, abs=TOL)
    assert 2 * num("ci_high") == pytest.approx(-0.7001142, abs=TOL)
    assert num("t") == pytest.approx(-4.062128, abs=TOL)
    assert row["df"] == "9"
    assert num("p_value") == pytest.approx(0.0028329, abs=P_TOL)
    assert num("p_holm") == pytest.approx(0.0028329, abs=P_TOL)  # a family of one scale
    assert row["wilcoxon_method"] == "normal approximation with continuity correction"
    assert num("wilcoxon_p") == pytest.approx(0.0090907, abs=P_TOL)
    assert num("wilcoxon_v") == 0
    assert num("d_z") == pytest.approx(-1.2846, abs=TOL)
    assert num("g_av") == pytest.approx(-0.7983, abs=TOL)
    assert num("d_av") == pytest.approx(-0.8335, abs=TOL)
    assert num("d_rm") == pytest.approx(-0.8222, abs=TOL)
    assert num("r_pre_post") == pytest.approx(0.79517, abs=TOL)
    assert num("welch_p") == pytest.approx(0.0793941, abs=P_TOL)
    assert num("welch_t") == pytest.approx(-1.8608, abs=TOL)
    assert num("welch_df") == pytest.approx(17.776, abs=1e-3)
    assert row["fragile"] == "false"  # same sign; the intervals overlap
    assert 2 * (num("baseline_mean") - 1.8) == pytest.approx(statistics.mean(SLEEP_GROUP_2), abs=TOL)
    assert 2 * (num("post_mean") - 1.8) == pytest.approx(statistics.mean(SLEEP_GROUP_1), abs=TOL)
    assert 2 * num("baseline_sd") == pytest.approx(statistics.stdev(SLEEP_GROUP_2), abs=TOL)
    assert 2 * num("post_sd") == pytest.approx(statistics.stdev(SLEEP_GROUP_1), abs=TOL)
    assert row["higher_is_better"] == "true"
    assert "not proof of impact" in row["caveat"]


def test_lakens_film_ratings_come_out_of_the_export_region_row():
    programme = programme_page()
    version, codes = _instrument(4, "film")
    text, _classes = _paper_file(
        programme,
        version,
        codes,
        lambda i: [LAKENS_MOVIE_2[i] - 5] * 4,
        lambda i: [LAKENS_MOVIE_1[i] - 5] * 4,
    )
    _import_and_relay(text)

    row = region_row(export_rows("--programme", programme.slug, "--compare", "post"), "film")

    def num(column: str) -> float:
        return float(row[column])

    welch = stats.ttest_ind(LAKENS_MOVIE_1, LAKENS_MOVIE_2, equal_var=False)
    assert row["suppressed"] == "" and row["n_matched"] == "10"
    assert num("mean_change") == pytest.approx(1.0, abs=TOL)
    assert num("ci_low") == pytest.approx(0.5231, abs=TOL)
    assert num("ci_high") == pytest.approx(1.4769, abs=TOL)
    assert num("t") == pytest.approx(4.7434, abs=TOL)
    assert num("p_value") == pytest.approx(0.001054, abs=P_TOL)
    assert num("r_pre_post") == pytest.approx(0.72554, abs=TOL)
    assert num("d_z") == pytest.approx(1.5000, abs=TOL)
    assert num("d_av") == pytest.approx(1.1287, abs=TOL)
    assert num("g_av") == pytest.approx(1.0810, abs=TOL)
    assert num("d_rm") == pytest.approx(1.1113, abs=TOL)
    assert num("wilcoxon_v") == 36
    assert num("wilcoxon_p") == pytest.approx(0.01028, abs=P_TOL)
    assert row["wilcoxon_method"] == "normal approximation with continuity correction"
    assert num("welch_t") == pytest.approx(2.5175, abs=TOL)
    assert num("welch_t") == pytest.approx(welch.statistic, abs=TOL)
    assert num("welch_p") == pytest.approx(welch.pvalue, abs=P_TOL)
    assert num("baseline_mean") + 5 == pytest.approx(7.7, abs=TOL)
    assert num("post_mean") + 5 == pytest.approx(8.7, abs=TOL)
    assert num("baseline_sd") == pytest.approx(0.9487, abs=TOL)
    assert num("post_sd") == pytest.approx(0.8233, abs=TOL)
