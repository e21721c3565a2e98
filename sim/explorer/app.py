"""The explorer page: Mesa's SolaraViz around the governance model.

Run it with ``govsim app [SCENARIO]`` (or ``solara run sim.explorer.app``).

* Sidebar: the scenario picker (any ``scenarios/*.toml``), then Mesa's own
  controls (Reset / Play / Step, play and render intervals) and the model
  parameters: seed, population sliders and one switch per mechanism. As
  everywhere in Mesa, changed parameters take effect on *Reset*.
* Main area: the grid of buildings coloured by a chosen layer, with
  gridworkers, enterprises and social organisations as aggregate markers; a
  status card; live plots of participation and resolution rates.

Picking another scenario loads it at once (in a background task, so a
district of 500,000 residents does not freeze the page) and resets the
controls to that scenario's values. While a model is built, on first load, on
picking a scenario or on *Reset*, the page says so ("Building the world of
500,000 residents ..."; see :class:`PageModel`). A scenario that cannot be
loaded (a TOML error, an unknown key, a file gone) shows its one-line message
in place of the model; the sidebar stays, so another scenario can be picked.

A model playing on a page stops when the page's session ends: at once when
the browser says the page is closed, else when the session is culled (see
``KERNEL_CULL_TIMEOUT`` in :mod:`sim.app`).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solara
import solara.lab
from mesa.visualization import SolaraViz

from sim.explorer.components import (
    GridView,
    LayerPicker,
    ParticipationPlot,
    ResolutionPlot,
    StatusCard,
)
from sim.explorer.model import (
    ExplorerModel,
    initial_scenario,
    model_params,
    scenario_files,
    scenario_label,
)
from sim.scenario import Scenario, ScenarioError, load_scenario

log = logging.getLogger(__name__)

COMPONENTS = [(GridView, 0), (StatusCard, 0), (ParticipationPlot, 0), (ResolutionPlot, 0)]

chosen_scenario = solara.reactive("")
"""The picked scenario file ("" until the user picks one: the launch scenario)."""

# Vuetify shows a slider's value only while it is dragged, and Mesa's controls
# offer no option to change that: a planner could not read what Reset will
# use. This shows every sidebar slider's value on its thumb, all the time.
SLIDER_VALUES_CSS = """
.v-navigation-drawer .v-slider__thumb-label-container { display: block !important; }
.v-navigation-drawer .v-slider__thumb-label {
  width: auto !important; min-width: 26px; height: 18px !important; padding: 0 5px;
  border-radius: 9px !important; transform: translate(-50%, -50%) !important;
  font-size: 11px; white-space: nowrap;
}
.v-navigation-drawer .v-slider__thumb-label > * { transform: none !important; }
"""


@dataclass(frozen=True)
class Build:
    """A model being built for this browser session: what the page says meanwhile."""

    serial: int  # the PageModel's; a model on screen with this serial or a later one is built
    scenario: str | None
    residents: int


building = solara.reactive(None)
"""The Build under way, or None (one value per browser session)."""

_serials = itertools.count(1)


class PageModel(ExplorerModel):
    """The explorer's model as the page builds it: it announces its build first.

    Mesa's Reset builds the next model in its click handler, as
    ``type(model)(**controls)``, and offers no hook around it; a district takes
    about 12 s to build, and until then nothing on the page changed. So the
    page's models are of this class, which puts a :class:`Build` in
    ``building`` before it builds: the page re-renders at once (the handler
    holds no render lock while it builds) and covers itself with the building
    notice until the new model is on screen (see :func:`Explorer`). The first
    model of a page is one too, so that page says how many residents it builds.

    Apart from that it is an :class:`ExplorerModel`: the same keywords, the
    same model, the same results.
    """

    def __init__(self, **kwargs: Any) -> None:
        serial = next(_serials)
        file = kwargs.get("scenario_file")
        if kwargs.get("scenario_config") is None and file is not None:
            kwargs["scenario_config"] = load_scenario(file)  # read once, here, to count the residents
        config = kwargs.get("scenario_config") or Scenario()
        residents = kwargs.get("residents")
        announced = Build(serial, None if file is None else str(file),
                          int(residents) if residents is not None else config.world.residents)
        building.set(announced)
        try:
            super().__init__(**kwargs)
        except BaseException:
            if building.peek() is announced:  # no model follows: take the notice down
                building.set(None)
            raise
        self.serial = serial


def page_model(scenario_file: Path | None) -> PageModel:
    """The first model of a page: the scenario as it is, with the default seed."""
    return PageModel(scenario_file=None if scenario_file is None else str(scenario_file), seed="1")


def building_text(build: Build | None, current: Path | None) -> str:
    """What the page says while it builds a model of ``current``."""
    label = scenario_label(current)
    if build is None or build.scenario != (None if current is None else str(current)):
        return f"Building {label} …"  # the model has not said how big it is yet
    return f"Building the world of {build.residents:,} residents ({label}) …"


@solara.component
def BuildingNotice(text: str):
    with solara.Column(classes=["govsim-building"], style={"padding": "24px"}):
        solara.Text(text)
        solara.ProgressLinear(True)


def build_message(current: Path | None, exc: BaseException) -> str:
    """One line for the page when a scenario cannot be built (no traceback).

    A :class:`~sim.scenario.ScenarioError` already names the file and key;
    anything else is unexpected, so its type is named and its traceback goes
    to the server's log.
    """
    if isinstance(exc, ScenarioError):
        return f"Could not load scenario {scenario_label(current)}: {exc}"
    return f"Could not build scenario {scenario_label(current)}: {type(exc).__name__}: {exc} (details in the server log)"


class BuildFailed:
    """What the build task returns instead of raising: Solara would show the
    traceback in place of the whole page, sidebar included."""

    def __init__(self, scenario: Path | None, message: str) -> None:
        self.scenario, self.message = scenario, message


def _current() -> Path | None:
    return Path(chosen_scenario.value) if chosen_scenario.value else initial_scenario()


@solara.component
def ScenarioPicker(current: Path | None):
    files = scenario_files(extra=initial_scenario())
    names = list(files)
    if current is None:  # no scenarios/ folder: the built-in baseline
        names.insert(0, scenario_label(None))
    selected = next((name for name, path in files.items() if path == current), scenario_label(current))

    def pick(name: str) -> None:
        chosen_scenario.set(str(files[name]) if name in files else "")

    with solara.Card("Scenario and view", classes=["govsim-scenario"]):
        solara.Select(label="Scenario file", value=selected, values=names, on_value=pick)
        LayerPicker()
        solara.Text("A picked scenario loads at once; model parameters below apply on Reset.", style={"font-size": "0.8em"})


@solara.component
def PageTitle(current: Path | None):
    """The app bar's title while no SolaraViz (which sets its own) is shown."""
    with solara.AppBarTitle():
        solara.Text(f"govsim explorer — {scenario_label(current)}")


@solara.component
def Explorer(model, current: Path | None):
    """Mesa's SolaraViz around ``model``; stops the model on screen when it goes.

    Mesa's Play runs a thread that steps the model as long as it is playing and
    the model is running; picking another scenario while it plays unmounts the
    controls but not that thread, which went on stepping the old model (CPU
    and memory) until the server stopped. Reset replaces the model in ``shown``:
    the one it replaces is stopped then, and the last one when the explorer goes,
    which includes the end of the browser session (Solara runs the effects'
    cleanups when it closes a session).

    While Reset builds a :class:`PageModel`, an overlay with the building notice
    covers the page: it shows that the page is working, and it keeps clicks off
    the controls, which Solara would otherwise queue and run on the new model.
    """
    shown = solara.use_reactive(model)

    def stop_when_gone():
        on_screen = shown.value

        def stop() -> None:
            on_screen.running = False  # Mesa's play loop ends after its next step

        return stop

    solara.use_effect(stop_when_gone, [shown.value])
    SolaraViz(
        shown,
        components=COMPONENTS,
        model_params=model_params(current, config=model.config),
        name=f"govsim explorer — {scenario_label(current)}",
    )
    build = building.value
    if build is not None and build.serial > getattr(shown.value, "serial", 0):
        # after SolaraViz, so that showing it never moves (and remounts) Mesa's controls
        with solara.v.Overlay(value=True, z_index=10, opacity=0.5), solara.Card(classes=["govsim-rebuilding"], style={"min-width": "420px"}):
            BuildingNotice(building_text(build, current))


@solara.component
def Page():
    current = _current()
    key = str(current)

    def build():  # in a thread: a district takes seconds to build
        try:
            return page_model(current)
        except Exception as exc:  # shown on the page, not raised into Solara
            if not isinstance(exc, ScenarioError):
                log.exception("could not build scenario %s", current)
            return BuildFailed(current, build_message(current, exc))

    task = solara.lab.use_task(build, dependencies=[key])
    solara.Style(SLIDER_VALUES_CSS)
    with solara.Sidebar():
        ScenarioPicker(current)
    failed = task.value if task.finished and isinstance(task.value, BuildFailed) and task.value.scenario == current else None
    if task.error or failed is not None:
        message = failed.message if failed is not None else build_message(current, task.exception)
        PageTitle(current)
        with solara.Column(classes=["govsim-error"], style={"padding": "24px"}):
            solara.Error(message)
        return
    model = task.value if task.finished and not isinstance(task.value, BuildFailed) else None
    if model is None or (model.scenario_file or "None") != (str(current) if current else "None"):
        PageTitle(current)
        BuildingNotice(building_text(building.value, current))
        return
    Explorer(model, current).key(key)


page = Page
