"""Property-based tests (docs/decisions.md#t20): malformed, oversized and hostile answer payloads sent to the
save endpoint and the question form never cause a server error, nothing out of range is
ever stored, and unknown question codes are refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import response_scales
from surveys.models import Answer, Response

from .helpers import join_and_assent, post_json

CODES_BY_PAGE = {1: ["SAFE_01", "SAFE_02", "SAFE_03"], 2: ["HELP_01", "HELP_02"], 3: ["GENDER", "ETHNIC"]}
ALL_CODES = [code for codes in CODES_BY_PAGE.values() for code in codes]
ALLOWED_STATUSES = {200, 400, 403, 409, 413, 415, 422}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "1",
            "3",
            "5",
            "0",
            "6",
            "-1",
            "dk",
            "pns",
            "skip",
            "",
            " 4",
            "4 ",
            "１",
            "٣",
            "04",
            "4.0",
            "girl",
            "boy",
            "pns",
        ]
    )
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)
hostile_codes = (
    st.sampled_from(ALL_CODES)
    | st.text(max_size=50)
    | st.sampled_from(
        ["SAFE_01 ", "safe_01", "SAFE_01\x00", "<script>", "' OR 1=1 --", "../../etc/passwd", "GENDER\u202e"]
    )
)
answers_strategy = st.dictionaries(hostile_codes, json_values, max_size=12) | json_values
page_strategy = st.integers(min_value=-2, max_value=5) | json_scalars
seq_strategy = st.integers(min_value=-5, max_value=2**40) | json_scalars


def assert_nothing_out_of_range():
    for answer in Answer.objects.select_related("item"):
        if answer.value is None:
            assert answer.missing in {"dk", "pns", "skip"}
        else:
            assert answer.missing == ""
            assert answer.value in response_scales.allowed_values(answer.item.response_scale)
    for gender, ethnic in Response.objects.values_list("gender", "ethnic_group"):
        assert gender in {"", "girl", "boy", "other", "pns"}
        assert ethnic in {"", "asian", "black", "mixed", "white", "other", "pns"}


@pytest.fixture
def joined(client, window, pupil):
    return client, join_and_assent(client, window, pupil)


@FUZZ
@given(page=page_strategy, seq=seq_strategy, answers=answers_strategy, final=json_scalars)
def test_hostile_json_saves_never_error_and_store_nothing_out_of_range(joined, page, seq, answers, final):
    client, key = joined
    reply = post_json(client, {"key": key, "page": page, "seq": seq, "answers": answers, "final": final})
    assert reply.status_code in ALLOWED_STATUSES
    assert reply.json()["ok"] is (reply.status_code == 200)
    if reply.status_code == 200:
        # Whole numbers may come as JSON numbers or as digit strings ("2").
        assert isinstance(answers, dict) and not isinstance(page, bool)
        assert set(answers) <= set(CODES_BY_PAGE[int(page)])
    assert_nothing_out_of_range()


@FUZZ
@given(
    page=st.sampled_from([1, 2, 3]),
    seq=st.integers(min_value=1, max_value=10_000),
    unknown=st.text(min_size=1, max_size=40).filter(lambda code: code not in ALL_CODES),
    value=json_scalars,
)
def test_unknown_question_codes_are_always_refused(joined, page, seq, unknown, value):
    client, key = joined
    before = Answer.objects.count()
    reply = post_json(client, {"key": key, "page": page, "seq": seq, "answers": {unknown: value}})
    assert reply.status_code == 400
    assert "Unknown question code" in reply.json()["message"]
    assert Answer.objects.count() == before


@FUZZ
@given(body=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_garbage_bodies_get_a_4xx(joined, body):
    client, _ = joined
    reply = client.post("/go/save/", data=body, content_type="application/json")
    assert reply.status_code in ALLOWED_STATUSES and reply.status_code != 200


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from([f"q_{code}" for code in ALL_CODES]) | st.text(max_size=20), st.text(max_size=20), max_size=20
    )
)
def test_hostile_question_form_posts_never_error(joined, fields):
    client, _ = joined
    for no in (1, 2, 3):
        reply = client.post(f"/go/q/{no}/", {"seq": "1", **fields})
        assert reply.status_code in {302, 400, 409, 422}
    assert_nothing_out_of_range()


def test_a_3_mb_body_is_refused_quickly_with_413(joined):
    client, key = joined
    body = json.dumps({"key": key, "page": 1, "seq": 1, "answers": {"SAFE_01": "x" * 3_000_000}})
    reply = client.post("/go/save/", data=body, content_type="application/json")
    assert reply.status_code == 413


def test_1500_answers_on_one_page_are_refused(joined):
    client, key = joined
    answers = {f"CODE_{n}": 1 for n in range(1500)}
    reply = post_json(client, {"key": key, "page": 1, "seq": 1, "answers": answers})
    assert reply.status_code in {400, 413}
    assert not Answer.objects.exists()
