"""A district's maps: community borders over the zones' and a short table of communities,
from hand-built snapshots (no model run, no report: a second or two)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from sim.analysis import communities, figures


def snapshot(community: bool = True, residents: bool = True, one: bool = False) -> dict:
    """A 4x3 grid indexed [x, y] with one empty cell, four zones of a column each; communities
    1 (x = 0, 1) and 2 (x = 2, 3), or one for all. Community 2's big building (100 adults) takes
    little part, so only a mean weighted by adults ranks it last (unweighted it comes first)."""
    building = np.arange(12).reshape(4, 3)
    building[3, 2] = -1
    zone = np.where(building >= 0, building // 3, -1)
    snap = {"scenario": "baseline", "days": 365, "title": "t", "building": building, "zone": zone,
            "participation": np.full((4, 3), 0.3, dtype=np.float32), "open_problems": np.zeros((4, 3))}
    snap["participation"][2:] = 0.5
    snap["participation"][2, 0] = 0.1
    snap["participation"][3, 2] = np.nan  # empty ground, as the model leaves it
    snap["open_problems"][:2] = 1.0  # 6 open among community 1's 60 adults: 100 per 1,000
    snap["open_problems"][2, 0] = 7.0  # 7 among community 2's 140: 50 per 1,000
    if community:
        snap["community"] = np.where(building >= 0, 0 if one else zone // 2, -1)
    if residents:
        snap["residents"] = np.where(building >= 0, 10.0, 0.0)
        snap["residents"][2, 0] = 100.0
    return snap


class Keeping(figures.Painter):
    """Keeps the figure to look at instead of saving it."""

    def save(self, fig, name: str) -> Path:
        self.kept = fig
        return Path(name)


def maps(snap: dict) -> list:
    painter = Keeping("en", "footer", Path("."), {}, set())
    figures.spatial(painter, [snap], "title")
    plt.close(painter.kept)  # its artists stay readable
    return [ax for ax in painter.kept.axes if ax.images]


def borders(ax) -> list[tuple[float, set]]:
    return [(c.get_linewidth()[0], {tuple(map(tuple, np.round(s, 6))) for s in c.get_segments()})
            for c in ax.collections if isinstance(c, LineCollection)]


def test_community_borders_are_drawn_only_where_there_are_several_communities():
    between = {((1.5, y - 0.5), (1.5, y + 0.5)) for y in range(3)}  # between x = 1 and x = 2
    around_empty = {((2.5, 1.5), (2.5, 2.5)), ((2.5, 1.5), (3.5, 1.5))}
    for ax in maps(snapshot()):
        (zone_width, zones), (community_width, drawn) = borders(ax)
        assert community_width > zone_width and drawn == between | around_empty and drawn < zones
        assert sorted(t.get_text() for t in ax.texts) == ["1", "2"]  # as the table names them
    for snap in (snapshot(one=True), snapshot(community=False, residents=False)):  # one community; a snapshot from before
        for ax in maps(snap):
            (only,) = borders(ax)
            assert only[0] == 0.8 and not ax.texts  # as the maps were drawn before


def test_the_table_names_the_communities_weighted_by_their_adults():
    frame = communities.by_community(snapshot())
    assert list(frame["community"]) == [1, 2] and list(frame["adults"]) == [60.0, 140.0]
    assert np.allclose(frame["participation"], [0.3, 30 / 140]) and np.allclose(frame["open_per_1000"], [100.0, 50.0])
    table = communities.table([snapshot(), snapshot()], ["Baseline", "Points incentives"], "en")
    rows = {r[0]["text"]: [c["text"] for c in r[1:]] for r in table["rows"]}
    assert table["header"] == ["", "Baseline", "Points incentives"]
    assert rows["Lowest participation (1 community)"] == ["no. 2 (21.4%)"] * 2  # of two communities, one each way
    assert rows["Highest participation (1 community)"] == ["no. 1 (30.0%)"] * 2
    assert rows["Most open problems per 1,000 adults (1 community)"][0] == "no. 1 (100.0)"
    assert rows["Participation, median community"][0] == "25.7%"
    assert "not an average over replications" in table["note"] and "day 365" in table["note"]
    zh = communities.table([snapshot()], ["基线"], "zh")
    assert [c["text"] for c in zh["rows"][0]] == ["参与率最低的1个社区", "2号（21.4%）"] and "不是多次重复的平均值" in zh["note"]


def test_no_table_for_one_community_or_a_snapshot_from_before():
    assert communities.table([snapshot(one=True)], ["Baseline"], "en") is None
    assert communities.table([snapshot(), snapshot(residents=False)], ["Baseline", "Other"], "en") is None
