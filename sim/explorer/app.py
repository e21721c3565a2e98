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
controls to that scenario's values. A scenario that cannot be loaded (a TOML
error, an unknown key, a file gone) shows its one-line message in place of
the model; the sidebar stays, so another scenario can be picked.
"""

from __future__ import annotations

import logging
from pathlib import Path

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
    build_model,
    initial_scenario,
    model_params,
    scenario_files,
    scenario_label,
)
from sim.scenario import ScenarioError

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
    the one it replaces is stopped then, and the last one when the explorer goes.
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


@solara.component
def Page():
    current = _current()
    key = str(current)

    def build():  # in a thread: a district takes seconds to build
        try:
            return build_model(current)
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
        with solara.Column(style={"padding": "24px"}):
            solara.Text(f"Building {scenario_label(current)} …")
            solara.ProgressLinear(True)
        return
    Explorer(model, current).key(key)


page = Page
