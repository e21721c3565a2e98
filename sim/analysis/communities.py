"""Communities (社区) side by side, from the map runs, for a world of more than one community.

A district report's maps show some 80 communities; a planner asks which of them lag
behind and where problems pile up. Everything here comes from the spatial snapshot
(``spatial.npz``): the per-building layers of each mapped run on its last day, added
up over each community's buildings. It is one run per option, not an average over
replications, and the model gives every community the same parameters: communities
differ only by the chance draws of that world and run, so the table says how far
apart they end up, and names communities only so that a reader can find them on the
maps. A snapshot written before the community layer existed has no table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import text as T
from .glossary import ACTIVE_WINDOW
from .template import cell

TOP = 3  # communities named per row: a handful a reader can look up, not 81

WORDS = {
    "title": ("各社区比较（地图所示运行，期末）", "Communities compared (the mapped runs, last day)"),
    "lowest": ("参与率最低的{n}个社区", "Lowest participation ({n} communit{ies})"),
    "median_participation": ("各社区参与率的中位数", "Participation, median community"),
    "highest": ("参与率最高的{n}个社区", "Highest participation ({n} communit{ies})"),
    "most_open": ("每千名成年居民积压问题最多的{n}个社区", "Most open problems per 1,000 adults ({n} communit{ies})"),
    "median_open": ("各社区每千名成年居民积压问题的中位数", "Open problems per 1,000 adults, median community"),
    "note": ("社区编号与地图上的编号相同。参与率为最后一天社区内近{active}天参与过的成年居民占比（报告其他各节的参与率为最后一段时间的平均值，见指标说明，数值略有不同），"
             "积压问题为最后一天既未解决也未搁置的问题。每个数字来自上方地图所示的一次运行（第{day}天），不是多次重复的平均值。"
             "模型中各社区参数相同（网格数至多相差一个），差别只来自这次运行的随机抽取，换一个随机种子，排在最前或最后的就会是别的社区：请看社区之间相差多少，编号只用于在地图上找到它们。",
             "Communities are numbered as on the maps. Participation is the share of a community's adults who took part in the last {active} days "
             "as of the last day (the rest of the report averages it over the run's last weeks, as its definition says, so its figures differ a little); "
             "open problems are those neither resolved nor abandoned on the last day. Every number comes from the one run mapped above "
             "(day {day}), not an average over replications. The model gives every community the same parameters (their zones differ by one at most), so they differ only by "
             "that run's chance draws, and another seed would put other communities first and last: read how far apart communities are, "
             "and use the numbers only to find them on the maps."),
}


def count(snap: dict) -> int:
    """How many communities have buildings in ``snap``; 0 for a snapshot without the community layer."""
    if "community" not in snap:
        return 0
    return len(np.unique(snap["community"][snap["building"] >= 0]))


def predates_communities(results) -> bool:
    """Whether ``results`` maps a world of several communities with a snapshot that has no
    community layer (written before it was kept): its maps lack the borders, its report the table."""
    world = results.manifest.get("configs", {}).get(results.baseline, {}).get("world") or {}
    snapshots = results.spatial or []
    return int(world.get("communities", 1)) > 1 and any("community" not in s for s in snapshots)


def by_community(snap: dict) -> pd.DataFrame | None:
    """One row per community with adults: its number (1-based, as on the maps), adults,
    participation (share of its adults) and open problems per 1,000 adults; None without the layers."""
    if "community" not in snap or "residents" not in snap:
        return None
    built = snap["building"] >= 0
    community = snap["community"][built].astype(np.int64)
    adults = snap["residents"][built].astype(float)
    active = np.where(adults > 0, snap["participation"][built] * adults, 0.0)  # a building's share of its own adults
    n = int(community.max()) + 1 if community.size else 0
    people = np.bincount(community, weights=adults, minlength=n)
    frame = pd.DataFrame({
        "community": np.arange(1, n + 1),
        "adults": people,
        "participation": np.bincount(community, weights=active, minlength=n) / np.maximum(people, 1),
        "open_per_1000": 1000 * np.bincount(community, weights=snap["open_problems"][built], minlength=n) / np.maximum(people, 1),
    })
    return frame[frame["adults"] > 0].reset_index(drop=True)


def label_cells(snap: dict) -> dict[int, tuple[int, int]]:
    """Each community's number -> the [x, y] of its building nearest its centre: a community
    may bend round the end of a band, and its plain centre could then lie in another one."""
    built = snap["building"] >= 0
    xs, ys = np.nonzero(built)
    community = snap["community"][built]
    out = {}
    for c in np.unique(community):
        x, y = xs[community == c], ys[community == c]
        k = int(np.argmin((x - x.mean()) ** 2 + (y - y.mean()) ** 2))
        out[int(c) + 1] = (int(x[k]), int(y[k]))
    return out


def table(snapshots: list[dict], names: list[str], lang: str) -> dict | None:
    """The report's per-community table: one column per mapped run, a handful of rows;
    None where a snapshot lacks the community layers or the world has one community."""
    frames = [by_community(s) for s in snapshots]
    if not frames or any(f is None for f in frames) or max(len(f) for f in frames) < 2:
        return None
    n = max(1, min(TOP, min(len(f) for f in frames) // 2))  # the lowest and the highest never share a community
    rows = [
        ("lowest", lambda f: named(f.nsmallest(n, "participation"), "participation", lang)),
        ("median_participation", lambda f: share(f["participation"].median())),
        ("highest", lambda f: named(f.nlargest(n, "participation"), "participation", lang)),
        ("most_open", lambda f: named(f.nlargest(n, "open_per_1000"), "open_per_1000", lang)),
        ("median_open", lambda f: T.number(f["open_per_1000"].median(), 1)),
    ]
    body = [[cell(word(key, lang, n=n, ies="ies" if n > 1 else "y")), *(cell(value(f)) for f in frames)] for key, value in rows]
    return {"title": word("title", lang), "header": ["", *names], "rows": body,
            "note": word("note", lang, day=snapshots[0]["days"], active=ACTIVE_WINDOW)}


def named(rows: pd.DataFrame, column: str, lang: str) -> str:
    """'12号（3.1%）、40号（3.4%）' / 'no. 12 (3.1%), no. 40 (3.4%)'."""
    show = share if column == "participation" else (lambda v: T.number(v, 1))
    items = [f"{r.community}号（{show(getattr(r, column))}）" if lang == "zh" else f"no. {r.community} ({show(getattr(r, column))})"
             for r in rows.itertuples()]
    return T.listing(items, lang)


def share(value: float) -> str:
    return f"{T.number(100 * value, 1)}%"


def word(key: str, lang: str, **values) -> str:
    return T.in_lang(WORDS[key], lang).format(**values)
