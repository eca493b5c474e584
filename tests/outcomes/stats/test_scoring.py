from fractions import Fraction

import pytest

from outcomes.stats.scoring import (
    ItemKey,
    grid_unit,
    keyed_value,
    min_answered,
    scale_score,
    scale_score_units,
)

FIVE_POINT = ItemKey(reverse_keyed=False, lo=1, hi=5)
FIVE_POINT_REVERSED = ItemKey(reverse_keyed=True, lo=1, hi=5)
# A five-item scale with items 2 and 4 reverse-keyed.
KEYS_5 = [FIVE_POINT, FIVE_POINT_REVERSED, FIVE_POINT, FIVE_POINT_REVERSED, FIVE_POINT]


def test_min_answered_is_the_ceiling_of_four_fifths_in_integers():
    assert [min_answered(k) for k in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)] == [1, 2, 3, 4, 4, 5, 6, 7, 8, 8]
    assert min_answered(10, fraction=Fraction(1, 2)) == 5


def test_min_answered_refuses_an_empty_scale_or_a_bad_fraction():
    with pytest.raises(ValueError):
        min_answered(0)
    with pytest.raises(ValueError):
        min_answered(5, fraction=Fraction(6, 5))


def test_grid_unit_is_the_lcm_of_the_possible_divisors():
    assert grid_unit(5) == 20  # a in {4, 5}
    assert grid_unit(10) == 360  # a in {8, 9, 10}
    assert grid_unit(4) == 4  # every item needed
    assert grid_unit(1) == 1


def test_keyed_value_reverses_only_reverse_keyed_items():
    assert [keyed_value(v, FIVE_POINT_REVERSED) for v in (1, 2, 3, 4, 5)] == [5, 4, 3, 2, 1]
    assert keyed_value(2, FIVE_POINT) == 2
    assert keyed_value(0, ItemKey(reverse_keyed=True, lo=0, hi=3)) == 3


def test_keyed_value_refuses_an_answer_outside_the_range():
    with pytest.raises(ValueError):
        keyed_value(6, FIVE_POINT)


def test_most_positive_answers_with_reverse_keyed_items_score_the_maximum():
    # A pupil at the top of the scale ticks 5 on positive items and 1 on reverse-keyed ones.
    answers = [5, 1, 5, 1, 5]
    assert scale_score(answers, KEYS_5) == 5
    assert scale_score_units(answers, KEYS_5) == 5 * grid_unit(5)
    # Ticking 5 everywhere is not the maximum: the reverse-keyed items count as 1.
    assert scale_score([5, 5, 5, 5, 5], KEYS_5) == Fraction(17, 5)


def test_four_of_five_answered_is_scored_three_of_five_is_not():
    assert scale_score([4, None, 3, 2, 5], KEYS_5) == Fraction(4 + 3 + 4 + 5, 4)
    assert scale_score([4, None, None, 2, 5], KEYS_5) is None
    assert scale_score_units([4, None, None, 2, 5], KEYS_5) is None


def test_eight_of_ten_answered_is_scored_seven_is_not():
    keys = [FIVE_POINT] * 10
    eight = [3, 3, 3, 3, 3, 3, 3, 4, None, None]
    seven = [3, 3, 3, 3, 3, 3, 3, None, None, None]
    assert scale_score(eight, keys) == Fraction(25, 8)
    assert scale_score_units(eight, keys) == 25 * 360 // 8
    assert scale_score(seven, keys) is None


def test_missing_answers_never_enter_the_mean():
    # "Don't know" and "Prefer not to say" arrive as None: the mean is over the four answered.
    assert scale_score([1, None, 1, 5, 1], KEYS_5) == Fraction(1 + 1 + 1 + 1, 4)


def test_every_scorable_answer_set_is_an_integer_in_grid_units():
    keys = [FIVE_POINT] * 10
    unit = grid_unit(10)
    for answered in (8, 9, 10):
        for total in range(answered, 5 * answered + 1):
            # Spread `total` over `answered` items within 1..5.
            values: list[int | None] = []
            remaining = total
            for slot in range(answered):
                left = answered - slot - 1
                v = min(5, remaining - left)
                values.append(v)
                remaining -= v
            values += [None] * (10 - answered)
            units = scale_score_units(values, keys)
            assert isinstance(units, int)
            assert Fraction(units, unit) == Fraction(total, answered)


def test_a_unit_that_cannot_hold_the_score_is_refused_not_rounded():
    with pytest.raises(ValueError):
        scale_score_units([1, 2, 3, 4, None], KEYS_5, unit=5)  # 10/4 x 5 is not an integer
    assert scale_score_units([1, 2, 3, 4, None], [FIVE_POINT] * 5, unit=40) == 100


def test_answers_and_keys_must_line_up():
    with pytest.raises(ValueError):
        scale_score([1, 2, 3], KEYS_5)


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_answering_v_and_six_minus_v_on_reverse_keyed_items_scores_v(value):
    # How the end-to-end reference import writes a reference value onto a five-point scale.
    answers = [6 - value if key.reverse_keyed else value for key in KEYS_5]
    assert scale_score(answers, KEYS_5) == value
    assert scale_score_units(answers, KEYS_5) == value * grid_unit(5)
