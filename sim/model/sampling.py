"""Random draws whose cost follows the number of events, not of cells.

A community has hundreds of (building, kind) cells and a district tens of
thousands, and far fewer problems arise in a day than there are cells: one
Poisson draw per cell would cost more than placing the day's problems.
"""

from __future__ import annotations

import numpy as np


def poisson_cells(rng: np.random.Generator, cum_rate: np.ndarray) -> np.ndarray:
    """Cell of each event when cell ``i`` has Poisson(``rate[i]``) events, sorted by cell.

    ``cum_rate`` is the running sum of the rates. Independent Poisson counts
    are one Poisson total split over the cells in proportion to their rates
    (the splitting property), which needs a draw per event, not per cell.
    """
    total = float(cum_rate[-1]) if len(cum_rate) else 0.0
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    cells = np.searchsorted(cum_rate, rng.random(rng.poisson(total)) * total, side="right")
    # a draw rounded up to the total would fall past the end: it belongs to the last cell with a rate
    np.minimum(cells, np.searchsorted(cum_rate, total, side="left"), out=cells)
    cells.sort()
    return cells
