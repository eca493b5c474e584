"""Response-scale presets: the values stored and the words a pupil sees.

Scoring reads min and max from here (never hard-coded elsewhere): a reverse-keyed answer
scores ``min + max - raw``. "Don't know" and "Prefer not to say" are not values: they are
stored as missing codes on the answer (see Answer.Missing) and never scored.

The middle of a scale reads "In between", never "Not sure": it is an answer (partly yes,
partly no), while "Don't know" (no answer) sits apart below the choices. A child cannot
tell "Not sure" from "Don't know" (docs/pupil-access.md, "Answer choices for children").
"""

from __future__ import annotations

from .models.instruments import ResponseScale
from .models.responses import Response

PRESETS: dict[str, list[tuple[int, str]]] = {
    ResponseScale.AGREE_5: [
        (1, "Strongly disagree"),
        (2, "Disagree"),
        (3, "In between"),
        (4, "Agree"),
        (5, "Strongly agree"),
    ],
    ResponseScale.FOUR_POINT: [(1, "Never"), (2, "Sometimes"), (3, "Often"), (4, "Always")],
    ResponseScale.FACES_3: [(1, "No"), (2, "In between"), (3, "Yes")],
    ResponseScale.YES_NO: [(0, "No"), (1, "Yes")],
}

# Demographic questions store their choice on the response, not as a scored answer.
DEMOGRAPHIC_CHOICES: dict[str, list[tuple[str, str]]] = {
    ResponseScale.GENDER: list(Response.Gender.choices),
    ResponseScale.ETHNICITY: list(Response.EthnicGroup.choices),
}


def value_range(response_scale: str) -> tuple[int, int]:
    values = [value for value, _ in PRESETS[response_scale]]
    return min(values), max(values)


def allowed_values(response_scale: str) -> set[int]:
    return {value for value, _ in PRESETS[response_scale]}
