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
controls to that scenario's values.
"""

from __future__ import annotations

from pathlib import Path

import solara
import solara.lab
from mesa.visualization import SolaraViz

from sim.explorer.components import GridView, LayerPicker, ParticipationPlot, ResolutionPlot, StatusCard
from sim.explorer.model import build_model, initial_scenario, model_params, scenario_files, scenario_label

COMPONENTS = [(GridView, 0), (StatusCard, 0), (ParticipationPlot, 0), (ResolutionPlot, 0)]

chosen_scenario = solara.reactive("")
"""The picked scenario file ("" until the user picks one: the launch scenario)."""


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
def Page():
    current = _current()
    key = str(current)

    def build():  # in a thread: a district takes seconds to build
        return build_model(current)

    task = solara.lab.use_task(build, dependencies=[key])
    with solara.Sidebar():
        ScenarioPicker(current)
    if task.error:
        solara.Error(f"Could not build scenario {scenario_label(current)}: {task.exception}")
        return
    model = task.value if task.finished else None
    if model is None or (model.scenario_file or "None") != (str(current) if current else "None"):
        with solara.Column(style={"padding": "24px"}):
            solara.Text(f"Building {scenario_label(current)} …")
            solara.ProgressLinear(True)
        return
    SolaraViz(
        model,
        components=COMPONENTS,
        model_params=model_params(current),
        name=f"govsim explorer — {scenario_label(current)}",
    ).key(key)


page = Page
