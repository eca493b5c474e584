"""Demo data for seed_demo: the Upstream attitudes survey (original wording, written for
this project: no copyrighted scale), survey windows for the demo teacher's classes, and
synthetic completed responses so dashboards have something to show. Idempotent."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.utils import timezone

from .codes import new_card_code
from .models import Answer, Instrument, InstrumentVersion, Item, Participant, Response, Scale, SurveyWindow, TalkRequest
from .models import ResponseScale as RS
from .pseudonyms import card_code_hash

DEMO_TEACHER = "teacher@oakfield-academy.example"
DEMO_NAMESPACE = uuid.UUID("0c9e4a57-1d52-5a36-8f9b-7d1c2e3f4a5b")

# (code, name, higher_is_better, [(item code, text, reverse_keyed)])
SCALES = [
    (
        "violence_attitudes",
        "Attitudes to violence and weapons",
        False,
        [
            ("VIO_01", "It is OK to hit someone if they hit you first.", False),
            ("VIO_02", "Carrying a knife makes a young person safer.", False),
            ("VIO_03", "If someone is rude to you, you should fight them.", False),
            ("VIO_04", "There are better ways to sort out an argument than fighting.", True),
            ("VIO_05", "People who carry a weapon are more likely to get hurt.", True),
            ("VIO_06", "Watching a fight is fun.", False),
        ],
    ),
    (
        "bystander",
        "Confidence to help as a bystander",
        True,
        [
            ("BYS_01", "If I saw someone being picked on, I would tell an adult.", False),
            ("BYS_02", "I know what to do if I see a fight starting.", False),
            ("BYS_03", "I could ask a friend to stop being unkind to someone.", False),
            ("BYS_04", "It is not my job to help if someone is being hurt.", True),
            ("BYS_05", "If a friend said they had a weapon, I would keep quiet about it.", True),
        ],
    ),
    (
        "help_seeking",
        "Willingness to seek help",
        True,
        [
            ("HLP_01", "If I was worried, I would talk to an adult I trust.", False),
            ("HLP_02", "I know who to go to at school if I feel unsafe.", False),
            ("HLP_03", "Asking for help is a sensible thing to do.", False),
            ("HLP_04", "Telling someone about a problem only makes it worse.", True),
            ("HLP_05", "If someone threatened me, I would keep it to myself.", True),
        ],
    ),
    (
        "feeling_safe",
        "Feeling safe at school and nearby",
        True,
        [
            ("SAF_01", "I feel safe at school.", False),
            ("SAF_02", "I feel safe on my way to and from school.", False),
            ("SAF_03", "I feel safe in the streets near my home.", False),
            ("SAF_04", "I worry about getting hurt when I am out.", True),
            ("SAF_05", "There are places near my school I stay away from because they feel dangerous.", True),
        ],
    ),
]
DEMOGRAPHICS = [
    ("GENDER", "Are you a girl, a boy, or do you describe yourself in another way?", RS.GENDER),
    ("ETHNICITY", "Which group best describes you?", RS.ETHNICITY),
]
# Mean change baseline -> post on the 1-5 scale, in the scale's own direction of scoring.
SHIFTS = {"violence_attitudes": -0.35, "bystander": 0.3, "help_seeking": 0.25, "feeling_safe": 0.1}
BASELINE_MEANS = {"violence_attitudes": 2.2, "bystander": 3.4, "help_seeking": 3.5, "feeling_safe": 3.7}


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def seed_instrument() -> InstrumentVersion:
    from .services.instruments import instrument_version_publish

    instrument, _ = Instrument.objects.get_or_create(
        slug="upstream-attitudes",
        defaults={
            "name": "Upstream attitudes survey",
            "description": (
                "Short survey written by the VRU for pupils aged 9 to 16: attitudes to violence and weapons, "
                "confidence to help as a bystander, willingness to seek help, and feeling safe."
            ),
            "min_age": 9,
            "max_age": 16,
            "licence_status": Instrument.Licence.OWN,
        },
    )
    version = InstrumentVersion.objects.filter(instrument=instrument, number=1).first()
    if version is None:
        version = InstrumentVersion.objects.create(
            instrument=instrument, number=1, notes="First version, written for the Upstream pilot."
        )
        order = 0
        for scale_order, (code, name, higher_is_better, items) in enumerate(SCALES):
            Scale.objects.create(
                version=version, code=code, name=name, higher_is_better=higher_is_better, sort_order=scale_order
            )
            for item_code, text, reverse in items:
                Item.objects.create(
                    version=version,
                    code=item_code,
                    text=text,
                    scale_code=code,
                    response_scale=RS.AGREE_5,
                    reverse_keyed=reverse,
                    sort_order=order,
                )
                order += 1
        for item_code, text, response_scale in DEMOGRAPHICS:
            Item.objects.create(
                version=version, code=item_code, text=text, response_scale=response_scale, sort_order=order
            )
            order += 1
    if version.status == InstrumentVersion.Status.DRAFT:
        version = instrument_version_publish(version=version, programmes=[])
    return version


# Classes of other demo teachers that also ran both surveys, so the outcomes demo has
# closed baseline and post windows at four schools (regional figures need at least 3).
OTHER_SURVEYED = [
    ("teacher@hillcrest.example", "7H"),
    ("teacher@riverside-cc.example", "8S"),
    ("teacher@meadowvale.example", "9M"),
]


def _demo_groups():
    """The demo teacher's first two classes (the second keeps an open post survey for the
    pupil demo), then the other surveyed classes, whose post surveys have closed."""
    from lessons.models import TeachingGroup

    own = list(TeachingGroup.objects.filter(teacher__email=DEMO_TEACHER, archived_at__isnull=True).order_by("pk"))[:2]
    others = []
    for email, name in OTHER_SURVEYED:
        group = TeachingGroup.objects.filter(teacher__email=email, name=name, archived_at__isnull=True).first()
        if group is not None:
            others.append(group)
    return own, others


def _aware(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _windows_for(group, version: InstrumentVersion, *, post_closed: bool) -> dict[str, SurveyWindow]:
    """A baseline that closed five weeks ago and a post survey that is open now, or (with
    ``post_closed``) closed three days ago."""
    from .services.windows import window_open

    today = timezone.localdate()
    post_opens = today - dt.timedelta(days=12) if post_closed else today - dt.timedelta(days=2)
    plans = {
        SurveyWindow.Wave.BASELINE: (today - dt.timedelta(days=70), today - dt.timedelta(days=49), 14),
        SurveyWindow.Wave.POST: (today - dt.timedelta(days=70), post_opens, 9),
    }
    windows: dict[str, SurveyWindow] = {}
    for wave, (letter_on, opens_on, open_days) in plans.items():
        window = SurveyWindow.objects.filter(group=group, wave=wave).first()
        if window is None:
            window = window_open(
                actor=group.teacher,
                group=group,
                wave=wave,
                instrument_version=version,
                opens_at=_aware(opens_on, 8),
                closes_at=_aware(opens_on + dt.timedelta(days=open_days), 16),
                optout_letter_sent_on=letter_on,
            )
        windows[wave] = window
    return windows


def _answer(rng: random.Random, latent: float, reverse: bool) -> tuple[int | None, str]:
    roll = rng.random()
    if roll < 0.02:
        return None, Answer.Missing.DONT_KNOW
    if roll < 0.03:
        return None, Answer.Missing.PREFER_NOT
    value = min(5, max(1, round(latent + rng.gauss(0, 0.8))))
    return (6 - value if reverse else value), ""


def _seed_responses(group, windows: dict[str, SurveyWindow], version: InstrumentVersion) -> int:
    """Synthetic pupils: about 90% answer at baseline, about 85% of those at post, with
    small realistic shifts. Nothing here is a real pupil or a real code."""
    if Response.objects.filter(window__in=windows.values()).exists():
        return 0
    rng = random.Random(f"upstream-demo-{group.pk}")
    items = list(version.items.filter(scale_code__gt="").order_by("sort_order"))
    genders = [c for c, _ in Response.Gender.choices]
    ethnic_groups = [c for c, _ in Response.EthnicGroup.choices]
    created = 0
    for pupil in range(group.pupil_count):
        if rng.random() > 0.9:
            continue
        participant = Participant.objects.create(
            school=group.school,
            academic_year=group.academic_year,
            code_hash=card_code_hash(school_id=group.school_id, code=new_card_code()),
            year_group=group.year_group,
        )
        traits = {code: BASELINE_MEANS[code] + rng.gauss(0, 0.6) for code in BASELINE_MEANS}
        gender = rng.choices(genders, weights=[47, 47, 3, 3])[0]
        ethnic_group = rng.choices(ethnic_groups, weights=[30, 12, 8, 42, 3, 5])[0]
        waves = [SurveyWindow.Wave.BASELINE]
        if rng.random() < 0.85:
            waves.append(SurveyWindow.Wave.POST)
        for wave in waves:
            window = windows[wave]
            shift = 1.0 if wave == SurveyWindow.Wave.POST else 0.0
            day = min(timezone.localtime(window.opens_at).date() + dt.timedelta(days=1), timezone.localdate())
            response = Response.objects.create(
                window=window,
                participant=participant,
                submission_key=uuid.uuid5(DEMO_NAMESPACE, f"{window.uuid}:{pupil}"),
                status=Response.Status.COMPLETED,
                gender=gender if window.include_demographics else "",
                ethnic_group=ethnic_group if window.include_demographics else "",
                started_on=day,
                submitted_on=day,
            )
            answers = []
            for item in items:
                value, missing = _answer(
                    rng, traits[item.scale_code] + shift * SHIFTS[item.scale_code], item.reverse_keyed
                )
                answers.append(Answer(response=response, item=item, value=value, missing=missing))
            Answer.objects.bulk_create(answers)
            created += 1
    return created


def seed(stdout=None) -> dict:
    from .roles import ensure_survey_permissions

    ensure_survey_permissions()
    version = seed_instrument()
    _say(stdout, f"Surveys: instrument '{version}' ({version.get_status_display().lower()}).")
    own, others = _demo_groups()
    if not own:
        _say(stdout, f"Surveys: no classes for {DEMO_TEACHER} yet, so no demo survey windows.")
        return {"version": version, "windows": []}
    windows: list[SurveyWindow] = []
    from .services.instruments import instrument_suits_year_group

    # The demo teacher's first class and the other schools' classes have finished both
    # surveys (outcomes to show); the demo teacher's second class is mid-way through its post
    # survey (the pupil demo).
    open_post = own[1].pk if len(own) > 1 else None
    total, classes = 0, []
    for group in [*own, *others]:
        if not instrument_suits_year_group(version.instrument, group.year_group):
            continue
        group_windows = _windows_for(group, version, post_closed=group.pk != open_post)
        windows.extend(group_windows.values())
        made = _seed_responses(group, group_windows, version)
        if made:
            total += made
            classes.append(group.name)
    if total:
        # One line for every class, so make run's set-up stays short before the logins.
        _say(stdout, f"Surveys: {total} synthetic responses for classes {', '.join(classes)}.")
    if windows and not TalkRequest.objects.filter(window=windows[0]).exists():
        TalkRequest.objects.create(school=windows[0].group.school, window=windows[0], card_code=new_card_code())
    return {"version": version, "windows": windows}
