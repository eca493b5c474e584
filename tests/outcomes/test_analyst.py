"""The analyst export (outcomes.analyst, /admin/analyst-export/): who may download it, what
the file holds and never holds, the k-anonymity check on the real output, the readme's
report of what was coarsened or dropped, the filters, and the audit entry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN
from accounts.services import staff_data_purge
from outcomes import analyst, services
from outcomes.analyst_models import AnalystExportJob
from outcomes.models import ClassRollup
from surveys.codes import keyed_hash
from surveys.models import Participant, SurveyWindow
from surveys.pseudonyms import pseudonym_key
from tests.factories import MembershipFactory, SchoolFactory, UserFactory
from tests.outcomes.helpers import answer, authority, closed_class, make_pupil, outcome_version, programme_page
from tests.second_factor import force_login_with_second_factor

pytestmark = pytest.mark.django_db

URL = reverse("outcomes_analyst_export:index")
LOG = analyst.LOG_ACTION

# Answers: safety 3 at baseline; girls rise to 4, the others stay at 3. Violence (VIO_02 and
# the three-face VIO_04 reverse-keyed): (2 + 2 + 2 + 3) / 4 = 2.25 both times.
BASE = {"SAF_01": 3, "SAF_02": 3, "SAF_03": 3, "SAF_04": 3, "SAF_05": 3, "VIO_01": 2, "VIO_02": 4, "VIO_03": 2}
BASE["VIO_04"] = 1
RISE = {**BASE, "SAF_01": 4, "SAF_02": 2, "SAF_03": 4, "SAF_04": 2, "SAF_05": 4}


def vru(role: str | None):
    user = UserFactory(groups=[role] if role else [], mfa=True)
    return user


@pytest.fixture
def analyst_user():
    return vru(ANALYST)


@pytest.fixture
def world():
    """Programme "choices", 2026/27, baseline to post, all classes closed:

    - Oak (Birmingham), 8R: 12 girls (safety 3 -> 4), 12 boys (3 -> 3), 6 "other" and 4
      "prefer not to say" (3 -> 3), 2 pupils lost (baseline only): the 10 small-gender
      pupils pass only as "other or not stated".
    - Elm (Birmingham), 7B: own codes (keyed hashes per element), 11 girls and 2 "other":
      the 2 never reach 10 and are dropped.
    - Ash (Coventry), 9A: 10 boys, ethnic group "black".
    - Programme "streets" has a class with no post answers (nothing qualifies).
    """
    version = outcome_version()
    choices, streets = programme_page(), programme_page()
    choices.title, streets.title = "Choices and Voices", "Safer Streets"
    choices.save(update_fields=["title"])
    streets.save(update_fields=["title"])
    oak = SchoolFactory(name="Oakfield Academy", urn="654321", local_authority=authority("birmingham"))
    elm = SchoolFactory(name="Elmwood School", urn="765432", local_authority=authority("birmingham"))
    ash = SchoolFactory(name="Ashgrove High", urn="876543", local_authority=authority("coventry"))
    codes: list[str] = []
    hashes: list[str] = []

    def card_pupils(baseline, post, n, *, gender, values, ethnic="white", lost=False):
        for _ in range(n):
            pupil = make_pupil(baseline)
            codes.append(pupil.card_code)
            hashes.append(pupil.code_hash)
            answer(baseline, pupil, BASE, gender=gender, ethnic_group=ethnic)
            if not lost:
                answer(post, pupil, values, gender=gender, ethnic_group=ethnic)

    group, baseline, post = closed_class(programme=choices, version=version, school=oak, year_group=8)
    group.name = "8R Oak"
    group.save(update_fields=["name"])
    card_pupils(baseline, post, 12, gender="girl", values=RISE)
    card_pupils(baseline, post, 12, gender="boy", values=BASE)
    card_pupils(baseline, post, 6, gender="other", values=BASE)
    card_pupils(baseline, post, 4, gender="pns", values=BASE)
    card_pupils(baseline, post, 2, gender="girl", values=BASE, lost=True)

    _g, baseline, post = closed_class(programme=choices, version=version, school=elm, year_group=7)
    key = pseudonym_key()
    for i in range(13):
        elements = [keyed_hash(key, "sgic", str(elm.pk), str(i), str(e)) for e in range(7)]
        pupil = Participant.objects.create(
            school=elm, academic_year=2026, code_hash=keyed_hash(key, "whole", str(i)), sgic_element_hashes=elements
        )
        hashes += [pupil.code_hash, *elements]
        gender = "girl" if i < 11 else "other"
        answer(baseline, pupil, BASE, gender=gender)
        answer(post, pupil, RISE if gender == "girl" else BASE, gender=gender)

    _g, baseline, post = closed_class(programme=choices, version=version, school=ash, year_group=9)
    card_pupils(baseline, post, 10, gender="boy", values=BASE, ethnic="black")

    _g, baseline, _post = closed_class(programme=streets, version=version, authority_slug="dudley")
    card_pupils(baseline, None, 10, gender="girl", values=BASE, lost=True)

    services.class_pairs_refresh(keys=services.all_pair_keys())
    return {
        "choices": choices,
        "streets": streets,
        "schools": (oak, elm, ash),
        "codes": codes,
        "hashes": hashes,
        "participants": list(Participant.objects.values_list("pk", flat=True)),
    }


def start_export(client, **filters) -> AnalystExportJob:
    """POST the form; the job's task runs (eagerly, as in the embedded default) once the
    request's transaction commits. Returns the job after the redirect to its status page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(URL, {"programme": "", "academic_year": "", "compare": "post", **filters})
    assert response.status_code == 302, response.content[:500]
    job = AnalystExportJob.objects.latest("pk")
    assert response["Location"] == reverse("outcomes_analyst_export:status", args=[job.pk])
    return job


def download(client, **filters):
    job = start_export(client, **filters)
    job.refresh_from_db()
    assert job.state == AnalystExportJob.State.READY, (job.state, job.last_error)
    assert (
        "Your export is ready" in client.get(reverse("outcomes_analyst_export:status", args=[job.pk])).content.decode()
    )
    response = client.get(reverse("outcomes_analyst_export:download", args=[job.pk]))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip" and "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["README.txt", "metadata.csv", "records.csv"]
    files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    rows = list(csv.DictReader(io.StringIO(files["records.csv"])))
    meta = dict(list(csv.reader(io.StringIO(files["metadata.csv"])))[1:])
    return rows, meta, files


@pytest.fixture
def signed_in(client, analyst_user):
    force_login_with_second_factor(client, analyst_user)
    return client


QI = ("programme", "academic_year", "comparison", "instrument", "local_authority", "school_id", "class_id")
QI += ("year_group", "gender", "ethnic_group")


# --- Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN, "superuser"])
def test_every_other_vru_role_and_a_superuser_without_the_role_are_turned_back(client, world, role):
    user = UserFactory(groups=[] if role == "superuser" else [role], mfa=True)
    if role == "superuser":
        user.is_superuser = user.is_staff = True
        user.save()
    force_login_with_second_factor(client, user)
    for response in (client.get(URL), client.post(URL, {"programme": world["choices"].slug})):
        assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not ModelLogEntry.objects.filter(action=LOG).exists()
    assert "Analyst export" not in client.get("/admin/").content.decode()


def test_school_staff_and_people_without_an_account_are_sent_to_sign_in(client, world):
    assert client.get(URL).status_code == 302
    for membership in (MembershipFactory(), MembershipFactory(role="school_lead")):
        client.force_login(membership.user)
        response = client.post(URL, {})
        assert response.status_code == 302 and "login" in response["Location"]
    assert not ModelLogEntry.objects.filter(action=LOG).exists()


def test_an_analyst_who_skipped_the_second_factor_is_signed_out(client, world, analyst_user):
    client.force_login(analyst_user)
    response = client.post(URL, {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not ModelLogEntry.objects.filter(action=LOG).exists()


def test_the_analyst_sees_the_menu_item_and_the_form(signed_in, world):
    assert "Analyst export" in signed_in.get("/admin/").content.decode()
    page = signed_in.get(URL).content.decode()
    assert "Make the export" in page and "Choices and Voices" in page
    assert "monitoring, not proof of impact" in page.lower()


# --- What the file holds --------------------------------------------------------------------


def test_the_file_has_one_row_per_matched_pupil_with_their_scores(signed_in, world):
    rows, meta, files = download(signed_in, programme=world["choices"].slug)
    # 34 + 13 + 10 matched pupils checked; the 2 lost pupils are not rows; the 2 "other"
    # pupils of Elm never reach a group of 10 and are dropped.
    assert meta["matched pupils checked"] == "57" and len(rows) == 55 and meta["rows in this file"] == "55"
    assert meta["dropped (no group of k even fully coarsened)"] == "2"
    girls = [r for r in rows if r["gender"] == "girl"]
    assert len(girls) == 23
    assert {(r["safety_baseline"], r["safety_post"], r["safety_change"]) for r in girls} == {("3", "4", "1")}
    others = [r for r in rows if r["gender"] != "girl"]
    assert {(r["safety_baseline"], r["safety_post"], r["safety_change"]) for r in others} == {("3", "3", "0")}
    assert {(r["violence_baseline"], r["violence_post"], r["violence_change"]) for r in rows} == {("2.25", "2.25", "0")}
    assert {r["programme"] for r in rows} == {"Choices and Voices"} and {r["academic_year"] for r in rows} == {
        "2026/27"
    }
    assert {r["local_authority"] for r in rows} == {"Birmingham", "Coventry"}
    assert list(rows[0])[:11] == list(analyst.FIXED_COLUMNS)
    assert "monitoring, not proof of impact" in files["README.txt"].lower() and meta["caveat"] == analyst.CAVEAT


def test_the_rows_agree_with_the_engines_matched_counts(world):
    resolved = analyst.parse_filters({"programme": world["choices"].slug})
    pairs, _scales = analyst.read_pairs(resolved)
    rollup = sum(
        ClassRollup.objects.filter(programme_id=world["choices"].pk, scale_code="safety", dimension="all").values_list(
            "n_matched", flat=True
        )
    )
    assert rollup == 57 == sum(1 for p in pairs if all(v is not None for v in p.scores["safety"]))


def test_no_card_code_hash_urn_name_or_participant_id_appears_anywhere_in_the_file(signed_in, world):
    _rows, _meta, files = download(signed_in, programme=world["choices"].slug)
    everything = "\n".join(files.values())
    for code in world["codes"]:
        assert code not in everything
    for value in world["hashes"]:
        assert value not in everything and value[:12] not in everything
    for school in world["schools"]:
        assert school.urn not in everything and school.name not in everything
    assert "8R Oak" not in everything
    record_ids = {r["record_id"] for r in _rows}
    assert not {str(pk) for pk in world["participants"]} & record_ids


def test_identifiers_are_fresh_for_every_export_so_two_exports_cannot_be_joined(signed_in, world):
    first, _m, _f = download(signed_in, programme=world["choices"].slug)
    second, _m, _f = download(signed_in, programme=world["choices"].slug)
    for column in ("record_id", "school_id", "class_id"):
        a = {r[column] for r in first} - {"not shown"}
        b = {r[column] for r in second} - {"not shown"}
        assert a and b and not a & b, column
    assert len({r["record_id"] for r in first}) == len(first)  # unique within the export
    # The same pupils, coarsened the same way: only the identifiers differ.
    strip = ("record_id", "school_id", "class_id")
    assert Counter(tuple(v for k, v in r.items() if k not in strip) for r in first) == Counter(
        tuple(v for k, v in r.items() if k not in strip) for r in second
    )


def test_k_anonymity_holds_on_the_real_output_and_the_coarsening_is_reported(signed_in, world):
    rows, meta, files = download(signed_in, programme=world["choices"].slug)
    groups = Counter(tuple(r[c] for c in QI) for r in rows)
    assert min(groups.values()) >= 10
    # The 10 "other" / "prefer not to say" pupils at Oak are released as one broader group.
    assert sum(1 for r in rows if r["gender"] == "other or not stated") == 10
    assert {r["gender"] for r in rows} == {"girl", "boy", "other or not stated"}
    assert meta["coarsened: gender shown as a broader group"] == "10"
    assert meta["released coarsened"] == "10" and meta["released as recorded"] == "45"
    assert "gender shown as a broader group: 10" in files["README.txt"]
    assert "Dropped: 2" in files["README.txt"]
    # Class and school ids: three schools, one class each, shown.
    assert len({r["school_id"] for r in rows}) == 3 and len({r["class_id"] for r in rows}) == 3


# --- Filters ---------------------------------------------------------------------------------


def test_filters_choose_rows_by_their_published_values(signed_in, world):
    rows, meta, _files = download(signed_in, programme=world["choices"].slug, local_authority="coventry")
    assert len(rows) == 10 and {r["local_authority"] for r in rows} == {"Coventry"}
    assert {r["ethnic_group"] for r in rows} == {"black"} and meta["filter: local_authority"] == "coventry"
    rows, _meta, _files = download(signed_in, year_group="8")
    assert len(rows) == 34 and {r["year_group"] for r in rows} == {"8"}
    rows, _meta, _files = download(signed_in, school="765432")
    assert len(rows) == 11 and {r["gender"] for r in rows} == {"girl"}
    rows, _meta, _files = download(signed_in, academic_year="2026", programme=world["choices"].slug)
    assert len(rows) == 55


def test_nothing_qualifies_gives_a_clear_message_and_no_file(signed_in, world):
    for filters in ({"programme": world["streets"].slug}, {"academic_year": "2024"}, {"compare": "follow_up"}):
        job = start_export(signed_in, **filters)
        job.refresh_from_db()
        assert job.state == AnalystExportJob.State.EMPTY and job.rows == 0 and not job.file_path
        response = signed_in.get(reverse("outcomes_analyst_export:status", args=[job.pk]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        assert "No matched pupils qualify for these filters" in response.content.decode()
        assert signed_in.get(reverse("outcomes_analyst_export:download", args=[job.pk])).status_code == 404
    assert not ModelLogEntry.objects.filter(action__startswith="upstream.analyst.").exists()


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"academic_year": "next year"}, "is not a valid academic year"),
        ({"programme": "no-such-programme"}, "No programme has the slug 'no-such-programme'"),
        ({"school": "12"}, "is not a school URN"),
        ({"local_authority": "atlantis"}, "No local authority has the slug 'atlantis'"),
        ({"year_group": "14"}, "is not a valid year group"),
        ({"compare": "sideways"}, "is not a comparison"),
    ],
)
def test_bad_filters_give_a_clear_error(signed_in, world, filters, message):
    response = signed_in.post(URL, filters)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not ModelLogEntry.objects.filter(action=LOG).exists()


# --- Audit -----------------------------------------------------------------------------------


def test_every_export_is_in_the_audit_log_with_who_when_and_the_filters_never_the_data(signed_in, world, analyst_user):
    rows, meta, files = download(signed_in, programme=world["choices"].slug, year_group="8")
    entry = ModelLogEntry.objects.get(action=LOG)
    assert entry.user_id == analyst_user.pk and entry.timestamp is not None
    assert entry.data["filters"] == {
        "programme": world["choices"].slug,
        "academic_year": "all",
        "local_authority": "all",
        "school": "all",
        "year_group": 8,
        "comparison": "post",
    }
    assert entry.data["reference"] == meta["reference"] and entry.data["reference"] in files["README.txt"]
    assert entry.data["rows"] == len(rows) == 34
    logged = json.dumps(entry.data)
    for row in rows:
        assert row["record_id"] not in logged and row["school_id"] not in logged
    assert "safety" not in logged and "girl" not in logged
    assert entry.action == LOG and entry.label  # registered: shown as "Analyst export" in the admin
    assert entry.message == "Pseudonymised record-level data exported (filters recorded, no data)"
    download(signed_in, programme=world["choices"].slug)
    assert ModelLogEntry.objects.filter(action=LOG).count() == 2


def test_a_pupil_whose_survey_has_not_closed_is_not_exported(signed_in, world):
    version = outcome_version()
    _g, baseline, post = closed_class(
        programme=world["choices"], version=version, authority_slug="walsall", close_later=False
    )
    assert post.wave == SurveyWindow.Wave.POST
    for _ in range(12):
        pupil = make_pupil(baseline)
        answer(baseline, pupil, BASE, gender="girl")
        answer(post, pupil, RISE, gender="girl")
    rows, meta, _files = download(signed_in, programme=world["choices"].slug)
    assert meta["matched pupils checked"] == "57" and "Walsall" not in {r["local_authority"] for r in rows}


def test_export_audit_entries_are_kept_24_months_like_the_other_staff_audit_entries(signed_in, world):
    download(signed_in, programme=world["choices"].slug)
    download(signed_in, programme=world["choices"].slug)
    old, recent = ModelLogEntry.objects.filter(action=LOG).order_by("pk")
    ModelLogEntry.objects.filter(pk=old.pk).update(timestamp=timezone.now() - dt.timedelta(days=2 * 365 + 1))
    staff_data_purge()
    assert list(ModelLogEntry.objects.filter(action=LOG).values_list("pk", flat=True)) == [recent.pk]


def test_an_export_over_the_safety_cap_says_so_and_names_the_command(signed_in, world, settings):
    assert analyst.web_limit() == 200_000  # the old 30,000 refusal is gone: the worker builds it
    settings.UPSTREAM_ANALYST_WEB_RESPONSES = 50
    response = signed_in.post(URL, {"programme": world["choices"].slug})
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "too many for one export from this page" in page and "export_analyst_records" in page
    assert not ModelLogEntry.objects.filter(action=LOG).exists() and not AnalystExportJob.objects.exists()


def test_the_command_writes_the_same_file_and_audits_it_under_the_analyst(world, analyst_user, tmp_path):
    path = tmp_path / "records.zip"
    out = io.StringIO()
    call_command(
        "export_analyst_records",
        "--user",
        analyst_user.email.upper(),
        "--output",
        str(path),
        "--programme",
        world["choices"].slug,
        "--year-group",
        "8",
        stdout=out,
    )
    archive = zipfile.ZipFile(path)
    rows = list(csv.DictReader(io.StringIO(archive.read("records.csv").decode())))
    assert len(rows) == 34 and f"Wrote 34 rows to {path}" in out.getvalue()
    entry = ModelLogEntry.objects.get(action=LOG)
    assert entry.user_id == analyst_user.pk and entry.data["filters"]["year_group"] == 8
    assert entry.data["reference"] in archive.read("README.txt").decode()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--user", "nobody@vru.example"], "is not an active VRU analyst"),
        (["--academic-year", "soon"], "is not a valid academic year"),
        (["--programme", "missing"], "No programme has the slug 'missing'"),
        (["--academic-year", "2030"], "No matched pupils qualify"),
    ],
)
def test_the_command_refuses_non_analysts_bad_filters_and_empty_exports(
    world, analyst_user, tmp_path, arguments, message
):
    officer = vru(OFFICER)
    base = ["--user", analyst_user.email, "--output", str(tmp_path / "x.zip")]
    if arguments[0] == "--user":
        base = ["--output", str(tmp_path / "x.zip")]
    with pytest.raises(CommandError, match=message):
        call_command("export_analyst_records", *base, *arguments)
    with pytest.raises(CommandError, match="is not an active VRU analyst"):
        call_command("export_analyst_records", "--user", officer.email, "--output", str(tmp_path / "y.zip"))
    assert not (tmp_path / "x.zip").exists() and not ModelLogEntry.objects.filter(action=LOG).exists()
