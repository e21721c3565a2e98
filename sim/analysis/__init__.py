"""Reading results: aggregates with confidence intervals, paired effects, costs, plots, the report.

Reads only an experiment's result store (``runs.parquet``, ``series/``,
``manifest.json``, and ``spatial.npz`` if :mod:`sim.snapshot` wrote one);
never the model's internals.

- :mod:`.results`   the store, and the arms (scenario x sweep point) compared
- :mod:`.stats`     t intervals, paired effects, Fieller ratios, daily bands
- :mod:`.compare`   comparison, effect and cost-effectiveness tables; efficient frontier
- :mod:`.factorial` main effects and synergies of mechanisms in a 2^k experiment
- :mod:`.findings`  plain-language sentences
- :mod:`.figures`   matplotlib figures (PNG + SVG)
- :mod:`.communities` communities side by side in the map runs (a district's report)
- :mod:`.report`    ``write_report``: figures/ and report.html
- :mod:`.text`, :mod:`.fonts`  Chinese and English words; a CJK font
"""

from importlib import import_module

_HOMES = {"write_report": "report", "Results": "results", "ResultsError": "results", "load": "results"}


def __getattr__(name: str):
    # Lazy, so that `govsim --help` does not pay for matplotlib and SciPy.
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Results", "ResultsError", "load", "write_report"]
