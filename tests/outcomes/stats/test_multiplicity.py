import pytest

from outcomes.stats.multiplicity import benjamini_hochberg, holm

RAW = [0.01, 0.04, 0.03, 0.005]


def test_holm_worked_example():
    assert holm(RAW) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_benjamini_hochberg_worked_example():
    assert benjamini_hochberg(RAW) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_missing_p_values_pass_through_and_are_not_counted():
    adjusted = holm([None, 0.01, 0.04, None, 0.03, 0.005])
    assert adjusted[0] is None and adjusted[3] is None
    assert [adjusted[i] for i in (1, 2, 4, 5)] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert benjamini_hochberg([None]) == [None]
    assert holm([]) == []


def test_adjusted_p_is_capped_at_one():
    assert holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_invalid_p_values_are_refused():
    with pytest.raises(ValueError):
        holm([1.5])
    with pytest.raises(ValueError):
        benjamini_hochberg([float("nan")])


def test_holm_leaves_the_garbage_collector_as_it_found_it():
    """statsmodels' Holm calls gc.collect(); the adjustment freezes the existing heap for that
    call only, so afterwards nothing stays frozen, and a heap the process froze itself stays so."""
    import gc

    assert gc.get_freeze_count() == 0
    assert holm([0.01, 0.04]) == [0.02, 0.04]
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        assert holm([0.01, 0.04]) == [0.02, 0.04]
        # Still frozen: an unfreeze would have emptied the permanent generation. (The count
        # itself may drop by the odd frozen object freed meanwhile, so it is not compared.)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_holm_still_collects_what_the_call_made_unreachable():
    """The collection statsmodels asks for still runs over new objects: a reference cycle made
    after the freeze is collected by it (so memory does not grow)."""
    import gc
    import weakref

    from outcomes.stats import multiplicity

    class Node:
        pass

    with multiplicity.young_objects_only():
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        gc.collect()
        assert ref() is None
