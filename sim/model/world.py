"""The space: buildings (楼栋) on a grid, grouped into zones (网格) and communities (社区).

Buildings are numbered so that each zone's buildings are consecutive and each
community's zones are consecutive. Residents are later sorted by building, so
a zone or a community is one contiguous slice of every resident column; the
daily rules then work on slices and ``np.bincount`` instead of Python loops.

Buildings are laid on the grid in bands of ``band_height`` rows, snaking
column by column, so a zone's consecutive buildings form a compact block and a
community is a run of neighbouring blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import WorldParams


@dataclass(frozen=True)
class Layout:
    """Where every building is and which zone and community it belongs to."""

    width: int
    height: int
    building_x: np.ndarray
    building_y: np.ndarray
    building_zone: np.ndarray
    zone_community: np.ndarray

    @property
    def n_buildings(self) -> int:
        return len(self.building_x)

    @property
    def n_zones(self) -> int:
        return len(self.zone_community)

    @property
    def n_communities(self) -> int:
        return int(self.zone_community.max()) + 1

    @property
    def building_community(self) -> np.ndarray:
        return self.zone_community[self.building_zone]


def band_snake_positions(n: int, width: int, band_height: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid coordinates of the first ``n`` cells of a banded snake walk."""
    i = np.arange(n)
    per_band = band_height * width
    band, j = np.divmod(i, per_band)
    col, row = np.divmod(j, band_height)
    row = np.where(col % 2 == 1, band_height - 1 - row, row)
    col = np.where(band % 2 == 1, width - 1 - col, col)
    return col.astype(np.int32), (band * band_height + row).astype(np.int32)


def build_layout(world: WorldParams) -> Layout:
    """Lay out ``zones × buildings_per_zone`` buildings as compactly as possible."""
    n_buildings = world.zones * world.buildings_per_zone
    h = min(world.band_height, max(1, n_buildings))
    width = max(1, math.ceil(math.sqrt(n_buildings)))
    bands = math.ceil(n_buildings / (h * width))
    x, y = band_snake_positions(n_buildings, width, h)
    zone = (np.arange(n_buildings) // world.buildings_per_zone).astype(np.int32)
    # Spread zones over communities as evenly as integers allow.
    zone_community = (np.arange(world.zones) * world.communities // world.zones).astype(np.int32)
    return Layout(width, bands * h, x, y, zone, zone_community)


def slice_starts(group_of_sorted: np.ndarray, n_groups: int) -> np.ndarray:
    """Offsets ``s`` such that items of group g are ``[s[g], s[g+1])`` in a sorted array."""
    counts = np.bincount(group_of_sorted, minlength=n_groups)
    starts = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return starts
