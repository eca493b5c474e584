"""Server-rendered SVG charts of outcome figures: the baseline and post means of a scale with
their 95 % intervals, for all pupils or per subgroup of a breakdown.

The same SVG goes on the dashboard (inlined in the page) and into the PDF reports
(WeasyPrint renders inline SVG), so it must be self-contained and safe under the strict
Content-Security-Policy:

- drawn with matplotlib's SVG backend (``Agg``-free, no GUI, no ``pyplot`` global state),
  with ``svg.fonttype = 'none'`` so labels stay text (selectable, read by screen readers,
  scalable) instead of paths;
- matplotlib's ``<style>`` element and every ``style="..."`` attribute are turned into SVG
  presentation attributes (``fill``, ``stroke``, ``font-size``...), and its metadata block is
  dropped: the result has no ``<style>``, no ``style=`` and no ``<script>``;
- every ``id`` is prefixed with the chart's id (and each reference rewritten), so several
  charts inlined in one page never share an id;
- the markup is compacted without changing the picture (``_compact``): matplotlib labels
  every group with an id nothing refers to and wraps each artist in a ``<g>``; ids nothing
  refers to are dropped, a ``<g>`` left with no attribute at all (which draws nothing and
  changes nothing) is replaced by its children, and whitespace between elements (ignored
  by SVG outside text) is removed. That halves the elements of a chart (about 140 to 65),
  which WeasyPrint parses, styles and draws one by one in a PDF report;
- the root has ``role="img"``, ``aria-labelledby`` naming its ``<title>`` (the accessible
  name) and ``aria-describedby`` its ``<desc>`` (a text description of every plotted number
  and of any group left out). The page shows
  the data table beside it (``templates/outcomes/admin/includes/scale.html``).

Rendering is deterministic (fixed hash salt, no date), so the SVG of the same figures is
the same bytes; ``render_cached`` stores it in Django's cache under a digest of the chart's
content (which includes the figures, so new data versions give new keys).

No request, no database: the reports' Celery tasks import this module as it is.
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("svg")  # the SVG backend only: never a GUI toolkit

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

CACHE_PREFIX = "outcomes-chart-v2"  # v2: compacted markup (same picture)
CACHE_SECONDS = 24 * 3600

# Okabe-Ito colours (safe for colour-blind readers; both have at least 3:1 contrast on
# white). Colour is never the only cue: baseline is a circle, post a square, and the
# legend and the data table name them.
BASELINE_COLOUR = "#0072B2"
POST_COLOUR = "#D55E00"
TEXT_COLOUR = "#1a1a1a"
GRID_COLOUR = "#d0d0d0"
FONT_FAMILY = ["DejaVu Sans", "Liberation Sans", "Arial", "sans-serif"]

# CSS properties matplotlib writes in style="" that are also SVG presentation attributes.
PRESENTATION_ATTRIBUTES = frozenset(
    {
        "clip-path",
        "fill",
        "fill-opacity",
        "fill-rule",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "dominant-baseline",
        "letter-spacing",
    }
)


@dataclass(frozen=True)
class Interval:
    """A mean and its 95 % interval (None where it cannot be computed)."""

    mean: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class ChartGroup:
    """One group on the chart: all pupils, or one category of a breakdown."""

    label: str
    baseline: Interval
    post: Interval


@dataclass(frozen=True)
class ScaleChart:
    """What one chart shows. ``omitted`` names groups left out because their figures are
    hidden (label, reason), so the description can say so."""

    chart_id: str
    title: str
    scale_name: str
    groups: tuple[ChartGroup, ...]
    omitted: tuple[tuple[str, str], ...] = ()
    later_label: str = "Post"
    higher_is_better: bool = True
    caveat: str = ""
    digits: int = 2
    extra: tuple = field(default=())

    @property
    def title_id(self) -> str:
        return f"{self.chart_id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.chart_id}-desc"


def _fmt(value: float | None, digits: int) -> str:
    return "not available" if value is None else f"{value:.{digits}f}"


def describe(chart: ScaleChart) -> str:
    """The chart's text description: every plotted number, in words."""
    d = chart.digits
    parts = [
        f"Mean score on {chart.scale_name} at baseline and {chart.later_label.lower()}, "
        f"with 95% intervals, for the pupils matched across both surveys."
    ]
    if not chart.higher_is_better:
        parts.append("On this scale a lower score is better.")
    for group in chart.groups:
        b, p = group.baseline, group.post
        parts.append(
            f"{group.label}: baseline {_fmt(b.mean, d)} (95% interval {_fmt(b.low, d)} to {_fmt(b.high, d)}), "
            f"{chart.later_label.lower()} {_fmt(p.mean, d)} (95% interval {_fmt(p.low, d)} to {_fmt(p.high, d)})."
        )
    for label, reason in chart.omitted:
        parts.append(f"{label} not shown: {reason}.")
    if not chart.groups:
        parts.append("No figure can be shown for these filters.")
    if chart.caveat:
        parts.append(chart.caveat)
    return " ".join(parts)


def _draw(chart: ScaleChart) -> str:
    """matplotlib's SVG for the chart (before it is made CSP-safe)."""
    groups = chart.groups
    rows = max(1, len(groups))
    height = 1.15 + 0.62 * rows
    rc = {
        "svg.fonttype": "none",
        "svg.hashsalt": chart.chart_id,
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILY[:-1],
        "font.size": 10,
        "text.color": TEXT_COLOUR,
        "axes.labelcolor": TEXT_COLOUR,
        "xtick.color": TEXT_COLOUR,
        "ytick.color": TEXT_COLOUR,
        "axes.edgecolor": "#595959",
    }
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]  # plain rc keys; the stubs want Literal keys
        figure = Figure(figsize=(6.4, height), dpi=72)
        FigureCanvasSVG(figure)
        ax = figure.add_subplot()
        positions = list(range(len(groups)))[::-1]  # first group at the top
        offset = 0.17
        values: list[float] = []
        for series, colour, marker, shift, name in (
            ("baseline", BASELINE_COLOUR, "o", offset, "Baseline"),
            ("post", POST_COLOUR, "s", -offset, chart.later_label),
        ):
            xs, ys, lows, highs = [], [], [], []
            for y, group in zip(positions, groups, strict=True):
                interval: Interval = getattr(group, series)
                xs.append(interval.mean)
                ys.append(y + shift)
                low = interval.low if interval.low is not None else interval.mean
                high = interval.high if interval.high is not None else interval.mean
                lows.append(interval.mean - low)
                highs.append(high - interval.mean)
                values.extend([low, high])
            if xs:
                ax.errorbar(
                    xs,
                    ys,
                    xerr=[lows, highs],
                    fmt=marker,
                    color=colour,
                    ecolor=colour,
                    elinewidth=1.6,
                    capsize=4,
                    markersize=6.5,
                    label=f"{name} mean (95% interval)",
                )
        ax.set_yticks(positions, [g.label for g in groups])
        ax.set_ylim(-0.7, rows - 0.3)
        if values:
            lo, hi = min(values), max(values)
            pad = max(0.05, (hi - lo) * 0.15)
            ax.set_xlim(lo - pad, hi + pad)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.5, 0.5, "No figure can be shown", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel(f"Mean score on {chart.scale_name}" + ("" if chart.higher_is_better else " (lower is better)"))
        ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if groups:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False, fontsize=9)
        figure.tight_layout(pad=0.4)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buffer.getvalue()


_DECL = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]+?)\s*(?:;|$)")


def _style_to_attributes(element: ET.Element, inherited: dict[str, str] | None = None) -> None:
    style = element.attrib.pop("style", None)
    declarations = dict(inherited or {})
    if style:
        for name, value in _DECL.findall(style):
            declarations[name.lower()] = value
    for name, value in declarations.items():
        if name == "font":  # shorthand: [style] [weight] size family
            match = re.match(r"(?:(italic|oblique)\s+)?(?:(bold|normal|\d{3})\s+)?([\d.]+px)\s+(.+)", value)
            if match:
                style_, weight, size, family = match.groups()
                if style_:
                    element.set("font-style", style_)
                if weight:
                    element.set("font-weight", weight)
                element.set("font-size", size)
                element.set("font-family", family)
            continue
        if name in PRESENTATION_ATTRIBUTES:
            element.set(name, value)
        # anything else (none today) is dropped rather than kept as inline CSS


_TEXT_TAGS = frozenset(f"{{{SVG_NS}}}{name}" for name in ("text", "tspan", "textPath", "title", "desc"))
_REFERENCE = re.compile(r"url\(#([^)]+)\)")


def _compact(root: ET.Element) -> None:
    """Drop unreferenced ids, unwrap attribute-less ``<g>`` elements and empty ``<defs>``, and
    drop whitespace between elements (module docstring). Text elements are left whole."""
    href = f"{{{XLINK_NS}}}href"
    referenced: set[str] = set()
    for element in root.iter():
        for attr in (href, "href"):
            value = element.get(attr)
            if value and value.startswith("#"):
                referenced.add(value[1:])
        for value in element.attrib.values():
            referenced.update(_REFERENCE.findall(value))
    for element in root.iter():
        if element.get("id") is not None and element.get("id") not in referenced:
            del element.attrib["id"]
    group, defs = f"{{{SVG_NS}}}g", f"{{{SVG_NS}}}defs"

    def flatten(parent: ET.Element) -> None:
        if parent.tag in _TEXT_TAGS:
            return
        if parent.text is not None and not parent.text.strip():
            parent.text = None
        children: list[ET.Element] = []
        for child in parent:
            flatten(child)
            if child.tail is not None and not child.tail.strip():
                child.tail = None
            if child.tag == group and not child.attrib:
                children.extend(child)
            elif child.tag == defs and not len(child) and not child.attrib:
                continue
            else:
                children.append(child)
        parent[:] = children

    flatten(root)


def make_safe(svg: str, *, chart_id: str, title: str, description: str, title_id: str, desc_id: str) -> str:
    """matplotlib's SVG as an element safe to inline under a strict CSP (module docstring)."""
    # Our own matplotlib output, never user input, so the stdlib parser is fine here.
    root = ET.fromstring(svg.encode("utf-8"))  # noqa: S314
    tag = f"{{{SVG_NS}}}"
    # Drop <metadata>, <style> and any <script> (matplotlib writes none; defence in depth).
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{tag}metadata", f"{tag}style", f"{tag}script") or not isinstance(child.tag, str):
                parent.remove(child)
    _compact(root)
    # The global rule matplotlib's <style> held, as inherited attributes on the root.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    # style="" -> presentation attributes; ids prefixed; references rewritten.
    ids: dict[str, str] = {}
    for element in root.iter():
        old = element.get("id")
        if old:
            new = f"{chart_id}-{old}".replace(".", "-")
            ids[old] = new
            element.set("id", new)
    href = f"{{{XLINK_NS}}}href"
    for element in root.iter():
        _style_to_attributes(element)
        for attr in (href, "href"):
            value = element.get(attr)
            if value and value.startswith("#") and value[1:] in ids:
                element.set(attr, "#" + ids[value[1:]])
        clip = element.get("clip-path")
        if clip:
            match = re.fullmatch(r"url\(#([^)]+)\)", clip)
            if match and match.group(1) in ids:
                element.set("clip-path", f"url(#{ids[match.group(1)]})")
        for attr in list(element.attrib):
            if attr.lower().startswith("on"):  # never an event handler
                del element.attrib[attr]
    # Accessible name and description, first children of the root.
    title_el = ET.Element(f"{tag}title", {"id": title_id})
    title_el.text = title
    desc_el = ET.Element(f"{tag}desc", {"id": desc_id})
    desc_el.text = description
    root.insert(0, desc_el)
    root.insert(0, title_el)
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", title_id)
    root.set("aria-describedby", desc_id)
    root.set("class", "outcome-chart")
    root.set("focusable", "false")
    root.attrib.pop("version", None)
    # Registered again on every call, not only at import: ElementTree's prefix registry is
    # process-wide and WeasyPrint registers "svg" for the same namespace when it writes a
    # PDF's metadata, after which tostring() would write <svg:svg>, which browsers do not
    # treat as an inline SVG (no role, no accessible name). (tostring's default_namespace
    # cannot be used: it refuses the plain attribute names every SVG element has.)
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


def render(chart: ScaleChart) -> str:
    """The chart as inline-safe SVG markup (a string starting with ``<svg``)."""
    return make_safe(
        _draw(chart),
        chart_id=chart.chart_id,
        title=chart.title,
        description=describe(chart),
        title_id=chart.title_id,
        desc_id=chart.desc_id,
    )


def digest(chart: ScaleChart) -> str:
    """A key for everything the SVG depends on (the figures included)."""
    return hashlib.sha256(repr(chart).encode("utf-8")).hexdigest()


def cache_key(chart: ScaleChart, *, key_prefix: str = "") -> str:
    return f"{CACHE_PREFIX}:{hashlib.sha256(key_prefix.encode()).hexdigest()[:16]}:{digest(chart)}"


def render_cached(chart: ScaleChart, *, key_prefix: str = "") -> str:
    """``render`` through Django's cache. ``key_prefix`` (e.g. the table's data versions and
    filter) is part of the key as well as the chart's own digest."""
    from django.core.cache import cache

    key = cache_key(chart, key_prefix=key_prefix)
    svg = cache.get(key)
    if svg is None:
        svg = render(chart)
        cache.set(key, svg, CACHE_SECONDS)
    return svg
