"""Demo data for seed_demo: the two Upstream surveys (original wording, written for this
project: no copyrighted scale), survey windows for the demo classes, and synthetic
completed responses so dashboards have something to show. Idempotent.

- The **secondary** survey ("Upstream attitudes survey", ages 12 to 16: Years 7 to 11)
  has four scales on the 5-point agree scale, including attitudes to weapons.
- The **primary** survey ("Upstream primary survey", ages 9 to 11: Years 4 to 6) has
  three scales of five short items on the 3-faces scale and no weapon items. Its
  reverse-keyed items are plain statements ("I keep quiet when someone is being picked
  on"), never a "not" to be disagreed with. Five items a scale, because a scale is scored
  only when 80 % of its items are answered (outcomes/stats/scoring.py): with five, one
  "Don't know" still gives a score; with four or three, every item would be needed.

The instruments' age ranges keep each one to its own year groups (the window rules in
surveys/services/windows.py refuse the secondary survey for Years 5 and 6, and the
primary survey for secondary years)."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.utils import timezone

from .codes import new_card_code
from .models import Answer, Instrument, InstrumentVersion, Item, Participant, Response, Scale, SurveyWindow, TalkRequest
from .models import ResponseScale as RS
from .pseudonyms import card_code_hash
from .response_scales import value_range

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
SECONDARY = {
    "slug": "upstream-attitudes",
    "name": "Upstream attitudes survey",
    "description": (
        "Short survey written by the VRU for secondary pupils (Years 7 to 11): attitudes to violence and "
        "weapons, confidence to help as a bystander, willingness to seek help, and feeling safe."
    ),
    "min_age": 12,
    "max_age": 16,
    "response_scale": RS.AGREE_5,
    "scales": SCALES,
    "notes": "First version, written for the Upstream pilot.",
}
# Before the primary survey existed the secondary one was offered from age 9; a demo
# database seeded then is moved to the new range (an edit made in the admin is kept).
SECONDARY_OLD_AGES = (9, 16)

# The primary survey: 3 faces (No / In between / Yes), 15 items. (code, name,
# higher_is_better, [(item code, text, reverse_keyed)]).
PRIMARY_SCALES = [
    (
        "fighting_ok",
        "Thinking fighting is OK",
        False,
        [
            ("PFI_01", "It is OK to hit someone if they hit you first.", False),
            ("PFI_02", "If someone pushes me, I push them back.", False),
            ("PFI_03", "Fighting is a good way to sort out a fallout.", False),
            ("PFI_04", "Talking it over is better than fighting.", True),
            ("PFI_05", "When I am cross, I calm down before I do anything.", True),
        ],
    ),
    (
        "helping_others",
        "Helping when someone is picked on",
        True,
        [
            ("PHE_01", "If I saw someone being picked on, I would tell an adult.", False),
            ("PHE_02", "I would ask a friend to stop being unkind to someone.", False),
            ("PHE_03", "I would ask someone who is left out to join in.", False),
            ("PHE_04", "I keep quiet when someone is being picked on.", True),
            ("PHE_05", "I laugh along when someone is being teased.", True),
        ],
    ),
    (
        "getting_help",
        "Getting help when worried",
        True,
        [
            ("PGH_01", "If I was worried, I would talk to an adult I trust.", False),
            ("PGH_02", "I know an adult at school I can talk to.", False),
            ("PGH_03", "Asking for help is a good thing to do.", False),
            ("PGH_04", "I keep my worries to myself.", True),
            ("PGH_05", "Telling an adult about a worry makes it worse.", True),
        ],
    ),
]
PRIMARY = {
    "slug": "upstream-primary",
    "name": "Upstream primary survey",
    "description": (
        "Short survey written by the VRU for primary pupils (Years 4 to 6), answered with three faces: "
        "thinking fighting is OK, helping when someone is picked on, and getting help when worried. "
        "No questions about weapons."
    ),
    "min_age": 9,
    "max_age": 11,
    "response_scale": RS.FACES_3,
    "scales": PRIMARY_SCALES,
    "notes": "First version of the primary survey, written for the Upstream pilot.",
}

# Mean change baseline -> post in answer points, in the scale's own direction of scoring,
# and the baseline means, on the 1-5 agree scale (secondary) or the 1-3 faces (primary).
SHIFTS = {
    "violence_attitudes": -0.35,
    "bystander": 0.3,
    "help_seeking": 0.25,
    "feeling_safe": 0.1,
    "fighting_ok": -0.2,
    "helping_others": 0.2,
    "getting_help": 0.15,
}
BASELINE_MEANS = {
    "violence_attitudes": 2.2,
    "bystander": 3.4,
    "help_seeking": 3.5,
    "feeling_safe": 3.7,
    "fighting_ok": 1.6,
    "helping_others": 2.3,
    "getting_help": 2.4,
}


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _seed_instrument(spec: dict) -> InstrumentVersion:
    from .services.instruments import instrument_version_publish

    instrument, created = Instrument.objects.get_or_create(
        slug=spec["slug"],
        defaults={
            "name": spec["name"],
            "description": spec["description"],
            "min_age": spec["min_age"],
            "max_age": spec["max_age"],
            "licence_status": Instrument.Licence.OWN,
        },
    )
    if not created and spec is SECONDARY and (instrument.min_age, instrument.max_age) == SECONDARY_OLD_AGES:
        instrument.min_age, instrument.max_age = spec["min_age"], spec["max_age"]
        instrument.description = spec["description"]
        instrument.save(update_fields=["min_age", "max_age", "description"])
    version = InstrumentVersion.objects.filter(instrument=instrument, number=1).first()
    if version is None:
        version = InstrumentVersion.objects.create(instrument=instrument, number=1, notes=spec["notes"])
        order = 0
        for scale_order, (code, name, higher_is_better, items) in enumerate(spec["scales"]):
            Scale.objects.create(
                version=version, code=code, name=name, higher_is_better=higher_is_better, sort_order=scale_order
            )
            for item_code, text, reverse in items:
                Item.objects.create(
                    version=version,
                    code=item_code,
                    text=text,
                    scale_code=code,
                    response_scale=spec["response_scale"],
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


def seed_instrument() -> InstrumentVersion:
    """The secondary survey (Years 7 to 11), published."""
    return _seed_instrument(SECONDARY)


def seed_primary_instrument() -> InstrumentVersion:
    """The primary survey (Years 4 to 6), published."""
    return _seed_instrument(PRIMARY)


# Classes of other demo teachers that also ran both surveys, so the outcomes demo has
# closed baseline and post windows at four schools (regional figures need at least 3).
OTHER_SURVEYED = [
    ("teacher@hillcrest.example", "7H"),
    ("teacher@riverside-cc.example", "8S"),
    ("teacher@meadowvale.example", "9M"),
]


# The primary class: the primary programme's demo class, on the primary survey, one
# question per page; its post survey is open, so the demo shows the primary survey too.
PRIMARY_SURVEYED = ("teacher@brookside-primary.example", "Year 6 Oak")


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


def _primary_group():
    from lessons.models import TeachingGroup

    email, name = PRIMARY_SURVEYED
    return TeachingGroup.objects.filter(teacher__email=email, name=name, archived_at__isnull=True).first()


def _aware(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _windows_for(
    group, version: InstrumentVersion, *, post_closed: bool, layout: str = SurveyWindow.Layout.SCALE_PER_PAGE
) -> dict[str, SurveyWindow]:
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
                layout=layout,
            )
        windows[wave] = window
    return windows


def _answer(rng: random.Random, latent: float, item: Item) -> tuple[int | None, str]:
    """A synthetic answer near ``latent`` on the item's own response range (1-5 or 1-3)."""
    roll = rng.random()
    if roll < 0.02:
        return None, Answer.Missing.DONT_KNOW
    if roll < 0.03:
        return None, Answer.Missing.PREFER_NOT
    lo, hi = value_range(item.response_scale)
    value = min(hi, max(lo, round(latent + rng.gauss(0, 0.2 * (hi - lo)))))
    return (lo + hi - value if item.reverse_keyed else value), ""


def _seed_responses(group, windows: dict[str, SurveyWindow], version: InstrumentVersion) -> int:
    """Synthetic pupils: about 90% answer at baseline, about 85% of those at post, with
    small realistic shifts. Nothing here is a real pupil or a real code."""
    if Response.objects.filter(window__in=windows.values()).exists():
        return 0
    rng = random.Random(f"upstream-demo-{group.pk}")
    items = list(version.items.filter(scale_code__gt="").order_by("sort_order"))
    ranges = {item.scale_code: value_range(item.response_scale) for item in items}
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
        traits = {code: BASELINE_MEANS[code] + rng.gauss(0, 0.15 * (hi - lo)) for code, (lo, hi) in ranges.items()}
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
                value, missing = _answer(rng, traits[item.scale_code] + shift * SHIFTS[item.scale_code], item)
                answers.append(Answer(response=response, item=item, value=value, missing=missing))
            Answer.objects.bulk_create(answers)
            created += 1
    return created


def seed(stdout=None) -> dict:
    from .roles import ensure_survey_permissions
    from .services.instruments import instrument_suits_year_group

    ensure_survey_permissions()
    version = seed_instrument()
    primary = seed_primary_instrument()
    _say(
        stdout,
        "Surveys: "
        + ", ".join(f"'{seeded}' ({seeded.get_status_display().lower()})" for seeded in (version, primary))
        + ".",
    )
    own, others = _demo_groups()
    if not own:
        _say(stdout, f"Surveys: no classes for {DEMO_TEACHER} yet, so no demo survey windows.")
        return {"version": version, "primary_version": primary, "windows": []}
    windows: list[SurveyWindow] = []

    # The demo teacher's first class and the other schools' classes have finished both
    # surveys (outcomes to show); the demo teacher's second class is mid-way through its post
    # survey (the pupil demo), and so is the primary class, one question per page.
    open_post = own[1].pk if len(own) > 1 else None
    plans = [(group, version, group.pk != open_post, SurveyWindow.Layout.SCALE_PER_PAGE) for group in [*own, *others]]
    primary_group = _primary_group()
    if primary_group is not None:
        plans.append((primary_group, primary, False, SurveyWindow.Layout.ITEM_PER_PAGE))
    seeded: dict[str, int] = {}
    for group, group_version, post_closed, layout in plans:
        if not instrument_suits_year_group(group_version.instrument, group.year_group):
            continue
        group_windows = _windows_for(group, group_version, post_closed=post_closed, layout=layout)
        windows.extend(group_windows.values())
        created = _seed_responses(group, group_windows, group_version)
        if created:
            seeded[group.name] = created
    if seeded:
        classes = ", ".join(seeded)
        _say(stdout, f"Surveys: {sum(seeded.values())} synthetic responses in {len(seeded)} classes ({classes}).")
    if windows and not TalkRequest.objects.filter(window=windows[0]).exists():
        TalkRequest.objects.create(school=windows[0].group.school, window=windows[0], card_code=new_card_code())
    return {"version": version, "primary_version": primary, "windows": windows}
