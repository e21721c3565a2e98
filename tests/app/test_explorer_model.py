"""The explorer's model, controls, drawing and command, without a browser."""

from __future__ import annotations

import inspect
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.collections import PathCollection

from sim.mechanisms import available
from tests.conftest import SCENARIOS

SMALL_CONTROLS = {"residents": 800}


def explorer(**kwargs):
    from sim.explorer.model import ExplorerModel

    return ExplorerModel(scenario_file=str(SCENARIOS / "baseline.toml"), **kwargs)


def test_controls_become_overrides():
    model = explorer(seed="7", residents=900, admin_share=0.2, gridworkers_per_zone=2.0, elderly_share=0.3,
                     mechanism_burden_reduction=True)
    assert model.residents.n == 900
    assert model.config.gridworkers.admin_share == pytest.approx(0.2)
    assert model.config.gridworkers.per_zone == pytest.approx(2.0)
    assert model.config.population.elderly_share == pytest.approx(0.3)
    assert model.config.enabled_mechanisms() == ["burden_reduction"]
    model.step()
    assert model.steps == 1


def test_seed_box_text_is_a_repeatable_seed():
    from sim.explorer.model import parse_seed

    assert parse_seed("42") == 42 and parse_seed(" 42 ") == 42 and parse_seed(5) == 5
    assert parse_seed("") is None and parse_seed(None) is None
    assert parse_seed("licheng") == parse_seed("licheng") != parse_seed("baseline")
    runs = []
    for _ in range(2):
        model = explorer(seed="3", **SMALL_CONTROLS)
        for _ in range(5):
            model.step()
        runs.append(model.datacollector.get_model_vars_dataframe())
    assert runs[0].equals(runs[1])


def test_a_negative_seed_is_a_seed_not_a_traceback():
    # numpy refuses negative seeds; Mesa's Reset showed the ValueError's traceback in place of the page.
    from sim.explorer.model import parse_seed

    for text in ("-5", " -5 ", "-0x1"):
        assert parse_seed(text) >= 0 and parse_seed(text) == parse_seed(text)
    assert parse_seed("-5") != parse_seed("5") and parse_seed(-5) >= 0 and parse_seed(-5.0) >= 0
    model = explorer(seed="-5", **SMALL_CONTROLS)
    model.step()
    assert model.seed_text == "-5"


def test_mesa_scenario_keyword_is_ignored_and_unknown_keywords_fail():
    class Scenario:  # stands in for mesa.experimental.scenarios.Scenario (Mesa >= 3.5)
        pass

    Scenario.__module__ = "mesa.experimental.scenarios.scenario"
    model = explorer(scenario=Scenario(), **SMALL_CONTROLS)
    assert model.config.name == "baseline"
    with pytest.raises(TypeError, match="colour"):
        explorer(colour="red")


def test_model_params_offer_every_mechanism_and_the_scenario_values():
    from sim.explorer.model import ExplorerModel, model_params

    params = model_params(SCENARIOS / "district.toml")
    switches = {k[len("mechanism_"):] for k, v in params.items() if k.startswith("mechanism_")}
    assert switches == set(available())
    assert all(params[f"mechanism_{name}"]["type"] == "Checkbox" for name in switches)
    assert params["residents"]["value"] == 500_000
    assert params["residents"]["min"] <= 500_000 <= params["residents"]["max"]
    assert params["seed"]["type"] == "InputText"  # Mesa's seed box gives text
    on = model_params(SCENARIOS / "burden_reduction.toml")
    assert on["mechanism_burden_reduction"]["value"] is True
    # Every keyword Mesa will pass on Reset is accepted, and every one has a default.
    signature = inspect.signature(ExplorerModel.__init__)
    assert all(p.default is not inspect.Parameter.empty for n, p in signature.parameters.items() if n != "self" and p.kind is p.KEYWORD_ONLY)
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in model_params(SCENARIOS / "baseline.toml").items()}
    model = ExplorerModel(**{**values, **SMALL_CONTROLS})
    assert model.config.name == "baseline"


def vuetify_round(value: float, control: dict) -> float:
    """What Vuetify 2's v-slider reports for ``value`` (VSlider.roundValue)."""
    step = control["step"]
    text = repr(float(step))
    decimals = len(text.split(".")[1]) if "." in text and not text.endswith(".0") else 0
    offset = math.fmod(control["min"], step)
    snapped = math.floor((value - offset) / step + 0.5) * step + offset
    return float(f"{min(snapped, control['max']):.{decimals}f}")


@pytest.mark.parametrize("scenario", ["baseline", "district", "licheng"])
def test_sliders_keep_the_scenario_values(scenario):
    # The browser's slider reports a snapped, rounded value as soon as it is
    # shown, and Mesa rebuilds the model with it on Reset: it must be the
    # scenario's own value, or an untouched Reset changes the scenario.
    from sim.explorer.model import model_params

    path = SCENARIOS / f"{scenario}.toml"
    if not path.is_file():
        pytest.skip(f"{path.name} is not in this checkout")
    for name, control in model_params(path).items():
        if isinstance(control, dict) and control.get("type", "").startswith("Slider"):
            assert control["min"] <= control["value"] <= control["max"], (name, control)
            assert vuetify_round(control["value"], control) == control["value"], (name, control)


def test_mesa_accepts_the_model_params(no_build_under_way):
    from mesa.visualization import solara_viz

    from sim.explorer.app import PageModel
    from sim.explorer.model import ExplorerModel, model_params

    params = model_params(SCENARIOS / "baseline.toml")
    for cls in (ExplorerModel, PageModel):  # the page's models are PageModels
        solara_viz._check_model_params(cls.__init__, params)  # raises on a parameter Mesa cannot pass
    if hasattr(solara_viz, "_build_model_init_kwargs"):  # Mesa >= 3.5: Reset adds its own `scenario`
        model = PageModel(scenario_file=str(SCENARIOS / "baseline.toml"), **SMALL_CONTROLS)
        values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
        kwargs = solara_viz._build_model_init_kwargs(model, {**values, **SMALL_CONTROLS}, add_scenario_when_empty=True, require_model_accepts_scenario=True)
        rebuilt = type(model)(**kwargs)
        assert rebuilt.config.name == "baseline" and rebuilt.residents.n == SMALL_CONTROLS["residents"]


def test_scenario_picker_lists_the_folder_and_the_launch_file(tmp_path, monkeypatch):
    from sim.explorer.model import SCENARIO_ENV, initial_scenario, scenario_files

    mine = tmp_path / "my_district.toml"
    mine.write_text(f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\nname = "my_district"\n')
    files = scenario_files(extra=mine)
    assert {p.stem for p in SCENARIOS.glob("*.toml")} | {"my_district"} == set(files)
    monkeypatch.delenv(SCENARIO_ENV, raising=False)
    assert initial_scenario() == (SCENARIOS / "baseline.toml").resolve()
    monkeypatch.setenv(SCENARIO_ENV, str(mine))
    assert initial_scenario() == mine.resolve()
    assert explorer_for(mine).config.name == "my_district"


def explorer_for(path):
    from sim.explorer.model import ExplorerModel

    return ExplorerModel(scenario_file=str(path), **SMALL_CONTROLS)


def test_model_pickles():
    model = explorer(**SMALL_CONTROLS)
    model.step()
    clone = pickle.loads(pickle.dumps(model))
    clone.step()
    assert clone.steps == 2


def test_grid_drawing_uses_layers_not_residents(solara_available):
    from sim.explorer.components import LAYERS, draw_grid, geometry

    model = explorer(**SMALL_CONTROLS)
    geo = geometry(model)
    assert len(geo.zone_x) == model.n_zones and len(geo.community_edges) > 0
    for layer in LAYERS:
        fig = draw_grid(model, layer, geo)
        ax = fig.axes[0]
        assert len(ax.images) >= 1
        # markers are aggregates: one per zone and per community, never one per resident
        markers = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
        assert 0 < markers <= model.n_zones + 2 * model.n_communities
    model.step()
    image = draw_grid(model, "participation", geo).axes[0].images[0].get_array()
    assert np.isfinite(image.compressed()).all() and image.count() > 0


def test_command_rejects_a_bad_scenario_and_has_help(tmp_path, solara_available):
    from sim.app import app

    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "nowhere.toml"\n')
    result = CliRunner().invoke(app, [str(bad)])
    assert result.exit_code == 2 and "nowhere.toml" in result.output
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "SCENARIO" in result.output


def test_no_model_is_built_at_import(solara_available):
    import importlib

    import sim.explorer.app as page
    from sim.model import core

    built = []
    original = core.GovernanceCore.__init__

    def spy(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    core.GovernanceCore.__init__ = spy
    try:
        importlib.reload(page)
    finally:
        core.GovernanceCore.__init__ = original
    assert built == [] and callable(page.Page)



# ---------------------------------------------------------------------- review fixes
def test_reset_does_not_read_the_scenario_file_again(tmp_path):
    # Mesa rebuilds the model on Reset from model_params; a scenario file edited
    # into an invalid state meanwhile must not turn Reset into a traceback.
    from sim.explorer.model import ExplorerModel, model_params

    mine = tmp_path / "mine.toml"
    mine.write_text(f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\nname = "mine"\n')
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in model_params(mine).items()}
    mine.write_text("[gridworkers\n")  # broken TOML
    model = ExplorerModel(**{**values, **SMALL_CONTROLS, "mechanism_burden_reduction": True})
    assert model.config.name == "mine" and model.config.enabled_mechanisms() == ["burden_reduction"]
    assert model.scenario_file == str(mine)


def test_build_message_is_one_line_without_traceback(tmp_path):
    from sim.explorer.app import build_message
    from sim.scenario import ScenarioError, load_scenario

    bad = tmp_path / "bad.toml"
    bad.write_text("[gridworkers\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    message = build_message(bad, caught.value)
    assert "\n" not in message and "bad.toml" in message and "not valid TOML" in message
    assert "Traceback" not in message
    assert "ZeroDivisionError" in build_message(bad, ZeroDivisionError("x"))


def _contrast(a, b) -> float:
    """WCAG contrast ratio of two matplotlib colours."""
    from matplotlib.colors import to_rgb

    def luminance(colour):
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_zone_borders_show_on_light_buildings(solara_available):
    # White zone borders vanished on white (no value yet, day 0) and on the light
    # end of every colour map: the zones of a community could not be told apart.
    import matplotlib

    from sim.explorer.components import LAYERS, draw_grid, geometry

    model = explorer(**SMALL_CONTROLS)
    geo = geometry(model)
    fig = draw_grid(model, "participation", geo)
    zone_lines = [c for c in fig.axes[0].collections
                  if c.__class__.__name__ == "LineCollection" and len(c.get_segments()) == len(geo.zone_edges)]
    assert zone_lines, "no zone borders drawn"
    colour = zone_lines[0].get_colors()[0]
    backgrounds = ["white"] + [matplotlib.colormaps[cmap](0.0) for _, cmap, kind in LAYERS.values() if kind != "category"]
    for background in backgrounds:
        assert _contrast(colour, background) >= 2.5, (colour, background)


def test_plots_count_days_and_show_the_first_point(solara_available):
    from sim.explorer.components import PARTICIPATION, rate_figure

    model = explorer(**SMALL_CONTROLS)
    ax = rate_figure(model, PARTICIPATION, "p").axes[0]
    assert ax.get_ylim() == (0, 0.1) and not any(len(line.get_xdata()) for line in ax.lines)  # day 0: no data, a fixed scale
    model.step()  # the DataCollector's first row, recorded at the end of day 1
    ax = rate_figure(model, PARTICIPATION, "p").axes[0]
    assert ax.get_xlabel() == "Day"
    line = ax.lines[0]
    assert list(line.get_xdata()) == [1.0] and line.get_ydata()[0] == model.today["participation_rate"]
    assert line.get_marker() not in (None, "None", "", " ")  # one point and no marker draws nothing
    low, high = ax.get_xlim()
    assert low == 0 and high >= 30
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["all adults", "18–34", "35–59", "60+"]
    for _ in range(40):
        model.step()
    ax = rate_figure(model, PARTICIPATION, "p").axes[0]
    assert ax.get_xlim()[1] == 41 and ax.lines[0].get_marker() in (None, "None", "", " ")


def test_status_card_is_plain_html(solara_available):
    # Solara's Markdown loads KaTeX (not among the bundled assets) through the CDN
    # proxy on every mount, i.e. on every step: 404s and a script error offline.
    # (the browser test checks that the page requests nothing it cannot load)
    from sim.explorer import components

    model = explorer(**SMALL_CONTROLS)
    model.step()
    html = components.status_html(model)
    assert "Day 1" in html and "baseline" in html and "Mechanisms on:</b> none" in html


def test_status_card_says_what_the_scenario_is(solara_available):
    # The picker shows only file names (wangzhuang, yuyao_proposals, ...): the
    # scenario's own description says what the model on screen represents.
    from html import escape

    from sim.explorer import components
    from sim.explorer.model import ExplorerModel

    model = ExplorerModel(scenario_file=str(SCENARIOS / "licheng.toml"), **SMALL_CONTROLS)
    assert model.config.description
    assert f"<b>Scenario:</b> licheng — {escape(model.config.description)}" in components.status_html(model)


def test_legend_explains_every_colour_in_both_themes(solara_available):
    # Grey (no building) and white (no value yet) cells were explained only in the
    # user guide; in the dark theme the black and grey symbols vanished.
    from sim.explorer import components

    model = explorer(**SMALL_CONTROLS)
    html = components.legend_html(model)
    assert "no building" in html and "no value yet" in html
    assert f"background:{components.EMPTY}" in html and "background:white" in html.split("<b>Map:</b>")[0]
    figure = components.draw_grid(model, "participation", legend=True)
    assert {"no building", "no value yet"} <= {text.get_text() for text in figure.legends[0].get_texts()}


def test_layer_picker_names_every_layer(solara_available):
    from sim.explorer.components import LAYER_NAMES, LAYERS

    assert set(LAYER_NAMES) == set(LAYERS)
    assert len(set(LAYER_NAMES.values())) == len(LAYERS)
    assert all("_" not in name for name in LAYER_NAMES.values())


def kept_by_mesa(model) -> bool:
    """Whether Mesa holds on to ``model`` for good: Mesa 3.3's per-model agent id counters
    (mesa#3179) keyed by the model itself, not the ones the model core puts in their place."""
    from collections import defaultdict

    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    return isinstance(ids, defaultdict) and model in ids


def test_picking_another_scenario_stops_the_model_on_screen(solara_available, monkeypatch):
    # Mesa's Play thread steps the model while it runs; picking another scenario
    # while it played left that thread stepping the old model until the server stopped.
    import ipyvuetify as v
    import solara

    from sim.explorer import app
    from sim.explorer.model import ExplorerModel

    built = []
    original = ExplorerModel.__init__

    def record(self, **kwargs):
        original(self, **{**kwargs, **SMALL_CONTROLS})
        built.append(self)

    monkeypatch.setattr(ExplorerModel, "__init__", record)
    first = explorer(**SMALL_CONTROLS)
    built.clear()
    picked = solara.reactive(str(SCENARIOS / "baseline.toml"))

    @solara.component
    def Host():
        with solara.AppLayout():  # Mesa's controls are in the sidebar
            if picked.value:
                app.Explorer(first, Path(picked.value)).key(picked.value)

    _box, rc = solara.render(Host(), handle_error=False)
    try:
        rc.find(v.Btn, children=["Reset"]).widget.click()  # Mesa's Reset: a new model on screen
        assert len(built) == 1 and built[0].running
        assert first.running is False and not kept_by_mesa(first)  # the replaced model can be freed
        picked.set("")  # another scenario (or none) replaces the explorer
        assert built[0].running is False and not kept_by_mesa(built[0])
    finally:
        rc.close()


@pytest.fixture
def no_build_under_way(solara_available):
    """``building`` is one value per browser session; outside a server, one for the process."""
    from sim.explorer import app

    app.building.set(None)
    yield
    app.building.set(None)


def test_reset_says_what_it_builds_until_the_new_model_is_on_screen(no_build_under_way, monkeypatch):
    # Mesa's Reset builds the next model in its click handler: a district took 12 s,
    # and nothing on the page changed meanwhile (clicks queued and ran afterwards).
    import ipyvuetify as v
    import solara

    from sim.explorer import app
    from sim.explorer.model import ExplorerModel

    baseline = SCENARIOS / "baseline.toml"
    notice = "Building the world of 6,000 residents (baseline) …"  # the residents slider's value
    first = app.page_model(baseline)
    assert isinstance(first, app.PageModel) and app.building.value.residents == 6_000
    seen_while_building, built = [], []
    original = ExplorerModel.__init__

    def build(self, **kwargs):
        seen_while_building.append((len(rc.find(v.Overlay)), len(rc.find(children=[notice]))))
        original(self, **{**kwargs, **SMALL_CONTROLS})
        built.append(self)

    monkeypatch.setattr(ExplorerModel, "__init__", build)

    @solara.component
    def Host():
        with solara.AppLayout():  # Mesa's controls are in the sidebar
            app.Explorer(first, baseline)

    _box, rc = solara.render(Host(), handle_error=False)
    try:
        rc.find(v.Overlay).assert_empty()  # the page's first model is on screen
        rc.find(v.Btn, children=["Reset"]).widget.click()
        assert seen_while_building == [(1, 1)]
        rc.find(v.Overlay).assert_empty()  # the new model is on screen
        assert len(built) == 1 and built[0].running and first.running is False
    finally:
        rc.close()


def test_closing_the_session_stops_the_model_on_screen(no_build_under_way):
    # Solara closes a browser session when its page says it is closed, or when the
    # page has been gone for SOLARA_KERNEL_CULL_TIMEOUT (set by govsim app); Mesa's
    # Play thread would otherwise step the model on.
    import solara

    from sim.explorer import app

    baseline = SCENARIOS / "baseline.toml"
    model = app.PageModel(scenario_file=str(baseline), **SMALL_CONTROLS)

    @solara.component
    def Host():
        with solara.AppLayout():
            app.Explorer(model, baseline)

    _box, rc = solara.render(Host(), handle_error=False)
    assert model.running
    rc.close()
    assert model.running is False


def test_the_first_page_says_how_many_residents_it_builds(no_build_under_way, monkeypatch):
    # It said "Building district …": a planner could not tell a short wait from a long one.
    import threading

    import ipywidgets
    import solara

    from sim.explorer import app
    from sim.explorer.model import SCENARIO_ENV, ExplorerModel

    monkeypatch.setenv(SCENARIO_ENV, str(SCENARIOS / "baseline.toml"))
    notice = "Building the world of 6,000 residents (baseline) …"
    release = threading.Event()
    original = ExplorerModel.__init__

    def build(self, **kwargs):
        release.wait(30)  # the page is "building" until the test has looked
        original(self, **{**kwargs, **SMALL_CONTROLS})

    monkeypatch.setattr(ExplorerModel, "__init__", build)
    _box, rc = solara.render(app.Page(), handle_error=False)
    try:
        rc.find(children=[notice]).wait_for(timeout=20)
        release.set()
        rc.find(ipywidgets.Image).wait_for(timeout=30)  # the grid and the plots: the model is on screen
        rc.find(children=[notice]).assert_empty()
    finally:
        release.set()
        rc.close()
