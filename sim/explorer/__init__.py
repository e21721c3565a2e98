"""The interactive explorer (``govsim app``), built on Mesa's SolaraViz.

Laid out like a Mesa example:

* :mod:`sim.explorer.model` - :class:`ExplorerModel`, the model SolaraViz
  builds from its controls, and the controls themselves (``model_params``).
  Needs only the simulator, not Solara.
* :mod:`sim.explorer.components` - the grid view, the plots and the status
  card (Solara components; the plots are Mesa's own matplotlib component).
* :mod:`sim.explorer.app` - the page (``solara run sim.explorer.app``).

Nothing here builds a model at import time: the page builds one per browser
session, in a background task, when it is first shown.
"""
