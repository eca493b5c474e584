"""The analyst export: pseudonymised record-level data, one row per matched pupil, for VRU
analysts only (docs/data-protection.md, "What an analyst receives").

One row per **matched pupil pair** (a pupil linked from baseline to post, or to follow-up,
within their class), with every scale's baseline score, later score and change side by
side. A row per response would put one pupil on two rows that the analyst would have to
link again; a row per pair is the unit every paired analysis starts from, and the unit the
k-anonymity check counts. Pupils with only one wave are left out: the aggregate export
(``export_outcomes``) carries the match rate and the lost pupils' figures.

What a row never holds: a card code or self-generated code, a participant id, a keyed hash
or anything derived from one, a school name or URN, a class name, a response id or a date.
The school and class are random identifiers (``secrets``) drawn afresh for every export,
as is each row's ``record_id``, so two exports cannot be joined on their identifiers. Rows
are sorted by their random id, so the order says nothing either.

Before anything is released, ``outcomes.stats.kanon.anonymise`` coarsens the
quasi-identifiers (place, year group, gender, ethnic group) until each combination is
shared by at least 10 rows, and drops rows that never get there. The check runs over every
matched pupil of the programme, academic year, wave pair and instrument, whatever the place
and year-group filters, and those filters then select rows by their **published** values:
so one pupil is coarsened the same way in every export of the same data (combining two
differently filtered exports reveals nothing more than either), and a filtered file is a
union of whole groups, each still of at least 10.

Reading: the same per-response scale sums and the same matching as the rollups
(``services._read_batch``, ``building.match_responses``, the 80 % rule of ``building.score_units``), so
a row's scores are exactly those the published figures are summed from. Only classes whose
two windows have closed contribute, as for the figures.

Every export that produces a file is written to Wagtail's audit log
(``upstream.analyst.export``) with who, when, the filters and the counts, never a row.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import secrets
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from wagtail.log_actions import log

from accounts.roles import ANALYST, user_vru_roles
from lessons.models import TeachingGroup, academic_year_label
from surveys.models import Instrument, Response, SurveyWindow

from . import services
from .building import match_responses
from .exports import neutralise
from .filters import OutcomeFilter, ResolvedFilter
from .models import Compare
from .selectors import CAVEAT
from .stats.kanon import NOT_SHOWN, K, Published, Record, Report, anonymise
from .stats.scoring import min_answered

PERMISSION = "accounts.export_pseudonymised_records"
LOG_ACTION = "upstream.analyst.export"
DOWNLOAD_LOG_ACTION = "upstream.analyst.download"
#: Exports reading more completed responses than this are not started from the page: the
#: worker builds the file in the background (``analyst_jobs``, 15-minute time limit), and
#: 20,000 pupils' 33,000 responses took 16 to 29 s on the shared 2-core machine
#: (bench/analyst_results.md), so 200,000 is about 3 minutes. Larger ones are made with
#: ``manage.py export_analyst_records``, which has no time limit.
WEB_RESPONSE_LIMIT = 200_000
Wave = SurveyWindow.Wave
LATER_LABEL: dict[str, str] = {Compare.POST: "post", Compare.FOLLOW_UP: "follow_up"}
FIXED_COLUMNS = (
    "record_id",
    "programme",
    "academic_year",
    "comparison",
    "instrument",
    "local_authority",
    "school_id",
    "class_id",
    "year_group",
    "gender",
    "ethnic_group",
)


def may_export(user) -> bool:
    """Analysts only: the VRU analyst role *and* its permission. A superuser without the
    role is refused (superusers hold every permission, not every role)."""
    return bool(user.is_authenticated and ANALYST in user_vru_roles(user) and user.has_perm(PERMISSION))


@dataclass(frozen=True)
class ScaleInfo:
    code: str
    name: str
    order: int
    higher_is_better: bool


@dataclass(frozen=True)
class PupilPair:
    """One matched pupil, as read: the class's place and year group, the pupil's gender and
    ethnic group (baseline, or the later answer where baseline was blank), and per scale
    (baseline score, later score), each None when not scored."""

    programme_id: int
    academic_year: int
    compare: str
    instrument_id: int
    local_authority_id: int
    school_id: int
    group_id: int
    year_group: int
    gender: str
    ethnic_group: str
    scores: dict[str, tuple[Fraction | None, Fraction | None]]


@functools.cache
def _needed(n_items: int) -> int:
    return min_answered(n_items)


def _score_of(answered_and_sum: tuple[int, int] | None, n_items: int) -> Fraction | None:
    """The scale score as an exact fraction under the rollups' rule (``building.score_units``:
    at least ``min_answered`` of the items answered), or None."""
    if answered_and_sum is None:
        return None
    answered, keyed = answered_and_sum
    if answered < _needed(n_items) or answered > n_items:
        return None
    return Fraction(keyed, answered)


def _groups(resolved: ResolvedFilter) -> list[int]:
    """Classes of the chosen programmes (and academic year) with a later window of the
    chosen wave pair. Place and year-group filters are applied later, on published values."""
    later_wave = services.LATER_WAVE[resolved.filter.compare]
    groups = TeachingGroup.objects.filter(
        programme_id__in=[p.id for p in resolved.programmes], survey_windows__wave=later_wave
    )
    if resolved.filter.academic_year is not None:
        groups = groups.filter(academic_year=resolved.filter.academic_year)
    return sorted(set(groups.values_list("pk", flat=True)))


def workload(resolved: ResolvedFilter) -> int:
    """How many completed responses an export of these filters reads: the page starts
    background exports up to ``web_limit()``; larger ones are made with
    ``manage.py export_analyst_records``."""
    return Response.objects.filter(window__group_id__in=_groups(resolved), status=Response.Status.COMPLETED).count()


def web_limit() -> int:
    return int(getattr(settings, "UPSTREAM_ANALYST_WEB_RESPONSES", WEB_RESPONSE_LIMIT))


def read_pairs(resolved: ResolvedFilter, *, now: dt.datetime | None = None) -> tuple[list[PupilPair], dict]:
    """Every matched pupil of the filter's partitions, and the scales met (code -> info)."""
    now = now or timezone.now()
    compare = resolved.filter.compare
    pairs: list[PupilPair] = []
    scales: dict[str, ScaleInfo] = {}
    group_ids = _groups(resolved)
    for start in range(0, len(group_ids), services.BATCH_SIZE):
        batch = services._read_batch(group_ids[start : start + services.BATCH_SIZE], now)
        for group_id, group in sorted(batch.groups.items()):
            baseline = batch.windows.get((group_id, Wave.BASELINE))
            later = batch.windows.get((group_id, services.LATER_WAVE[compare]))
            if not (
                baseline
                and later
                and services.window_is_closed(baseline, now)
                and services.window_is_closed(later, now)
            ):
                continue
            base_specs = batch.scales.get(baseline["instrument_version_id"], [])
            if not base_specs:
                continue
            instrument_id = base_specs[0].instrument_id
            later_specs = {
                s.code: s
                for s in batch.scales.get(later["instrument_version_id"], [])
                if s.instrument_id == instrument_id
            }
            matched, _ambiguous = match_responses(
                batch.responses.get(baseline["id"], []),
                batch.responses.get(later["id"], []),
                school_id=group["school_id"],
                year_group=group["year_group"],
            )
            for spec in base_specs:
                scales.setdefault(spec.code, ScaleInfo(spec.code, spec.name, spec.order, spec.higher_is_better))
            for base_record, later_record, _method in matched:
                scores: dict[str, tuple[Fraction | None, Fraction | None]] = {}
                for spec in base_specs:
                    later_spec = later_specs.get(spec.code)
                    scores[spec.code] = (
                        _score_of(base_record.scores.get(spec.code), spec.n_items),
                        _score_of(later_record.scores.get(later_spec.code), later_spec.n_items)
                        if later_spec is not None
                        else None,
                    )
                if not any(x is not None and y is not None for x, y in scores.values()):
                    continue  # matched, but no scale scored at both waves
                pairs.append(
                    PupilPair(
                        programme_id=group["programme_id"],
                        academic_year=group["academic_year"],
                        compare=compare,
                        instrument_id=instrument_id,
                        local_authority_id=group["school__local_authority_id"],
                        school_id=group["school_id"],
                        group_id=group_id,
                        year_group=group["year_group"],
                        gender=base_record.gender or later_record.gender,
                        ethnic_group=base_record.ethnic_group or later_record.ethnic_group,
                        scores=scores,
                    )
                )
    return pairs, scales


def _record(pair: PupilPair) -> Record:
    return Record(
        partition=(pair.programme_id, pair.academic_year, pair.compare, pair.instrument_id),
        local_authority=pair.local_authority_id,
        school=pair.school_id,
        group=pair.group_id,
        year_group=pair.year_group,
        gender=pair.gender,
        ethnic_group=pair.ethnic_group,
    )


def _selected(resolved: ResolvedFilter, published: Published) -> bool:
    """The place and year-group filters, on the values a row is published with (a row whose
    school is not shown is not in a school's export: including it would say where it is)."""
    if resolved.local_authority is not None and published.local_authority != resolved.local_authority.pk:
        return False
    if resolved.school is not None and published.school != resolved.school.pk:
        return False
    year_group = resolved.filter.year_group
    return year_group is None or published.year_group == year_group


class _Identifiers:
    """Random identifiers for one export: a fresh draw from ``secrets`` per export, never
    derived from anything stored, unique within the export."""

    def __init__(self, prefix: str, nbytes: int = 5):
        self.prefix, self.nbytes = prefix, nbytes
        self.issued: dict[Any, str] = {}
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            value = f"{self.prefix}{secrets.token_hex(self.nbytes)}"
            if value not in self.used:
                self.used.add(value)
                return value

    def __call__(self, key: Any) -> str:
        if key == NOT_SHOWN:
            return NOT_SHOWN
        if key not in self.issued:
            self.issued[key] = self.new()
        return self.issued[key]


def _score(value: Fraction | None) -> str:
    if value is None:
        return ""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass
class Export:
    """One analyst export, ready to write: rows, columns, the check's report, the filter."""

    resolved: ResolvedFilter
    reference: str
    created_at: dt.datetime
    columns: tuple[str, ...]
    rows: list[list[str]]
    report: Report
    scales: list[ScaleInfo]
    checked: int
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"upstream-analyst-export-{timezone.localtime(self.created_at):%Y-%m-%d}-{self.reference}.zip"


def filter_summary(resolved: ResolvedFilter) -> dict[str, Any]:
    """The filters as the analyst chose them, for the audit log and the readme."""
    f = resolved.filter
    return {
        "programme": f.programme or "all",
        "academic_year": academic_year_label(f.academic_year) if f.academic_year is not None else "all",
        "local_authority": f.local_authority or "all",
        "school": f.school or "all",
        "year_group": f.year_group if f.year_group is not None else "all",
        "comparison": LATER_LABEL[f.compare],
    }


def build_export(resolved: ResolvedFilter, *, now: dt.datetime | None = None, on_stage=None) -> Export:
    """Read, check k-anonymity, select by the place and year-group filters, pseudonymise.
    ``on_stage(text, percent)``, when given, hears each step (the background job's progress)."""
    now = now or timezone.now()
    stage = on_stage or (lambda text, percent: None)
    stage("Reading matched pupils", 10)
    pairs, scale_map = read_pairs(resolved, now=now)
    stage(f"Checking k-anonymity over {len(pairs)} matched pupils", 55)
    result = anonymise([_record(pair) for pair in pairs], k=K)
    stage("Pseudonymising the rows", 70)
    scales = sorted(scale_map.values(), key=lambda s: (s.order, s.code))
    later = LATER_LABEL[resolved.filter.compare]
    score_columns = [f"{s.code}_{part}" for s in scales for part in ("baseline", later, "change")]
    programmes = {p.id: p.title for p in resolved.programmes}
    authorities = dict(
        TeachingGroup.objects.filter(pk__in={p.group_id for p in pairs})
        .values_list("school__local_authority_id", "school__local_authority__name")
        .distinct()
    )
    instruments = dict(Instrument.objects.filter(pk__in={p.instrument_id for p in pairs}).values_list("pk", "name"))
    records, schools, classes = _Identifiers("r-"), _Identifiers("s-", 4), _Identifiers("c-", 4)
    rows: list[list[str]] = []
    selected_published: list[Published] = []
    for pair, published in zip(pairs, result.published, strict=True):
        if published is None or not _selected(resolved, published):
            continue
        selected_published.append(published)
        row = [
            records.new(),
            neutralise(programmes[pair.programme_id]),
            academic_year_label(pair.academic_year),
            later,
            neutralise(instruments.get(pair.instrument_id, "")),
            NOT_SHOWN
            if published.local_authority == NOT_SHOWN
            else neutralise(authorities.get(published.local_authority, "")),  # type: ignore[call-overload]
            schools(published.school),
            classes(published.group),
            str(published.year_group),
            published.gender,
            published.ethnic_group,
        ]
        for scale in scales:
            x, y = pair.scores.get(scale.code, (None, None))
            change = y - x if x is not None and y is not None else None
            row += [_score(x), _score(y), _score(change)]
        rows.append(row)
    rows.sort(key=lambda r: r[0])
    export = Export(
        resolved=resolved,
        reference=secrets.token_hex(4),
        created_at=now,
        columns=(*FIXED_COLUMNS, *score_columns),
        rows=rows,
        report=result.report,
        scales=scales,
        checked=len(pairs),
        filters=filter_summary(resolved),
    )
    return export


def parse_filters(data) -> ResolvedFilter:
    """From the form's raw strings; ``FilterError`` with messages for a person."""
    return OutcomeFilter.parse(
        programme=data.get("programme"),
        academic_year=data.get("academic_year"),
        local_authority=data.get("local_authority"),
        school=data.get("school"),
        year_group=data.get("year_group"),
        compare=data.get("compare"),
    ).resolve()


def log_export(export: Export, user) -> None:
    """Who, when (the entry's timestamp), the filters and the counts: never a row."""
    log(
        instance=user,
        action=LOG_ACTION,
        user=user,
        data={
            "reference": export.reference,
            "filters": export.filters,
            "rows": len(export.rows),
            "checked": export.checked,
            "coarsened": export.report.coarsened_records,
            "dropped": export.report.dropped,
            "k": export.report.k,
        },
    )


def log_download(*, reference: str, job_id: int, user) -> None:
    """Who downloaded which export (its reference), and when: a file made once may be
    downloaded several times while it is kept."""
    log(instance=user, action=DOWNLOAD_LOG_ACTION, user=user, data={"reference": reference, "job": job_id})


# --- The file ------------------------------------------------------------------------------

_COARSENING_WORDS = {
    ("place", "class not shown"): "class not shown (school and local authority kept)",
    ("place", "school not shown"): "school and class not shown (local authority kept)",
    ("place", "local authority not shown"): "local authority, school and class not shown",
    ("year_group", "key stage"): "year group shown as its key stage",
    ("year_group", "not shown"): "year group not shown",
    ("gender", "broader group"): "gender shown as a broader group",
    ("gender", "not shown"): "gender not shown",
    ("ethnic_group", "broader group"): "ethnic group shown as a broader group",
    ("ethnic_group", "not shown"): "ethnic group not shown",
}


def metadata_rows(export: Export) -> list[tuple[str, str]]:
    report = export.report
    rows: list[tuple[str, str]] = [
        ("reference", export.reference),
        ("created", timezone.localtime(export.created_at).strftime("%Y-%m-%d %H:%M %Z")),
        *((f"filter: {name}", str(value)) for name, value in export.filters.items()),
        ("rows in this file", str(len(export.rows))),
        ("matched pupils checked", str(export.checked)),
        ("k (smallest group allowed)", str(report.k)),
        ("quasi-identifiers", "local authority, school, class, year group, gender, ethnic group"),
        ("released as recorded", str(report.unchanged)),
        ("released coarsened", str(report.coarsened_records)),
        *((f"coarsened: {_COARSENING_WORDS[key]}", str(n)) for key, n in report.coarsened.items()),
        ("dropped (no group of k even fully coarsened)", str(report.dropped)),
        ("caveat", CAVEAT),
    ]
    return rows


def readme(export: Export) -> str:
    report = export.report
    later = LATER_LABEL[export.resolved.filter.compare].replace("_", "-")
    lines = [
        "Upstream: pseudonymised record-level outcomes (analyst export)",
        "=" * 62,
        "",
        f"Reference {export.reference}, made {timezone.localtime(export.created_at):%d %B %Y at %H:%M}.",
        "This reference is in the platform's audit log with who made the export and its filters.",
        "",
        "MONITORING, NOT PROOF OF IMPACT",
        CAVEAT,
        "",
        "What is in records.csv",
        "----------------------",
        f"One row per matched pupil: a pupil whose baseline and {later} surveys were linked within their class",
        "(by their participant card, or their own code). Pupils with one survey only are not included;",
        "the aggregate export (export_outcomes) gives match rates and the figures of pupils lost.",
        "",
        "Filters: " + "; ".join(f"{name.replace('_', ' ')} {value}" for name, value in export.filters.items()) + ".",
        f"Rows in this file: {len(export.rows)} (of {export.checked} matched pupils checked).",
        "",
        "Identifiers",
        "-----------",
        "record_id, school_id and class_id are random, drawn afresh for this export only. They are not",
        "card codes, own codes, hashes of them, URNs or names, and nothing stored in the platform can turn",
        "them back. Two exports get different identifiers, so their rows cannot be joined on them.",
        "No names, dates of birth, card codes, URNs or dates of answering are included.",
        "",
        "Columns",
        "-------",
        "record_id: random id of the row.",
        "programme, academic_year, comparison, instrument: the programme, school year, wave pair and",
        "  questionnaire the pupil took.",
        "local_authority: the school's local authority, or 'not shown'.",
        "school_id, class_id: random ids (the same id means the same school or class within this file),",
        "  or 'not shown'.",
        "year_group: the class's year group, its key stage (KS2, KS3, KS4) or 'not shown'.",
        "gender: girl, boy, other, pns (prefer not to say), not_recorded; or the broader groups girl, boy,",
        "  'other or not stated'; or 'not shown'.",
        "ethnic_group: asian, black, mixed, white, other, pns, not_recorded; or the broader groups white,",
        "  'asian, black, mixed or other', 'not stated'; or 'not shown'.",
        "  Gender and ethnic group are the pupil's baseline answers (the later answer where baseline was blank).",
    ]
    for scale in export.scales:
        direction = "higher is better" if scale.higher_is_better else "lower is better"
        lines.append(
            f"{scale.code}_baseline, {scale.code}_{LATER_LABEL[export.resolved.filter.compare]}, "
            f"{scale.code}_change: '{scale.name}' ({direction}); the mean of the answered items after reverse-keying,"
        )
        lines.append("  empty when fewer than 80% of the scale's items were answered; change = later - baseline.")
    lines += [
        "Scores are exact means rounded to 4 decimal places.",
        "",
        "Disclosure control: k-anonymity",
        "-------------------------------",
        "Before release, every combination of local authority, school, class, year group, gender and ethnic group",
        f"(within each programme, academic year, comparison and instrument) was made to hold at least {report.k} rows:",
        "first gender and ethnic group were put into broader groups, then the class, the exact year group (key",
        "stage instead), gender, ethnic group, the school, the year group and the local authority were hidden in",
        "that order, only for the rows that needed it. Rows still in a group under k were dropped.",
        "The check ran over all matched pupils of the programme and year; place and year-group filters then chose",
        "rows by their published values, so rows whose school (or year group) is not shown are not in a file",
        "filtered by school (or year group).",
        "",
        f"Matched pupils checked: {report.records}",
        f"Released as recorded: {report.unchanged}",
        f"Released with something coarsened: {report.coarsened_records}",
    ]
    lines += [f"  {_COARSENING_WORDS[key]}: {n}" for key, n in report.coarsened.items()]
    lines += [
        f"Dropped: {report.dropped}",
        f"In this file: {len(export.rows)}",
        "",
        "Handle this file under the VRU's data-sharing agreement: keep it on VRU systems, do not try to identify",
        "any pupil, school or class, do not link it with other data about pupils, and publish only aggregates",
        "that follow the platform's disclosure rules (fewer than 10 pupils: not shown).",
        "",
    ]
    return "\n".join(lines)


def write_zip(export: Export, stream: IO[bytes]) -> None:
    """records.csv, metadata.csv and README.txt in one ZIP, so the readme travels with the data."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("records.csv", "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(export.columns)
            writer.writerows(export.rows)
            text.flush()
            text.detach()
        meta = io.StringIO()
        csv.writer(meta).writerows([("item", "value"), *metadata_rows(export)])
        archive.writestr("metadata.csv", meta.getvalue())
        archive.writestr("README.txt", readme(export))
