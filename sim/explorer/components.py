"""Solara components of the explorer: the grid, the plots and the status card.

The grid is drawn from the model's property layers (one cell per building) as
one ``imshow``, with aggregate markers on top: gridworkers per zone,
enterprises and social organisations per community. Nothing is drawn per
resident, so a district of 500,000 residents draws as fast as one community.
The plots draw the DataCollector's daily rates.

Every component takes the model as its only argument and reads Mesa's
``update_counter``, so SolaraViz redraws it after each step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import matplotlib
import numpy as np
import solara
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter
from mesa.visualization.utils import update_counter

# Layers the grid can be coloured by: name -> (label, colour map, kind).
LAYERS: dict[str, tuple[str, str, str]] = {
    "participation": ("Participation (share active, last 30 days)", "YlGn", "share"),
    "open_problems": ("Open problems", "OrRd", "count"),
    "zone": ("Grid zone (网格)", "tab20", "category"),
    "community": ("Community (社区)", "tab20", "category"),
    "building_age": ("Building age (years)", "YlOrBr", "count"),
    "residents": ("Residents per building", "Oranges", "count"),
}

LAYER_NAMES: dict[str, str] = {
    "participation": "Participation",
    "open_problems": "Open problems",
    "zone": "Grid zone (网格)",
    "community": "Community (社区)",
    "building_age": "Building age",
    "residents": "Residents per building",
}
"""What the layer picker shows for each layer (the keys are model layer names)."""

grid_layer = solara.reactive("participation")
"""The layer the grid is coloured by (one value per browser session)."""

EMPTY = "#eeeeee"
ZONE_BORDER = "#8a8a8a"
GRIDWORKER, ENTERPRISE, SOCIAL_ORG = "#111111", "#1e88e5", "#8e24aa"


# ---------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Geometry:
    """What does not change while a model runs: centres and borders of zones and communities."""

    zone_x: np.ndarray
    zone_y: np.ndarray
    community_x: np.ndarray
    community_y: np.ndarray
    zone_edges: np.ndarray  # (n, 2, 2) line segments between zones
    community_edges: np.ndarray  # (n, 2, 2) line segments between communities
    cell_points: float  # size of one grid cell on the figure, in points


def _centres(group: np.ndarray, n: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    count = np.maximum(np.bincount(group, minlength=n), 1)
    return np.bincount(group, weights=x, minlength=n) / count, np.bincount(group, weights=y, minlength=n) / count


def borders(ids: np.ndarray) -> np.ndarray:
    """Segments between neighbouring cells of different ``ids[x, y]`` (-1: no building)."""
    padded = np.pad(ids, 1, constant_values=-1)
    i, j = np.nonzero(padded[1:, 1:-1] != padded[:-1, 1:-1])  # between x = i-1 and x = i, at y = j
    vertical = np.stack([np.stack([i - 0.5, j - 0.5], -1), np.stack([i - 0.5, j + 0.5], -1)], 1)
    i, j = np.nonzero(padded[1:-1, 1:] != padded[1:-1, :-1])  # between y = j-1 and y = j, at x = i
    horizontal = np.stack([np.stack([i - 0.5, j - 0.5], -1), np.stack([i + 0.5, j - 0.5], -1)], 1)
    return np.concatenate([vertical, horizontal]).astype(float)


def geometry(model, width_inches: float = 4.6) -> Geometry:
    layout = model.layout
    x, y = layout.building_x.astype(float), layout.building_y.astype(float)
    zx, zy = _centres(model.building_zone, model.n_zones, x, y)
    cx, cy = _centres(model.building_community, model.n_communities, x, y)
    zone_edges = borders(np.asarray(model.layers["zone"].data))
    community_edges = borders(np.asarray(model.layers["community"].data))
    return Geometry(zx, zy, cx, cy, zone_edges, community_edges, width_inches * 72 / max(layout.width, layout.height))


# ---------------------------------------------------------------------- drawing
def draw_grid(model, layer: str, geo: Geometry | None = None, legend: bool = False) -> Figure:
    """The buildings coloured by ``layer``, with aggregate markers; a matplotlib Figure.

    Uses ``Figure`` directly (not pyplot), so it is safe in Solara's threads.
    Cells without a building are grey; buildings without a value yet (e.g.
    participation before the first day) are white. The layout is fixed (no
    constrained or tight layout), which halves the time to render it; the
    page shows the legend in HTML (:func:`legend_html`, in the status card), ``legend=True``
    draws it into the figure instead.
    """
    geo = geo or geometry(model)
    label, cmap_name, kind = LAYERS[layer]
    data = np.asarray(model.layers[layer].data, dtype=float).T  # layers are [x, y]; imshow wants [row=y, col=x]
    building = np.asarray(model.layers["building"].data).T >= 0
    missing = np.isnan(data) & building

    bottom = 0.1 if legend else 0.01
    fig = Figure(figsize=(5.6, 4.3 + (0.5 if legend else 0.0)))
    ax = fig.add_axes((0.01, bottom, 0.84, 0.93 - bottom))
    ax.set_anchor("E")
    ax.set_facecolor(EMPTY)
    cmap = matplotlib.colormaps[cmap_name]
    if kind == "category":
        shown = np.ma.masked_array(np.mod(np.where(building, data, 0), cmap.N), mask=~building)
        ax.imshow(shown, origin="lower", cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5, interpolation="nearest")
    else:
        values = data[building & ~missing]
        top = float(values.max()) if values.size else 0.0
        top = max(top, 0.05) if kind == "share" else max(top, 1.0)
        shown = np.ma.masked_array(np.where(building & ~missing, data, 0.0), mask=~building | missing)
        image = ax.imshow(shown, origin="lower", cmap=cmap, vmin=0.0, vmax=top, interpolation="nearest")
        bar = fig.colorbar(image, cax=fig.add_axes((0.87, bottom + 0.08, 0.025, 0.75 - bottom)))
        bar.ax.tick_params(labelsize=8)
        if kind == "share":
            bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if missing.any():
            ax.imshow(np.ma.masked_array(np.ones_like(data), mask=~missing), origin="lower", cmap=ListedColormap(["white"]), interpolation="nearest")
    # Zone borders in mid grey: white ones vanish on the light end of the colour maps
    # (every building on day 0, and most on the participation and problem layers).
    ax.add_collection(LineCollection(geo.zone_edges, colors=ZONE_BORDER, linewidths=0.5, alpha=0.8, zorder=2))
    ax.add_collection(LineCollection(geo.community_edges, colors="white", linewidths=2.2, zorder=2))
    ax.add_collection(LineCollection(geo.community_edges, colors="black", linewidths=0.9, zorder=2))

    # Aggregate markers: one per zone (gridworkers) and one per community (organisations).
    cell = geo.cell_points
    g = model.gridworkers
    posts = np.bincount(g.zone, weights=g.filled.astype(float), minlength=model.n_zones)
    has = posts > 0
    ax.scatter(geo.zone_x[has], geo.zone_y[has], s=(0.9 * cell) ** 2 * posts[has] / max(posts.max(), 1),
               c=GRIDWORKER, marker="o", linewidths=0.4, edgecolors="white", zorder=3)
    n_communities = geo.community_x.size
    enterprises = np.bincount(np.array([e.community for e in model.enterprises], dtype=int), minlength=n_communities)
    orgs = np.bincount(np.array([s.community for s in model.social_orgs], dtype=int), minlength=n_communities)
    size = (min(1.2 * cell, 30.0)) ** 2
    offset = 0.6 if n_communities > 1 else 0.8
    for counts, colour, marker, dx in ((enterprises, ENTERPRISE, "s", -offset), (orgs, SOCIAL_ORG, "^", offset)):
        has = counts > 0
        ax.scatter(geo.community_x[has] + dx, geo.community_y[has], s=size * np.sqrt(counts[has] / max(counts.max(), 1)),
                   c=colour, marker=marker, linewidths=0.5, edgecolors="black", zorder=4)

    ax.set_xlim(-0.5, model.layout.width - 0.5)
    ax.set_ylim(-0.5, model.layout.height - 0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    title = label.split(" (")[0] if kind == "category" else label
    ax.set_title(f"{title} — day {model.steps}", fontsize=10, loc="right")
    if legend:
        fig.legend(handles=legend_handles(model), loc="lower center", ncols=2, fontsize=7.5, frameon=False, handletextpad=0.3, columnspacing=1.0)
    return fig


CELL = "cell"
"""The legend's symbol for a grid cell's own colour (drawn as an outlined swatch)."""


def legend_items(model) -> list[tuple[str, str, str]]:
    """(symbol, colour, text) of the grid's legend."""
    return [
        ("●", GRIDWORKER, f"gridworkers by zone ({int(model.gridworkers.filled.sum()):,})"),
        ("■", ENTERPRISE, f"enterprises by community ({len(model.enterprises):,})"),
        ("▲", SOCIAL_ORG, f"social organisations by community ({len(model.social_orgs):,})"),
        ("━", "black", "community border"),
        ("━", ZONE_BORDER, "zone border"),
        (CELL, EMPTY, "no building"),
        (CELL, "white", "no value yet"),
    ]


def legend_handles(model) -> list[Line2D]:
    markers = {"●": "o", "■": "s", "▲": "^", CELL: "s"}
    return [
        Line2D([], [], marker=markers[symbol], ls="", color=colour, markeredgecolor="black", label=text) if symbol in markers
        else Line2D([], [], color=colour, lw=0.9 if colour == "black" else 0.5, label=text)
        for symbol, colour, text in legend_items(model)
    ]


def _legend_symbol(symbol: str, colour: str) -> str:
    if symbol == CELL:
        return (f'<span style="display:inline-block;width:10px;height:10px;background:{colour};'
                f'border:1px solid {ZONE_BORDER};vertical-align:-1px"></span>')
    return f'<span style="color:{colour}">{symbol}</span>'


def legend_html(model) -> str:
    """The map's legend, dark on white like the map itself: in Solara's dark theme
    the black and grey symbols would vanish on the page's dark background."""
    items = "".join(
        f'<span style="white-space:nowrap">{_legend_symbol(symbol, colour)} {text}</span>'
        for symbol, colour, text in legend_items(model)
    )
    return (f'<div class="govsim-legend" style="display:flex;flex-wrap:wrap;column-gap:14px;width:100%;'
            f'font-size:12px;line-height:1.6;background:white;color:rgba(0,0,0,0.87);padding:2px 6px;'
            f'border-radius:4px"><b>Map:</b>{items}</div>')


# ---------------------------------------------------------------------- components
@solara.component
def LayerPicker():
    """Which layer colours the grid (shown in the sidebar)."""
    by_name = {name: layer for layer, name in LAYER_NAMES.items()}
    solara.Select(label="Colour buildings by", value=LAYER_NAMES[grid_layer.value], values=list(by_name),
                  on_value=lambda name: grid_layer.set(by_name[name]))


@solara.component
def GridView(model):
    """The grid of buildings, coloured by the chosen layer."""
    update_counter.get()
    layer = grid_layer.value

    def make_geometry() -> Geometry:
        return geometry(model)

    def make_figure() -> Figure:
        return draw_grid(model, layer, geo)

    geo = solara.use_memo(make_geometry, [model])
    with solara.Column(classes=["govsim-grid"], style={"width": "100%"}):
        dependencies = [model, model.steps, layer, update_counter.value]
        figure = solara.use_memo(make_figure, dependencies)
        solara.FigureMatplotlib(figure, format="png", dpi=90, dependencies=dependencies)


SERIES_LABELS = {
    "participation_rate": "all adults",
    "participation_rate_youth": "18–34",
    "participation_rate_working_age": "35–59",
    "participation_rate_elderly": "60+",
    "resolution_rate": "resolved / arisen",
}


PARTICIPATION = {
    "participation_rate": "black",
    "participation_rate_youth": "tab:blue",
    "participation_rate_working_age": "tab:green",
    "participation_rate_elderly": "tab:red",
}
RESOLUTION = {"resolution_rate": "tab:purple"}


def rate_figure(model, series: dict[str, str], title: str) -> Figure:
    """A daily rate over the run so far: percent axis, days on x, a sensible range on day 0.

    The DataCollector's row i is recorded at the end of day i + 1, so the
    last point sits at the day the status card shows. A fixed layout, not
    ``bbox_inches="tight"`` as Mesa's own plot component uses: drawing is
    what a step in the page mostly waits for, and a tight box costs a second
    rendering pass.
    """
    fig = Figure(figsize=(5.4, 3.8))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.13, top=0.92)
    ax = fig.subplots()
    table = model.datacollector.get_model_vars_dataframe()
    days = np.arange(1, len(table) + 1)
    for name, colour in series.items():
        # a line of one or two points draws next to nothing: mark the points
        ax.plot(days, table[name].to_numpy(dtype=float), color=colour, label=SERIES_LABELS.get(name, name),
                marker="o" if len(days) < 3 else None, markersize=3)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_ylim(0, 0.1 if not len(days) else None)
    ax.set_xlabel("Day")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(30, len(days)))  # the first month at a fixed scale
    ax.legend(loc="best", fontsize=8, ncols=2)  # not over the first days' points
    ax.set_title(title, fontsize=10)
    return fig


@solara.component
def RatePlot(model, series: dict[str, str], title: str, css: str):
    """A live plot of ``series`` (one line each), redrawn after every step."""
    update_counter.get()

    def make_figure() -> Figure:
        return rate_figure(model, series, title)

    dependencies = [model, model.steps, update_counter.value]
    figure = solara.use_memo(make_figure, dependencies)
    with solara.Column(classes=[css], style={"width": "100%"}):
        solara.FigureMatplotlib(figure, format="png", dpi=90, dependencies=dependencies)


@solara.component
def ParticipationPlot(model):
    """Live plot of participation, overall and by age group."""
    RatePlot(model, PARTICIPATION, "Participation rate (active in the last 30 days)", "govsim-plot-participation")


@solara.component
def ResolutionPlot(model):
    """Live plot of the resolution rate."""
    RatePlot(model, RESOLUTION, "Resolution rate (resolved / arisen, to date)", "govsim-plot-resolution")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.1f} %"


def status_html(model) -> str:
    """The status card's text as HTML.

    Plain HTML, not ``solara.Markdown``: Solara's Markdown loads KaTeX and
    Mermaid through its CDN proxy on every mount (every step here), and KaTeX
    is not among the bundled assets, so an offline machine logged two 404s
    and a script error per step.
    """
    config = model.config
    on = config.enabled_mechanisms()
    today = model.today or {}
    world = (f"{_n(model.n_communities, 'community', 'communities')}, {_n(model.n_zones, 'zone')}, "
             f"{_n(model.n_buildings, 'building')}, {_n(model.residents.n, 'resident')}")
    gridworkers = (f"{int(model.gridworkers.filled.sum()):,} ({config.gridworkers.per_zone:.4g} posts per zone, "
                   f"admin share {config.gridworkers.admin_share:.0%})")
    rates = (f"participation {_pct(today.get('participation_rate', float('nan')))}, "
             f"resolution {_pct(today.get('resolution_rate', float('nan')))}, "
             f"open problems {int(today.get('problems_open', 0)):,}")
    rows = [
        ("Scenario", f"{config.name} — {config.description}" if config.description else config.name),
        ("World", world),
        ("Gridworkers on duty", gridworkers),
        ("Residents aged 60+", f"{config.population.elderly_share:.0%} (scenario share)"),
        ("Seed", getattr(model, "seed_text", "") or "random"),
        ("Mechanisms on", ", ".join(on) if on else "none"),
        ("Today", rates),
    ]
    lines = "<br>".join(f"<b>{escape(label)}:</b> {escape(str(value))}" for label, value in rows)
    return (f'<h3 style="font-weight:400;margin:0 0 12px">Day {model.steps}</h3>'
            f'<div style="font-size:14px;line-height:1.6;margin-bottom:12px">{lines}</div>')


@solara.component
def StatusCard(model):
    """Day, scenario, size of the world, mechanisms switched on, today's rates."""
    update_counter.get()
    with solara.Column(classes=["govsim-status"], style={"width": "100%", "padding": "8px"}):
        solara.HTML(tag="div", unsafe_innerHTML=status_html(model))
        solara.HTML(tag="div", unsafe_innerHTML=legend_html(model))
