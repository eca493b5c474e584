"""YEF Toolkit mapping (lessons.evidence)."""

from lessons.evidence import EVIDENCE, ToolkitEntry, evidence_for


def test_knife_crime_education_carries_the_yef_flag_verbatim():
    assert evidence_for(ToolkitEntry.KNIFE_CRIME).headline == (
        "Insufficient evidence of impact; risk of increasing fear or carrying."
    )


def test_every_toolkit_entry_has_a_headline_and_a_yef_link():
    for entry in ToolkitEntry:
        if entry == ToolkitEntry.NONE:
            assert evidence_for(entry) is None
            continue
        evidence = EVIDENCE[entry]
        assert evidence.headline
        assert evidence.url.startswith("https://youthendowmentfund.org.uk/toolkit/")


def test_social_skills_headline_quotes_the_32_percent_figure():
    assert "32%" in evidence_for(ToolkitEntry.SOCIAL_SKILLS).headline
