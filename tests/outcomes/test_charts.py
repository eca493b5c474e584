"""Charts: valid SVG with a title and a text description, safe to inline under the strict
CSP (no <style>, style= or <script>), unique ids per chart, and the plotted numbers equal to
the figures the selector published."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from outcomes import charts, presentation, selectors, services
from outcomes.filters import OutcomeFilter
from tests.factories import SchoolFactory
from tests.outcomes.helpers import authority, closed_class, outcome_version, populate, programme_page

NS = {"svg": charts.SVG_NS}


def _chart(**kwargs) -> charts.ScaleChart:
    defaults = {
        "chart_id": "chart-7",
        "title": "Feeling safe: baseline and post means, West Midlands",
        "scale_name": "Feeling safe",
        "groups": (
            charts.ChartGroup("All pupils", charts.Interval(2.91, 2.80, 3.02), charts.Interval(3.40, 3.28, 3.52)),
            charts.ChartGroup("Girls", charts.Interval(2.85, 2.70, 3.00), charts.Interval(3.55, 3.41, 3.69)),
        ),
        "omitted": (("Boys", "fewer than 10"),),
        "caveat": selectors.CAVEAT,
    }
    defaults.update(kwargs)
    return charts.ScaleChart(**defaults)


def test_the_svg_parses_and_has_an_accessible_name_and_description():
    svg = charts.render(_chart())
    root = ET.fromstring(svg)
    assert root.tag == f"{{{charts.SVG_NS}}}svg"
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and desc is not None
    assert list(root)[:2] == [title, desc]  # first children, so assistive technology finds them
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert title.text == "Feeling safe: baseline and post means, West Midlands"
    # The description carries every plotted number and says what was left out and why.
    for number in ("2.91", "2.80", "3.02", "3.40", "3.28", "3.52", "2.85", "3.55", "3.69"):
        assert number in desc.text
    assert "Boys not shown: fewer than 10." in desc.text
    assert "monitoring, not proof of impact" in desc.text


def test_the_svg_stays_unprefixed_after_another_library_registers_an_svg_prefix():
    """WeasyPrint registers the prefix "svg" for the SVG namespace when it writes a PDF;
    ElementTree's registry is process-wide, so a chart drawn after a PDF must still be
    <svg ...>, not <svg:svg ...> (which a browser does not read as an inline SVG)."""
    saved = dict(ET._namespace_map)  # type: ignore[attr-defined]
    try:
        ET.register_namespace("svg", charts.SVG_NS)
        svg = charts.render(_chart(chart_id="chart-after-weasyprint"))
    finally:
        ET._namespace_map.clear()  # type: ignore[attr-defined]
        ET._namespace_map.update(saved)  # type: ignore[attr-defined]
    assert svg.startswith("<svg ") and "<svg:" not in svg
    assert ET.fromstring(svg).tag == f"{{{charts.SVG_NS}}}svg"


def test_the_svg_is_safe_to_inline_under_the_strict_csp():
    svg = charts.render(_chart())
    root = ET.fromstring(svg)
    tags = {element.tag.split("}", 1)[-1] for element in root.iter()}
    assert "style" not in tags and "script" not in tags and "foreignObject" not in tags
    assert all("style" not in element.attrib for element in root.iter())
    assert all(not name.lower().startswith("on") for element in root.iter() for name in element.attrib)
    assert "<style" not in svg and "style=" not in svg and "<script" not in svg
    # Text is kept as text (svg.fonttype = 'none'), not drawn as glyph paths.
    texts = [element.text for element in root.iter(f"{{{charts.SVG_NS}}}text")]
    assert "All pupils" in texts and "Girls" in texts
    # The styling survived as presentation attributes.
    assert any(element.get("fill") == charts.POST_COLOUR.lower() for element in root.iter())


def test_ids_are_unique_per_chart_and_every_reference_resolves():
    first, second = charts.render(_chart(chart_id="chart-1")), charts.render(_chart(chart_id="chart-2"))
    ids_1 = set(re.findall(r' id="([^"]+)"', first))
    ids_2 = set(re.findall(r' id="([^"]+)"', second))
    assert ids_1 and not ids_1 & ids_2
    for svg, ids in ((first, ids_1), (second, ids_2)):
        refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
        assert refs and refs <= ids


@pytest.mark.django_db
def test_rendering_is_deterministic_and_cached():
    from django.core.cache import cache

    chart = _chart()
    assert charts.render(chart) == charts.render(chart)
    cache.clear()
    assert charts.render_cached(chart, key_prefix="v1") == charts.render(chart)
    assert cache.get(charts.cache_key(chart, key_prefix="v1")) == charts.render(chart)
    assert cache.get(charts.cache_key(chart, key_prefix="v2")) is None
    changed = _chart(groups=(charts.ChartGroup("All pupils", charts.Interval(1.0), charts.Interval(2.0)),))
    assert charts.digest(changed) != charts.digest(chart)
    assert charts.render_cached(changed, key_prefix="v1") != charts.render_cached(chart, key_prefix="v1")


def test_an_empty_chart_says_so():
    svg = charts.render(_chart(groups=(), omitted=(("All pupils", "fewer than 10"),)))
    desc = ET.fromstring(svg).find("svg:desc", NS).text
    assert "All pupils not shown: fewer than 10." in desc
    assert "No figure can be shown" in desc


@pytest.mark.django_db
def test_the_plotted_numbers_equal_the_selectors_figures():
    version, programme = outcome_version(), programme_page()
    for slug in ("coventry", "dudley", "walsall"):
        school = SchoolFactory(local_authority=authority(slug))
        _g, baseline, post = closed_class(programme=programme, version=version, school=school)
        populate(baseline, post, 12, lost=2)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    table = selectors.outcome_table(OutcomeFilter.parse(programme=programme.slug, scopes="region").resolve())
    found = presentation.sections(table)
    assert [s.scale for s in found] == ["safety", "violence"]
    for section in found:
        row = next(r for r in table.rows if r.scale == section.scale and r.scope == "region" and r.subgroup == "all")
        summary = row.figures.summary
        (group,) = section.chart.groups
        assert group.baseline.mean == summary.baseline_mean and group.post.mean == summary.post_mean
        # The interval is the t interval of the wave mean over the matched pupils.
        expected = presentation.wave_interval(summary.baseline_mean, summary.baseline_sd, row.figures.n_matched)
        assert (group.baseline.low, group.baseline.high) == (expected.low, expected.high)
        assert group.baseline.low < summary.baseline_mean < group.baseline.high
        # The SVG's description and the data table carry the same numbers, as shown.
        desc = ET.fromstring(section.svg).find("svg:desc", NS).text
        assert presentation.number(summary.baseline_mean) in desc
        assert presentation.number(summary.post_mean) in desc
        assert section.total.cells["n_matched"] == str(row.figures.n_matched) == "36"
        assert section.total.cells["n_schools"] == "3" and section.total.cells["n_classes"] == "3"
        assert section.total.cells["change"].startswith(presentation.number(summary.mean_change, signed=True))


def _drawn(svg_root: ET.Element) -> list[tuple[str, dict[str, str], str]]:
    """Every element that draws or defines something, in document order, with the attributes
    it has or inherits from its groups (ids left out: the compaction drops unused ones, and
    every reference is checked to resolve; an empty <defs> defines nothing)."""
    out: list[tuple[str, dict[str, str], str]] = []

    def walk(element: ET.Element, inherited: dict[str, str]) -> None:
        attrs = {**inherited, **{k: v for k, v in element.attrib.items() if k != "id"}}
        tag = element.tag.split("}", 1)[-1]
        if tag == "defs" and not len(element):
            return
        if tag != "g":
            out.append((tag, attrs, (element.text or "").strip()))
        for child in element:
            walk(child, attrs if tag == "g" else {})

    for child in svg_root:
        walk(child, {})
    return out


@pytest.mark.parametrize(
    "groups",
    [
        None,
        (),
        (charts.ChartGroup("All pupils", charts.Interval(2.0), charts.Interval(2.5, None, None)),),
    ],
)
def test_the_compacted_markup_draws_exactly_what_matplotlib_drew(monkeypatch, groups):
    """The compaction (unused ids, attribute-less <g>, whitespace) must not change the
    picture: every drawing element, its order and its effective attributes are the same as
    in the uncompacted SVG, with about half the elements."""
    chart = _chart() if groups is None else _chart(groups=groups, omitted=(("Girls", "fewer than 10"),))
    compact = charts.render(chart)
    monkeypatch.setattr(charts, "_compact", lambda root: None)
    full = charts.render(chart)
    compact_root, full_root = ET.fromstring(compact), ET.fromstring(full)
    assert _drawn(compact_root) == _drawn(full_root)
    assert len(list(compact_root.iter())) < 0.7 * len(list(full_root.iter()))
    assert not [e for e in compact_root.iter(f"{{{charts.SVG_NS}}}g") if not e.attrib]
    referenced = set(re.findall(r'href="#([^"]+)"', compact)) | set(re.findall(r"url\(#([^)]+)\)", compact))
    ids = {e.get("id") for e in compact_root.iter() if e.get("id")}
    assert ids - referenced == {chart.chart_id, chart.title_id, chart.desc_id}
    assert compact_root.get("aria-labelledby") == chart.title_id and compact_root.get("role") == "img"
