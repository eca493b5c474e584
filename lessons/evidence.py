"""Youth Endowment Fund Toolkit entries a programme can be mapped to, with their headlines.

The entries and their sources: docs/decisions.md#evidence. Each programme maps to at most
one entry; the headline is fixed here, not typed by editors, so it cannot drift from what
the Toolkit says. Knife-crime education carries the YEF warning verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class ToolkitEntry(models.TextChoices):
    NONE = "", "No matching Toolkit entry"
    SOCIAL_SKILLS = "social_skills", "Social skills training"
    RELATIONSHIP_VIOLENCE = "relationship_violence", "Relationship violence prevention lessons and activities"
    BYSTANDER = "bystander", "Bystander interventions to prevent sexual assault"
    KNIFE_CRIME = "knife_crime", "Knife crime education programmes"
    ANTI_BULLYING = "anti_bullying", "Anti-bullying programmes"


@dataclass(frozen=True)
class Evidence:
    entry: str
    headline: str
    url: str
    caution: str = ""


EVIDENCE: dict[str, Evidence] = {
    ToolkitEntry.SOCIAL_SKILLS: Evidence(
        entry="Social skills training",
        headline="High impact – on average these programmes reduced the number of children involved in crime by 32%.",
        url="https://youthendowmentfund.org.uk/toolkit/social-skills-training/",
        caution="Confidence is lowered because estimates vary: about one in five studies found an increase in crime.",
    ),
    ToolkitEntry.RELATIONSHIP_VIOLENCE: Evidence(
        entry="Relationship violence prevention lessons and activities",
        headline="Moderate estimated impact on violent crime.",
        url="https://youthendowmentfund.org.uk/toolkit/dating-and-relationship-violence-prevention/",
    ),
    ToolkitEntry.BYSTANDER: Evidence(
        entry="Bystander interventions to prevent sexual assault",
        headline="Benefits for bystander intervention, but no evidence of effects on perpetration.",
        url="https://youthendowmentfund.org.uk/toolkit/bystander-interventions-to-prevent-sexual-assault/",
        caution="Designed for pupils aged 14 and over.",
    ),
    ToolkitEntry.KNIFE_CRIME: Evidence(
        entry="Knife crime education programmes",
        headline="Insufficient evidence of impact; risk of increasing fear or carrying.",
        url="https://youthendowmentfund.org.uk/toolkit/knife-crime-education-programmes/",
        caution=(
            "Raising awareness can make carrying seem more common than it is, and graphic "
            "images can upset pupils. Avoid shock tactics."
        ),
    ),
    ToolkitEntry.ANTI_BULLYING: Evidence(
        entry="Anti-bullying programmes",
        headline="About a 19% reduction in bullying on average (effect size 0.15).",
        url="https://youthendowmentfund.org.uk/toolkit/anti-bullying-programmes/",
    ),
}


def evidence_for(entry: str) -> Evidence | None:
    return EVIDENCE.get(entry) if entry else None
