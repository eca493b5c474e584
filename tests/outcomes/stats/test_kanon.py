"""k-anonymity for record-level exports (``outcomes.stats.kanon``): unit cases for each
step of the ladder, and Hypothesis properties: every released record shares its published
values with at least k - 1 others, every published value is true of the record (its value, a
group containing it, or "not shown"), nothing is lost without being counted, and a table
that already satisfies k is released untouched."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.stats.kanon import (
    ETHNIC_BROAD,
    GENDER_BROAD,
    MINORITY,
    NOT_SHOWN,
    NOT_STATED,
    OTHER_OR_NOT_STATED,
    STAGES,
    K,
    Levels,
    Published,
    Record,
    anonymise,
    generalise,
    key_stage,
    smallest_group,
)

GENDERS = ("girl", "boy", "other", "pns", "")
ETHNIC = ("asian", "black", "mixed", "white", "other", "pns", "")


def record(
    *, la="la1", school="s1", group="c1", year=8, gender="girl", ethnic="white", partition=("p", 2026)
) -> Record:
    return Record(
        partition=partition,
        local_authority=la,
        school=school,
        group=group,
        year_group=year,
        gender=gender,
        ethnic_group=ethnic,
    )


def test_k_is_ten():
    assert K == 10


def test_a_table_that_already_satisfies_k_is_released_as_recorded():
    records = [record(gender="girl")] * 10 + [record(gender="boy")] * 12
    result = anonymise(records)
    assert result.report.unchanged == 22 and result.report.dropped == 0 and result.report.coarsened == {}
    assert [p.gender for p in result.published] == ["girl"] * 10 + ["boy"] * 12
    assert result.report.smallest_group == 10


def test_a_small_gender_group_is_merged_into_other_or_not_stated_first():
    # 10 girls, 10 boys, 6 "other" and 4 "prefer not to say": the 10 small ones are merged.
    records = (
        [record(gender="girl")] * 10
        + [record(gender="boy")] * 10
        + [record(gender="other")] * 6
        + [record(gender="pns")] * 4
    )
    result = anonymise(records)
    genders = Counter(p.gender for p in result.published)
    assert genders == {"girl": 10, "boy": 10, OTHER_OR_NOT_STATED: 10}
    assert result.report.coarsened == {("gender", "broader group"): 10}
    assert result.report.unchanged == 20 and result.report.dropped == 0
    # Only the records that failed moved: the girls and boys stayed at the first stage.
    assert result.stages.count(0) == 20


def test_ethnic_groups_are_broadened_then_the_class_hidden_then_the_year_group_becomes_a_key_stage():
    # Two classes of one school, each with 5 "black" and 5 "asian" pupils of year 7 and 8.
    records = []
    for group, year in (("c1", 7), ("c2", 8)):
        records += [record(group=group, year=year, ethnic="black")] * 5
        records += [record(group=group, year=year, ethnic="asian")] * 5
    result = anonymise(records)
    published = set(result.published)
    # Each class holds 10 of the broad group: ethnic group broadened, class still shown.
    assert {p.ethnic_group for p in published} == {MINORITY}
    assert {p.group for p in published} == {"c1", "c2"}
    assert result.report.coarsened == {("ethnic_group", "broader group"): 20}

    # One class of 6 in year 7 and one of 4 in year 8: the class goes, then the year group.
    records = [record(group="c1", year=7)] * 6 + [record(group="c2", year=8)] * 4
    result = anonymise(records)
    assert {(p.group, p.year_group) for p in result.published} == {(NOT_SHOWN, "KS3")}
    assert result.report.coarsened == {("place", "class not shown"): 10, ("year_group", "key stage"): 10}


def test_schools_become_their_authority_and_what_never_reaches_k_is_dropped():
    # Three schools of one authority with 4 pupils each (12 > k once the schools are merged),
    # and 3 pupils in another authority, who never reach 10 and are dropped.
    records = [record(school=s, group=f"{s}-c") for s in ("s1", "s2", "s3") for _ in range(4)]
    records += [record(la="la2", school="s9", group="s9-c")] * 3
    result = anonymise(records)
    kept = [p for p in result.published if p is not None]
    assert len(kept) == 12
    assert result.report.dropped + result.report.released == 15
    assert result.published[-1] is None and result.report.dropped == 3
    assert {p.school for p in kept} == {NOT_SHOWN} and {p.local_authority for p in kept} == {"la1"}
    # The authority stays: gender and ethnic group went first, then the school.
    assert result.report.coarsened[("place", "school not shown")] == 12


def test_partitions_are_never_merged():
    records = [record(partition=("p1", 2026))] * 9 + [record(partition=("p2", 2026))] * 9
    result = anonymise(records)
    assert result.report.dropped == 18 and result.report.released == 0
    assert smallest_group(result.published) is None


def test_generalise_each_level():
    r = record(la="la1", school="s1", group="c1", year=10, gender="pns", ethnic="mixed")
    assert generalise(r, Levels(0, 0, 0, 0)) == Published(("p", 2026), "la1", "s1", "c1", 10, "pns", "mixed")
    assert generalise(r, Levels(1, 1, 1, 1)) == Published(
        ("p", 2026), "la1", "s1", NOT_SHOWN, "KS4", OTHER_OR_NOT_STATED, MINORITY
    )
    assert generalise(r, Levels(3, 2, 2, 2)) == Published(
        ("p", 2026), NOT_SHOWN, NOT_SHOWN, NOT_SHOWN, NOT_SHOWN, NOT_SHOWN, NOT_SHOWN
    )
    blank = record(gender="", ethnic="")
    assert generalise(blank, Levels(0, 0, 0, 0)).gender == "not_recorded"
    assert generalise(blank, Levels(0, 0, 1, 1)).ethnic_group == NOT_STATED
    assert [key_stage(y) for y in (4, 6, 7, 9, 10, 11)] == ["KS2", "KS2", "KS3", "KS3", "KS4", "KS4"]
    with pytest.raises(ValueError):
        generalise(r, Levels(4, 0, 0, 0))


def test_stages_must_start_exact_and_only_coarsen():
    assert STAGES[0] == Levels(0, 0, 0, 0) and STAGES[-1] == Levels(3, 2, 2, 2)
    with pytest.raises(ValueError):
        anonymise([record()], stages=[Levels(0, 0, 1, 0)])
    with pytest.raises(ValueError):
        anonymise([record()], stages=[Levels(0, 0, 0, 0), Levels(0, 0, 1, 0), Levels(0, 0, 0, 1)])
    with pytest.raises(ValueError):
        anonymise([record()], k=0)


# --- Properties -------------------------------------------------------------------------

records_strategy = st.lists(
    st.builds(
        Record,
        partition=st.sampled_from([("p1", 2026), ("p1", 2025), ("p2", 2026)]),
        local_authority=st.sampled_from(["la1", "la2"]),
        school=st.sampled_from(["s1", "s2", "s3", "s4"]),
        group=st.sampled_from(["a", "b", "c"]),
        year_group=st.integers(min_value=4, max_value=11),
        gender=st.sampled_from(GENDERS),
        ethnic_group=st.sampled_from(ETHNIC),
    ),
    max_size=300,
)


def _truthful(record: Record, published: Published) -> bool:
    """Every published value is the recorded one, a group containing it, or "not shown"."""
    gender = record.gender or "not_recorded"
    ethnic = record.ethnic_group or "not_recorded"
    return (
        published.partition == record.partition
        and published.local_authority in (record.local_authority, NOT_SHOWN)
        and published.school in (record.school, NOT_SHOWN)
        and published.group in (record.group, NOT_SHOWN)
        and published.year_group in (record.year_group, key_stage(record.year_group), NOT_SHOWN)
        and published.gender in (gender, GENDER_BROAD.get(gender, OTHER_OR_NOT_STATED), NOT_SHOWN)
        and published.ethnic_group in (ethnic, ETHNIC_BROAD.get(ethnic, NOT_STATED), NOT_SHOWN)
        # The hierarchy is kept: a class is never shown without its school, nor a school
        # without its authority.
        and (published.group == NOT_SHOWN or published.school != NOT_SHOWN)
        and (published.school == NOT_SHOWN or published.local_authority != NOT_SHOWN)
    )


@settings(max_examples=300, deadline=None)
@given(records_strategy, st.integers(min_value=1, max_value=15))
def test_every_released_record_is_in_a_group_of_at_least_k_or_is_dropped(records, k):
    result = anonymise(records, k=k)
    assert len(result.published) == len(records)
    sizes = Counter(p for p in result.published if p is not None)
    assert all(size >= k for size in sizes.values())
    assert result.report.records == len(records)
    assert result.report.released + result.report.dropped == len(records)
    assert result.report.dropped == sum(p is None for p in result.published)
    assert result.report.smallest_group == (min(sizes.values()) if sizes else None)
    for original, published in zip(records, result.published, strict=True):
        assert published is None or _truthful(original, published)


@settings(max_examples=200, deadline=None)
@given(records_strategy)
def test_the_result_does_not_depend_on_the_order_of_the_records(records):
    shuffled = list(enumerate(records))
    random.Random(len(records)).shuffle(shuffled)
    first = anonymise(records)
    second = anonymise([r for _, r in shuffled])
    assert [second.published[i] for i, _ in enumerate(shuffled)] == [first.published[j] for j, _ in shuffled]


@settings(max_examples=200, deadline=None)
@given(records_strategy)
def test_the_report_counts_every_change_and_untouched_records_equal_their_recorded_values(records):
    result = anonymise(records)
    unchanged = 0
    for original, published in zip(records, result.published, strict=True):
        if published is not None and published == generalise(original, STAGES[0]):
            unchanged += 1
    assert result.report.unchanged == unchanged
    assert result.report.coarsened_records == result.report.released - unchanged
    gender_changed = sum(
        1
        for original, published in zip(records, result.published, strict=True)
        if published is not None and published.gender != (original.gender or "not_recorded")
    )
    assert gender_changed == sum(v for (name, _), v in result.report.coarsened.items() if name == "gender")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(GENDERS), st.sampled_from(ETHNIC)), min_size=1, max_size=20))
def test_groups_of_k_already_are_never_coarsened(combos):
    records = [record(gender=g, ethnic=e) for g, e in set(combos) for _ in range(K)]
    result = anonymise(records)
    assert result.report.unchanged == len(records) and result.report.dropped == 0
