"""The report's figures: matplotlib, saved as PNG (for the HTML) and SVG (for print).

Every figure names the baseline, the number of runs and the config hash in
its footer, and every estimate is drawn with its 95% interval, because a
decision-maker who sees a bare bar reads it as certain.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window (reports run on servers and in CI)

import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.transforms import Bbox
import numpy as np
import pandas as pd

from . import communities
from . import text as T
from .text import capital
from .stats import bands

BASELINE_COLOR = "#6b6b6b"
# No red or green: the charts of changes and the tables say clearly worse / better with them, so an
# option drawn red in one chart would read as a bad one in the next.
PALETTE = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79", "#7b4173", "#8c6d31", "#252525", "#f0027f"]
MARKERS, LINES = ["o", "D", "^"], ["-", "--", ":"]  # the first round of colours, the second, the third
UP, DOWN, UNCLEAR = "#2a8a3e", "#c0392b", "#8a8a8a"
SLIGHTLY_UP, SLIGHTLY_DOWN = "#9fd3a8", "#eba69e"  # clear, but smaller than the change that matters (text.MATTERS)
WIDTH = 10.0  # inches; at 150 dpi a figure fills a laptop-width report column


@dataclass
class Painter:
    """Draws and saves figures in one language, with one footer."""

    lang: str
    footer: str
    folder: Path
    labels: dict[str, str]  # arm id -> label in this language; its order fixes each arm's colour
    baseline_ids: set[str]

    def color(self, arm_id: str, order: list[str] | None = None) -> str:
        """The arm's colour, the same in every figure (the baseline grey)."""
        if arm_id in self.baseline_ids:
            return BASELINE_COLOR
        return PALETTE[self._rank(arm_id) % len(PALETTE)]

    def marker(self, arm_id: str) -> str:
        """With more arms than colours, the marker tells two arms of one colour apart."""
        return MARKERS[self._rank(arm_id) // len(PALETTE) % len(MARKERS)]

    def line(self, arm_id: str) -> str:
        """Line style, for the same reason as ``marker``."""
        return LINES[self._rank(arm_id) // len(PALETTE) % len(LINES)]

    def _rank(self, arm_id: str) -> int:
        others = [a for a in self.labels if a not in self.baseline_ids]
        return others.index(arm_id) if arm_id in others else 0

    def figure(self, title: str, nrows: int = 1, ncols: int = 1, height: float = 4.0, **kw):
        fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH, height), layout="constrained", squeeze=False, **kw)
        fig.suptitle(title, fontsize=13.5)  # Noto Sans SC ships one weight: no bold
        fig.supxlabel(self.footer, fontsize=7.5, color="#555555", x=0.005, ha="left")
        return fig, axes

    def save(self, fig, name: str) -> Path:
        """Write ``name``.png and ``name``.svg; returns the PNG."""
        self.folder.mkdir(parents=True, exist_ok=True)
        png = self.folder / f"{name}.png"
        fig.savefig(png, dpi=150)
        fig.set_layout_engine("none")  # keep the layout just computed: laying out again costs more than drawing
        fig.savefig(self.folder / f"{name}.svg")
        plt.close(fig)
        return png


# ---------------------------------------------------------------------- helpers


def _width(text: str) -> int:
    """Width in Latin letters: a Chinese character takes about two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrapped(label: str, width: int = 32) -> str:
    """A label longer than ``width`` Latin letters on two lines, so it does not squeeze the panels
    (an arm's swept setting or reference) or reach past its axis."""
    if _width(label) <= width:
        return label
    for sep in ("（对照", " (vs ", "（", " ("):
        cut = label.find(sep, 1)
        if 0 < cut:
            return label[:cut] + "\n" + label[cut:].lstrip()
    commas = [i for i in range(len(label)) if label.startswith(", ", i)]  # a swept setting: 'a=1, b=2, c=true'
    if commas:
        cut = min(commas, key=lambda i: max(_width(label[: i + 1]), _width(label[i + 2 :])))
        return label[: cut + 1] + "\n" + label[cut + 2 :]
    return label


def panel_title(text: str, ax) -> str:
    """A panel's title, on two lines where it would run into its neighbour's (three panels a row and
    long English titles: 'Mean time a problem stays open' beside 'Gridworker turnover a year (%)')."""
    columns = ax.get_subplotspec().get_gridspec().ncols
    limit = max(20, 84 // columns)
    return textwrap.fill(text, limit) if _width(text) > limit and " " in text else text


def axis_title(metric: str, lang: str, difference: bool = False) -> str:
    label = capital(T.metric_label(metric, lang))
    kind = T.metric_kind(metric)
    if kind == "yuan":
        return f"{label}（万元）" if lang == "zh" else f"{label} (thousand yuan)"
    if kind == "rate":
        u = ("百分点" if lang == "zh" else "percentage points") if difference else "%"
        return f"{label}（{u}）" if lang == "zh" else f"{label} ({u})"
    if kind == "score" and difference:  # a change of a 0–100 score is in points, not on the 0–100 scale
        return f"{capital(T.sentence_label(metric, lang))}（分）" if lang == "zh" else f"{capital(T.sentence_label(metric, lang))} (points)"
    if kind == "days" and lang == "zh":
        return f"{label}（天）"
    if kind == "count" and metric.startswith(("problems_", "mean_open_problems", "queue_length")) and lang == "zh":
        return f"{label}（件）"
    if kind == "index":  # efficacy, belonging, burnout, capacity: scores from 0 to 1
        return f"{label}（0–1）" if lang == "zh" else f"{label} (0–1)"
    return label


def dot_panel(ax, painter: Painter, rows: pd.DataFrame, order: list[str], metric: str, value="mean", show_labels=True, annotate=True, difference=False, colors=None) -> None:
    """Horizontal dots with 95% intervals, one row per arm, first arm on top (in chart units)."""
    f = T.axis_factor(metric, painter.lang)
    rows = rows.set_index("arm")
    if not difference:
        rows[["low", "high"]] = rows[["low", "high"]].clip(*T.possible_range(metric))
    present = [a for a in order if a in rows.index]
    ys = np.arange(len(present))[::-1]
    for y, arm in zip(ys, present):
        r = rows.loc[arm]
        c = colors[arm] if colors else painter.color(arm, order)
        if math.isfinite(r["low"]):
            ax.hlines(y, r["low"] * f, r["high"] * f, color=c, lw=2.4, alpha=0.85)
        ax.plot(r[value] * f, y, "o", color=c, ms=7, zorder=3)
        if annotate:
            note = _signed(metric, r[value], painter.lang, r["low"], r["high"]) if difference else T.value_text(metric, r[value], painter.lang)
            if T.metric_kind(metric) == "yuan" and painter.lang == "en" and not difference:  # in the axis's unit: '1,604k yuan', not '1.60M yuan'
                note = f"{T.number(r[value] * f, 0)}k yuan"
            # A change below zero is labelled on its left, so that its label does not cross the zero line;
            # the white backing keeps a reference line that still passes from striking a label through.
            left = difference and r[value] < 0
            end = r["low"] if left else r["high"]
            end = end if math.isfinite(end) else r[value]
            ax.annotate(note, (end * f, y), xytext=(-7 if left else 7, 0), textcoords="offset points", va="center", ha="right" if left else "left",
                        fontsize=8.5, color="#333333", bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_yticks(ys, [wrapped(painter.labels[a]) for a in present] if show_labels else [""] * len(present))
    ax.set_ylim(-0.7, len(present) - 0.3)
    shown = rows.loc[present, [value, "low", "high"]].to_numpy(dtype=float) * f
    shown = shown[np.isfinite(shown)]
    if len(shown) and np.ptp(shown) == 0:  # every arm the same, e.g. no turnover in a short run: no axis of ±0.05
        v, floor = float(shown[0]), (-math.inf if difference else T.possible_range(metric)[0] * f)
        pad = max(abs(v) * 0.1, 1.0)
        ax.set_xlim(max(v - pad, floor), v + pad)
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.margins(x=0.2)
    if difference and annotate and (rows.loc[present, value] < 0).any():  # room on the left for the labels placed there
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo - 0.12 * (hi - lo), hi)


def change_colors(metric: str, rows: pd.DataFrame) -> dict[str, str]:
    """Each arm's colour for a change of ``metric``: green clearly better, red clearly worse, pale
    green or red where that change is smaller than what matters, grey otherwise (the tables'
    rule, ``text.change_class``)."""
    palette = {"better": UP, "worse": DOWN, "slightly_better": SLIGHTLY_UP, "slightly_worse": SLIGHTLY_DOWN}
    return {r.arm: palette.get(T.change_class(metric, r.low, r.high), UNCLEAR) for r in rows.itertuples()}


def _signed(metric: str, value: float, lang: str, low: float = math.nan, high: float = math.nan) -> str:
    """A change as the effects table writes it (the same digits, given its interval)."""
    kind = T.metric_kind(metric)
    if kind == "yuan":
        return ("+" if value >= 0 else "") + T.yuan(value, lang)
    f = T.scale(metric)
    shown = value * f
    return T.signed_number(shown, T.digits_for(metric, shown, low * f, high * f))


# ---------------------------------------------------------------------- figures
def comparison(painter: Painter, table: pd.DataFrame, order: list[str], metrics: list[str], title: str, name: str, ncols: int = 2, sharex: bool = False) -> Path:
    """Mean and 95% interval of each metric per arm; the baseline's mean as a dashed line."""
    metrics = [m for m in metrics if m in set(table["metric"])]
    nrows = math.ceil(len(metrics) / ncols)
    height = max(2.6, 0.32 * len(order) + 1.3) * nrows + 0.8
    fig, axes = painter.figure(title, nrows, ncols, height=height, sharex=sharex)
    for k, ax in enumerate(axes.flat):
        if k >= len(metrics):
            ax.set_visible(False)
            continue
        metric = metrics[k]
        rows = table[table["metric"] == metric]
        dot_panel(ax, painter, rows, order, metric, show_labels=k % ncols == 0)
        base = rows[rows["arm"].isin(painter.baseline_ids)]
        if len(base) == 1:
            ax.axvline(base["mean"].iloc[0] * T.axis_factor(metric, painter.lang), color=BASELINE_COLOR, ls="--", lw=1)
        ax.set_title(panel_title(axis_title(metric, painter.lang), ax), fontsize=10.5)
    if sharex:  # one scale from zero, with room for the value labels
        f = T.axis_factor(metrics[0], painter.lang)
        top = float(table.loc[table["metric"].isin(metrics), ["mean", "high"]].max().max()) * f
        axes.flat[0].set_xlim(0, top * 1.2)
    return painter.save(fig, name)


def effects(painter: Painter, table: pd.DataFrame, order: list[str], metrics: list[str], title: str, name: str = "effects") -> Path:
    """Paired differences from the baseline: green or red where the interval excludes zero."""
    metrics = [m for m in metrics if m in set(table["metric"])]
    arms = [a for a in order if a in set(table["arm"])]
    fig, axes = painter.figure(title, 1, len(metrics), height=max(2.8, 0.42 * len(arms) + 1.6))
    for k, (ax, metric) in enumerate(zip(axes.flat, metrics)):
        rows = table[table["metric"] == metric]
        dot_panel(ax, painter, rows.rename(columns={"effect": "mean"}), arms, metric, show_labels=k == 0, difference=True, colors=change_colors(metric, rows))
        ax.axvline(0, color="#333333", lw=1)
        ax.set_title(panel_title(axis_title(metric, painter.lang, difference=True), ax), fontsize=10.5)
    return painter.save(fig, name)


def costs(painter: Painter, table: pd.DataFrame, title: str, name: str = "cost_effectiveness") -> Path:
    """Extra cost a year against extra participants and unresolved problems avoided, with the efficient frontier."""
    from .compare import efficient_frontier

    fig, axes = painter.figure(title, 1, 2, height=4.8)
    lang = painter.lang
    f = T.axis_factor("total_cost", lang)
    order = list(table["arm"])
    x, x_low, x_high = (table[c].to_numpy() * f for c in ("cost", "cost_low", "cost_high"))
    named = []  # (panel, gains, frontier): names go on once the layout is fixed, where they fit
    for ax, gain, label in zip(axes.flat, ("participants", "avoided"), ("extra_participants", "avoided_unresolved")):
        y, y_low, y_high = (table[c].to_numpy() for c in (gain, f"{gain}_low", f"{gain}_high"))
        for i, arm in enumerate(order):
            ax.errorbar(x[i], y[i], yerr=[[y[i] - y_low[i]], [y_high[i] - y[i]]] if math.isfinite(y_low[i]) else None,
                        xerr=[[x[i] - x_low[i]], [x_high[i] - x[i]]] if math.isfinite(x_low[i]) else None,
                        fmt=painter.marker(arm), color=painter.color(arm, order), ms=7, capsize=3, lw=1.4, zorder=3)
        frontier = efficient_frontier(list(x), list(y), list(y_low))
        ax.plot([0.0, *x[frontier]], [0.0, *y[frontier]], color="#222222", lw=1.2, zorder=2, label=T.word("frontier", lang))
        named.append((ax, y, set(frontier)))
        ax.plot(0, 0, "s", color=BASELINE_COLOR, ms=7, zorder=3)
        ax.axhline(0, color="#999999", lw=0.8)
        ax.axvline(0, color="#999999", lw=0.8)
        ax.set_xlabel(capital(T.word("extra_cost", lang)) + ("（万元）" if lang == "zh" else " (thousand yuan)"))
        ax.set_ylabel(wrapped(capital(T.word(label, lang)), width=44), linespacing=1.4)  # one line longer than the axis reached into the title
        ax.grid(color="#ececec")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    # Colours match the other figures; a legend stays readable where points crowd near the baseline.
    base = next((painter.labels[a] for a in painter.labels if a in painter.baseline_ids), T.word("baseline", lang))
    handles = [plt.Line2D([], [], marker="s", ls="", color=BASELINE_COLOR, ms=7, label=f"{base}（0, 0）" if lang == "zh" else f"{base} (0, 0)")]
    handles += [plt.Line2D([], [], marker=painter.marker(a), ls="", color=painter.color(a), ms=7, label=painter.labels[a]) for a in order]
    handles.append(plt.Line2D([], [], color="#222222", lw=1.2, label=capital(T.word("frontier", lang))))
    fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=9.5)
    centre_title_over(fig, axes.flat)
    for ax, y, frontier in named:
        _name_points(ax, painter, order, x, y, frontier)
    return painter.save(fig, name)


def _name_points(ax, painter: Painter, order: list[str], x: np.ndarray, y: np.ndarray, frontier: set[int]) -> None:
    """Name the options a reader looks for by name (those on the frontier, and those far from the
    baseline's corner), so that two of a kind in the legend are not told apart by shade alone.

    Each name tries six places around its point (either side, then above and below) and takes
    the first inside the panel that comes near no name already placed and no other option's
    marker; one that fits nowhere is left to the legend. Call after the layout is fixed.
    """
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return
    span_x, span_y = (max(float(np.abs(v[finite]).max()), 1e-9) for v in (x, y))
    renderer = ax.figure.canvas.get_renderer()
    panel = ax.get_window_extent(renderer)
    gap = renderer.points_to_pixels(2.0)  # the PNG is drawn at another resolution: names that just miss here may touch there
    radius = renderer.points_to_pixels(3.5 + 3.0)  # a marker of size 7, and room: a name beside another's marker would seem to be its
    points = {-1: (0.0, 0.0)} | {i: (x[i], y[i]) for i in np.flatnonzero(finite)}  # -1: the baseline
    markers = {i: Bbox.from_extents(cx - radius, cy - radius, cx + radius, cy + radius) for i, (cx, cy) in
               zip(points, ax.transData.transform(np.array(list(points.values()), dtype=float)))}
    taken = []
    wanted = [i for i in range(len(order)) if finite[i] and (i in frontier or abs(x[i]) > 0.3 * span_x or abs(y[i]) > 0.3 * span_y)]
    for i in sorted(wanted, key=lambda i: (i not in frontier, -abs(y[i]))):  # the frontier first, then the largest gains
        name = re.split(r"（对照| \(vs ", painter.labels[order[i]])[0]  # the legend names the reference
        places = [(6, 3, "left"), (6, -11, "left"), (-6, 3, "right"), (-6, -11, "right")]
        if x[i] > 0.7 * span_x:  # towards the panel's right edge: the left side first
            places = places[2:] + places[:2]
        places += [(0, 8, "center"), (0, -17, "center")]  # above or below, where both sides are taken
        for dx, dy, ha in places:
            note = ax.annotate(name, (x[i], y[i]), xytext=(dx, dy), textcoords="offset points", ha=ha, fontsize=7.5, color="#333333",
                               zorder=4, bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7})
            note.set_in_layout(False)  # a long name must not shrink the panels
            box = note.get_window_extent(renderer)
            inside = panel.x0 <= box.x0 and box.x1 <= panel.x1 and panel.y0 <= box.y0 and box.y1 <= panel.y1
            if inside and not any(box.padded(gap).overlaps(other) for other in taken) and not any(box.overlaps(m) for j, m in markers.items() if j != i):
                taken.append(box)
                break
            note.remove()


def responses(painter: Painter, means: pd.DataFrame, parameters: list[str], metrics: list[str], rho: pd.DataFrame, title: str, name: str = "responses") -> Path:
    """Each measure (rows) against each swept parameter (columns): one dot per design point
    (its mean over replications), with the rank correlation in the panel's corner."""
    fig, axes = painter.figure(title, len(metrics), len(parameters), height=2.2 * len(metrics) + 1.0, sharey="row")
    for i, metric in enumerate(metrics):
        f = T.axis_factor(metric, painter.lang)
        for j, parameter in enumerate(parameters):
            ax = axes[i, j]
            ax.plot(means[parameter], means[metric] * f, "o", ms=3.5, color=PALETTE[0], alpha=0.75)
            ax.text(0.03, 0.95, f"ρ = {T.number(rho.loc[parameter, metric], 2)}", transform=ax.transAxes, va="top", fontsize=8.5, color="#333333",
                    bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}, zorder=4)
            if i == len(metrics) - 1:
                ax.set_xlabel(wrapped(parameter.split(".", 1)[-1].replace(".", " ")), fontsize=8.5)
            if j == 0:
                ax.set_ylabel(wrapped(axis_title(metric, painter.lang)), fontsize=8.5)
            ax.tick_params(labelsize=7.5)
            ax.grid(color="#ececec")
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
    return painter.save(fig, name)


def centre_title_over(fig, axes) -> None:
    """Centre the title over the panels rather than the whole figure, which includes a legend at its side."""
    fig.get_layout_engine().execute(fig)
    boxes = [ax.get_position() for ax in axes]
    title = fig._suptitle  # matplotlib has no public getter for the title's Text
    if title is not None:
        title.set_x((min(b.x0 for b in boxes) + max(b.x1 for b in boxes)) / 2)


def time_series(painter: Painter, series: pd.DataFrame, order: list[str], metrics: list[str], title: str, name: str = "time_series",
                marks: dict[str, list[int]] | None = None) -> Path:
    """Mean over replications per day with its 95% band, one line per arm; ``marks``: days to
    mark with a triangle in the arm's colour on each panel's axis (scheduled events)."""
    metrics = [m for m in metrics if m in series]
    marks = marks or {}
    ncols = 2
    nrows = math.ceil(len(metrics) / ncols)
    fig, axes = painter.figure(title, nrows, ncols, height=3.0 * nrows + 1.3)
    for k, ax in enumerate(axes.flat):
        if k >= len(metrics):
            ax.set_visible(False)
            continue
        metric = metrics[k]
        stacked: Counter[int] = Counter()
        for arm in order:
            rows = series[series["arm"] == arm]
            if rows.empty:
                continue
            b = bands(rows, metric)
            b[["low", "high"]] = b[["low", "high"]].clip(*T.possible_range(metric))
            b[["mean", "low", "high"]] *= T.axis_factor(metric, painter.lang)
            c = painter.color(arm, order)
            ax.fill_between(b["day"], b["low"], b["high"], color=c, alpha=0.18, lw=0)
            ax.plot(b["day"], b["mean"], color=c, ls=painter.line(arm), lw=1.6, label=painter.labels[arm])
            if marks.get(arm):
                lift = [0.04 * stacked.get(day, 0) for day in marks[arm]]  # another arm's mark on the same day stays visible
                stacked.update(marks[arm])
                ax.plot(marks[arm], lift, ls="", marker="^", ms=7, color=c, markeredgecolor="white",
                        transform=ax.get_xaxis_transform(), clip_on=False, zorder=5)  # on the axis line, whatever the scale
        ax.set_title(panel_title(axis_title(metric, painter.lang), ax), fontsize=10.5)
        ax.set_xlabel(capital(T.word("day", painter.lang)))
        ax.grid(color="#ececec")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", frameon=False, fontsize=9.5)
    centre_title_over(fig, axes.flat)
    return painter.save(fig, name)


def contributions(painter: Painter, table: pd.DataFrame, metrics: list[str], mechanism_labels: dict[str, str], title: str, name: str = "contributions") -> Path:
    """Main effects (top) and pairwise synergies (below the line) of each mechanism, with 95% intervals."""
    metrics = [m for m in metrics if m in set(table["metric"])]
    first = table[(table["metric"] == metrics[0]) & (table["kind"] == "main")].sort_values("effect", ascending=False)
    synergy = table[(table["metric"] == metrics[0]) & (table["kind"] == "synergy")]
    order = list(first["term"]) + list(synergy["term"])
    def term_label(term: str) -> str:
        names = term.split(" × ")
        return capital(" × ".join(mechanism_labels.get(n, n) for n in names))  # as every other chart's arm labels
    labels = {t: term_label(t) for t in order}
    inner = Painter(painter.lang, painter.footer, painter.folder, labels, set())
    fig, axes = painter.figure(title, 1, len(metrics), height=max(3.2, 0.36 * len(order) + 1.8))
    for k, (ax, metric) in enumerate(zip(axes.flat, metrics)):
        rows = table[table["metric"] == metric].rename(columns={"term": "arm", "effect": "mean"})
        dot_panel(ax, inner, rows, order, metric, show_labels=k == 0, difference=True, colors=change_colors(metric, rows))
        ax.axvline(0, color="#333333", lw=1)
        if len(synergy):
            ax.axhline(len(order) - len(first) - 0.5, color="#999999", lw=0.8, ls=":")
        ax.set_title(panel_title(axis_title(metric, painter.lang, difference=True), ax), fontsize=10.5)
    return painter.save(fig, name)


def spatial(painter: Painter, snapshots: list[dict], title: str, name: str = "spatial") -> Path:
    """Participation and open problems per building as heat maps, one column per snapshot run.

    In a world of several communities (社区) their borders are drawn over the zones' and each is
    numbered, as the per-community table names them (sim.analysis.communities).
    """
    ncols = len(snapshots)
    grid = snapshots[0]["participation"]
    cell_in = min(0.45, 7.5 / ncols / max(grid.shape[0], 1))  # inches per building, so both maps fit the width
    height = min(10.0, 2 * cell_in * grid.shape[1] + 1.8)
    fig, axes = painter.figure(title, 2, ncols, height=height)
    rows = (("participation", "YlGn", "participation_map", 100.0), ("open_problems", "OrRd", "open_map", 1.0))
    for row, (layer, cmap, word, factor) in enumerate(rows):
        values = [np.where(s["building"] >= 0, s[layer] * factor, np.nan) for s in snapshots]
        top = max((float(np.nanmax(v)) for v in values if np.isfinite(v).any()), default=1.0) or 1.0
        for col, (snap, data) in enumerate(zip(snapshots, values)):
            ax = axes[row][col]
            image = ax.imshow(data.T, origin="lower", cmap=cmap, vmin=0, vmax=top, interpolation="nearest")
            if communities.count(snap) > 1:  # the zones fade so that the communities stand out
                _edges(ax, snap["zone"], color="#9a9a9a", width=0.4)
                _edges(ax, snap["community"], color="#000000", width=1.4, zorder=3)
                _community_numbers(ax, snap, size=min(7.0, max(5.0, 40 * cell_in)))
            else:
                _edges(ax, snap["zone"])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_facecolor("#eeeeee")
            if row == 0:
                ax.set_title(snap["title"], fontsize=10)
            if col == 0:
                ax.set_ylabel(T.word(word, painter.lang), fontsize=10)
        bar = fig.colorbar(image, ax=axes[row].tolist(), shrink=0.9)
        bar.set_label("%" if layer == "participation" else ("件" if painter.lang == "zh" else "problems"), fontsize=9)
    return painter.save(fig, name)


def _edges(ax, group: np.ndarray, color: str = "#333333", width: float = 0.8, zorder: float = 2) -> None:
    """Lines where neighbouring cells of ``group`` (a grid indexed [x, y]) differ: the borders of
    grid zones (网格) or of communities (社区).

    One collection for every segment: a district has some 16,000 of them, and one
    line artist each made its maps take a minute to draw.
    """
    z = group.T
    rows, cols = np.nonzero(z[:, 1:] != z[:, :-1])
    upright = [((j + 0.5, i - 0.5), (j + 0.5, i + 0.5)) for i, j in zip(rows, cols)]
    rows, cols = np.nonzero(z[1:, :] != z[:-1, :])
    level = [((j - 0.5, i + 0.5), (j + 0.5, i + 0.5)) for i, j in zip(rows, cols)]
    ax.add_collection(LineCollection(upright + level, colors=color, linewidths=width, capstyle="projecting", zorder=zorder), autolim=False)


def _community_numbers(ax, snap: dict, size: float) -> None:
    """Each community's number (as the per-community table gives it) on one of its own buildings."""
    # A pale box keeps a number legible on the darkest cell; an outline (path effect) would too, but
    # draws every glyph as its own path and nearly doubled a district's SVG.
    box = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
    for number, (x, y) in communities.label_cells(snap).items():
        ax.text(x, y, str(number), fontsize=size, ha="center", va="center", color="#000000", zorder=5, bbox=box)

