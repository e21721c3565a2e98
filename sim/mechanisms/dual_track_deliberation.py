"""Dual-track deliberation (一事一议 / 有事好商量).

What it changes: community problems are sorted by difficulty (seed 000 §4):
small ones, which the community's own resources can settle, go to an ad-hoc
"one matter, one discussion" group (一事一议) of the stakeholders; big ones,
which need stakeholders and departments, go to the standing "let's talk it
over" platform (有事好商量) of deputies, party representatives and resident
representatives (seed 000 §4; consultation with residents, seed 003 §1.2;
micro-deliberation events, seed 004 §一.3). In ROUTE, before the core's
default routing, the mechanism claims newly discovered problems:

* **Small track.** A share ``small_share`` of small problems of
  ``small_kinds`` gets a group: ``group_size`` residents of the building are
  invited and come with probability ``stake_factor`` × willingness (those who
  come are marked active, deliberations). The group settles the problem
  itself with probability ``self_resolve_prob`` × min(1, attendees /
  ``group_quorum``) × (0.5 + the community workers' mean deliberation
  capacity, seed 000 §2): it is held and closed as resolved after about
  ``self_resolve_days``. Otherwise it goes on to the community pool (care needs: the
  care pool) after ``group_days``.
* **Big track.** Big problems of ``big_kinds`` are held on the platform's
  agenda. Every ``platform_interval_days`` the platform meets in each
  community; its standing members (``deputies``, ``party_reps`` drawn from
  serving party members, ``resident_reps`` drawn by belonging) attend with
  probability ``commitment`` + (1 − commitment) × willingness (deputies:
  ``deputy_attendance``). With a quorum (``quorum_share`` of members) it takes
  up to ``agenda_max`` of the oldest items, each with ``stakeholders_per_item``
  residents of the building. An item is resolved through the stakeholders
  (owners, property firm, units) with probability ``stakeholder_resolve_prob``
  × (0.5 + deliberation capacity), closing after about ``stakeholder_days``
  (the residents wait for the agreed fix: its deadline is extended); the rest
  go straight to the department pool, with no referral delay and, with
  ``department_priority``, ahead of its ordinary queue (the deputies carry
  them), or, in the core's ``community_big_share``, to the community pool.
  Without a quorum the agenda waits for the next session (problems may be
  abandoned meanwhile).

Deliberation buys resolutions with time. In the baseline community (a year,
12 runs) a quarter more big problems are resolved (share 0.21 → 0.27), but
a big item waits for the monthly session and the stakeholders' fix, and a
small problem whose group does not settle it reaches the gridworkers
``group_days`` late, so problems are resolved later (median +0.16 days) and
rated lower: satisfaction −1.2 points.

Cost: the platform's yearly running cost per community and a small cost per
ad-hoc group (staff facilitation).
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param
from sim.model.params import PROBLEM_KINDS, ProblemKindList
from sim.model.problems import DISCOVERED, HELD, QUEUED

YEAR = 365


class DualTrackDeliberationParams(MechanismParams):
    small_kinds: ProblemKindList = param(("facilities", "environment", "disputes", "property"), unit="problem kinds", source="seed 000 §4 (一事一议 groups with property firm, owners' committee, resident activists, party members)", description="Kinds of small problem that get an ad-hoc stakeholder group.")
    small_share: float = param(0.1, unit="share", ge=0, le=1, source="assumption; seed 004 §一.3 counts 1,342 micro-deliberation events (微议事) in all, over no stated period; the default gives about 130-170 groups a year in a 6,000-resident community", description="Share of small problems of those kinds that get a group.")
    group_size: int = param(6, unit="residents", ge=1, le=100, source="assumption", description="Residents of the building invited to a group.")
    stake_factor: float = param(1.5, unit="ratio", ge=0, le=10, source="assumption (people affected come more readily)", description="Attendance of an invited stakeholder relative to their willingness (capped at 1).")
    group_quorum: int = param(3, unit="residents", ge=1, le=100, source="assumption", description="Attendees a group needs to act with full strength.")
    self_resolve_prob: float = param(0.5, unit="probability", ge=0, le=1, source="assumption; seed 000 §4 (small matters settled by residents' self-governance)", description="Chance a full group at average deliberation capacity settles the problem itself.")
    self_resolve_days: float = param(3.0, unit="days", ge=0, le=365, source="assumption", description="Mean days from the group's agreement to the fix.")
    group_days: float = param(2.0, unit="days", ge=0, le=60, source="assumption", description="Days a group takes before passing an unsettled problem to the community pool.")
    big_kinds: ProblemKindList = param(("facilities", "environment", "safety", "property"), unit="problem kinds", source="seed 000 §4 (infrastructure renovation and livelihood matters go to the platform)", description="Kinds of big problem put on the platform's agenda.")
    platform_interval_days: int = param(30, unit="days", ge=1, le=365, source="assumption; seed 004 §一.2 (monthly consultations 月会商)", description="Days between platform sessions.")
    deputies: int = param(3, unit="persons per community", ge=0, le=50, source="assumption; seed 000 §4 names the members (CPPCC members, people's congress deputies, union representatives), not their number", description="Deputies on each community's platform.")
    party_reps: int = param(4, unit="persons per community", ge=0, le=50, source="assumption; seed 000 §4 names party representatives, not their number", description="Party representatives on the platform (drawn from serving members).")
    resident_reps: int = param(8, unit="persons per community", ge=0, le=100, source="assumption; seed 000 §4 names resident representatives, not their number", description="Resident representatives on the platform (drawn by belonging).")
    deputy_attendance: float = param(0.7, unit="probability", ge=0, le=1, source="assumption", description="Chance a deputy attends a session.")
    commitment: float = param(0.5, unit="probability", ge=0, le=1, source="assumption", description="Attendance of a representative regardless of today's willingness.")
    quorum_share: float = param(0.5, unit="share of members", ge=0, le=1, source="assumption (a majority quorum)", description="Share of members who must attend for the session to decide.")
    agenda_max: int = param(15, unit="items per session", ge=1, le=1000, source="assumption", description="Big problems one session can take up in a community.")
    stakeholders_per_item: int = param(3, unit="residents", ge=0, le=100, source="assumption; seed 000 §4: big problems need the parties concerned (利益相关方) and departments to work together", description="Residents of the affected building invited to the session for each item.")
    stakeholder_resolve_prob: float = param(0.3, unit="probability", ge=0, le=1, source="assumption; seed 004 §一.1 (joint meetings solved 220+ urgent problems)", description="Chance an item is resolved through the stakeholders, at average deliberation capacity.")
    department_priority: bool = param(True, unit="switch", source="assumption; seed 000 §4 (deputies and CPPCC members carry the platform's big matters to departments)", description="Whether the platform's referrals go to the front of the department's queue.")
    stakeholder_days: float = param(30.0, unit="days", ge=0, le=365, source="assumption", description="Mean days from the platform's decision to the stakeholders' fix.")
    platform_cost_per_community: float = param(12000.0, unit="yuan/year", ge=0, le=1e7, source="assumption; seed 000 §4 (rooms meeting the 'five haves' 五有)", description="Yearly cost of running the platform in one community.")
    cost_per_group: float = param(200.0, unit="yuan", ge=0, le=1e5, source="assumption (staff facilitation)", description="Cost of one ad-hoc group.")



class DualTrackDeliberation(Mechanism):
    name = "dual_track_deliberation"
    title = "一事一议 / 有事好商量"
    description = "Small problems to ad-hoc stakeholder groups, big ones to a standing platform that meets with a quorum."
    sources = "seed 000 §4; seed 003 §1.2; seed 004 §一.3"
    Params = DualTrackDeliberationParams
    phases = (Phase.ROUTE, Phase.SERVE, Phase.PERIODIC)
    route_priority = 40  # what is left goes to the groups and the platform

    def setup(self, model) -> None:
        p = self.params
        # A day claims a handful of problems: small state is kept in Python lists.
        self.small_kind = [kind in p.small_kinds for kind in PROBLEM_KINDS]
        self.big_kind = [kind in p.big_kinds for kind in PROBLEM_KINDS]
        self.held: list[int] = []  # problems settled, closing when their fix is due
        self.due: list[float] = []
        self.next_due = np.inf  # earliest due time of a held problem (inf: none)
        self.agenda: list[int] = []
        self.referred: list[int] = []  # referrals waiting at departments with priority
        self.daily_cost = p.platform_cost_per_community * model.n_communities / YEAR
        self.building_community = model.building_community.tolist()
        self._choose_members(model)
        self.counts = dict.fromkeys(("groups", "group_attendees", "small_self_resolved", "sessions", "sessions_quorate", "items_taken_up", "big_resolved_by_stakeholders", "big_sent_on", "session_attendees"), 0)

    def _choose_members(self, model) -> None:
        """Standing members of each community's platform (residents' rows)."""
        p, R, rng = self.params, model.residents, self.rng
        rows, community = [], []
        for c in range(model.n_communities):
            lo, hi = np.searchsorted(model.resident_community, [c, c + 1])
            serving = lo + np.flatnonzero(R.party_serving[lo:hi])
            party = rng.choice(serving, min(p.party_reps, len(serving)), replace=False) if len(serving) else serving
            weight = (R.belonging[lo:hi] * R.at_home[lo:hi]).astype(float)
            weight[party - lo] = 0
            k = min(p.resident_reps, int(np.count_nonzero(weight)))
            residents = lo + rng.choice(hi - lo, k, replace=False, p=weight / weight.sum()) if k else np.zeros(0, int)
            rows.append(np.concatenate([party, residents]))
            community.append(np.full(len(rows[-1]), c))
        self.members = np.concatenate(rows).astype(np.int64)
        self.member_community = np.concatenate(community).astype(np.int64)
        self.seats = np.bincount(self.member_community, minlength=model.n_communities) + p.deputies

    def act(self, model, phase: Phase) -> None:
        p = self.params
        if phase is Phase.ROUTE:
            self._claim(model)
            if model.day % p.platform_interval_days == p.platform_interval_days - 1:
                self._session(model)
        elif phase is Phase.SERVE:
            self._close_settled(model)
        else:
            self.spend(self.daily_cost)

    # ---------------------------------------------------------------- helpers
    def _invite(self, model, buildings: np.ndarray, k: int) -> np.ndarray:
        """``k`` residents of each building invited (with replacement); returns a (len, k) matrix of rows."""
        start = model.resident_start[buildings][:, None]
        size = model.building_residents[buildings][:, None]
        return start + (self.rng.random((len(buildings), k)) * size).astype(np.int64)

    def _attend(self, model, invited: np.ndarray) -> np.ndarray:
        """Who of the invited comes (marked active), as a matrix like ``invited``."""
        R = model.residents
        came = self.rng.random(invited.shape) < np.minimum(1.0, self.params.stake_factor * R.willingness[invited])
        attendees = sorted(set(invited[came].tolist()))  # each once, in order of rows (as np.unique, which costs more on a handful)
        if attendees:
            R.mark_active(np.array(attendees, dtype=np.int64), model.day, R.deliberations)
        return came

    def _hold(self, ids: list[int], due: list[float]) -> None:
        if ids:
            self.held += ids
            self.due += due
            self.next_due = min(self.due)

    # ---------------------------------------------------------------- tracks
    def _claim(self, model) -> None:
        """Claims the problems discovered today (a handful: Python scalars)."""
        P, p = model.problems, self.params
        ids = model.open_ids(DISCOVERED)
        if len(ids) == 0:
            return
        small, on_agenda = [], []
        for i, kind, big, u in zip(ids.tolist(), P.kind[ids].tolist(), P.big[ids].tolist(), self.rng.random(len(ids)).tolist()):
            if big and self.big_kind[kind]:
                on_agenda.append(i)
            elif not big and self.small_kind[kind] and u < p.small_share:
                small.append(i)
        if on_agenda:
            self.agenda += on_agenda
            P.status[on_agenda] = HELD
        if small:
            self._small_groups(model, small)

    def _small_groups(self, model, small: list[int]) -> None:
        """An ad-hoc group for each small problem: settled by the group, or sent on to the community."""
        P, p, rng = model.problems, self.params, self.rng
        buildings = P.building[small]
        came = self._attend(model, self._invite(model, buildings, p.group_size)).sum(1).tolist()
        community = [self.building_community[b] for b in buildings.tolist()]
        capacity = model.community_capacity("deliberation").tolist()
        chance = [p.self_resolve_prob * min(1.0, n / p.group_quorum) * (0.5 + capacity[c]) for n, c in zip(came, community)]
        settle = [u < x for u, x in zip(rng.random(len(small)).tolist(), chance)]
        settled = [i for i, s in zip(small, settle) if s]
        if settled:
            P.status[settled] = HELD
            self._hold(settled, (P.discovered[settled] + rng.exponential(p.self_resolve_days, len(settled))).tolist())
        rest = [i for i, s in zip(small, settle) if not s]
        if rest:  # to the community pool (care needs: the care pool, if any)
            ids = np.array(rest, dtype=np.int64)
            pool = model.ordinary_pool(P.building[ids], P.kind[ids])
            model.send_to_pool(ids, pool, P.discovered[ids] + p.group_days, model.params.service.small_work_days, rng=self.rng)
        self.spend(p.cost_per_group * len(small))
        self.counts["groups"] += len(small)
        self.counts["group_attendees"] += sum(came)
        self.counts["small_self_resolved"] += len(settled)

    def _session(self, model) -> None:
        """The standing platform meets in every community; quorate ones take up the oldest items."""
        P, R, p, rng = model.problems, model.residents, self.params, self.rng
        came = rng.random(len(self.members)) < p.commitment + (1 - p.commitment) * R.willingness[self.members]
        R.mark_active(self.members[came], model.day, R.deliberations)
        present = np.bincount(self.member_community[came], minlength=model.n_communities) + rng.binomial(p.deputies, p.deputy_attendance, model.n_communities)
        quorate = ((present >= p.quorum_share * self.seats) & (self.seats > 0)).tolist()
        self.counts["sessions"] += model.n_communities
        self.counts["sessions_quorate"] += sum(quorate)
        self.counts["session_attendees"] += int(present.sum())
        for committee in model.committees:
            committee.meetings += 1
        # the agenda by community, oldest first (a few dozen items: Python); each quorate one takes up to agenda_max
        agenda = [i for i, s in zip(self.agenda, P.status[self.agenda].tolist()) if s == HELD]
        community = [self.building_community[b] for b in P.building[agenda].tolist()]
        agenda = sorted(zip(community, P.discovered[agenda].tolist(), agenda), key=lambda item: item[:2])
        taken = [0] * model.n_communities
        items, community, self.agenda = [], [], []
        for c, _, i in agenda:
            if quorate[c] and taken[c] < p.agenda_max:
                taken[c] += 1
                items.append(i)
                community.append(c)
            else:
                self.agenda.append(i)
        if not items:
            return
        items, community = np.array(items, dtype=np.int64), np.array(community, dtype=np.int64)
        if p.stakeholders_per_item:
            self._attend(model, self._invite(model, P.building[items], p.stakeholders_per_item))
        t = np.maximum(P.discovered[items], model.day)  # the session meets at the start of the day
        skill = 0.5 + model.community_capacity("deliberation")[community]
        fixed = rng.random(len(items)) < np.minimum(1.0, p.stakeholder_resolve_prob * skill)
        due = t[fixed] + rng.exponential(p.stakeholder_days, int(fixed.sum()))
        self._hold(items[fixed].tolist(), due.tolist())
        model.deadline[items[fixed]] = np.maximum(model.deadline[items[fixed]], due + 1)
        rest = items[~fixed]
        local = rng.random(len(rest)) < model.params.service.community_big_share
        pool = np.where(local, model.community_pool[community[~fixed]], model.department_pool[P.kind[rest]])
        model.send_to_pool(rest, pool, t[~fixed], model.params.service.big_work_days, rng=self.rng)
        if p.department_priority:
            self._to_front(model, rest[~local].tolist())
        self.counts["items_taken_up"] += len(items)
        self.counts["big_resolved_by_stakeholders"] += int(fixed.sum())
        self.counts["big_sent_on"] += len(rest)

    def _to_front(self, model, ids: list[int]) -> None:
        """The platform's referrals are taken before the department's ordinary queue, first come first served among them."""
        P = model.problems
        P.status[ids] = QUEUED
        earlier = [i for i, s, pool in zip(self.referred, P.status[self.referred].tolist(), P.pool[self.referred].tolist()) if s == QUEUED and pool in model.department_pools]
        waiting = earlier + ids
        by_pool: dict[int, list[tuple[float, int]]] = {}
        for i, pool, t in zip(waiting, P.pool[waiting].tolist(), P.discovered[waiting].tolist()):
            by_pool.setdefault(pool, []).append((t, i))
        for pool in sorted(by_pool):
            # earlier referrals still waiting go to the front again, ahead of today's (stale copies are skipped)
            model.pools[pool].push_front([i for _, i in sorted(by_pool[pool], key=lambda ti: ti[0])])
        self.referred = waiting

    def _close_settled(self, model) -> None:
        """Problems settled by residents or stakeholders close when the fix is done.

        A problem that leaves HELD (closed here, or abandoned by the core) never returns to
        it (only newly discovered problems are held), so those no longer held may be
        dropped late: on days a fix is due.
        """
        end = model.day + 1
        if self.next_due >= end:  # nothing due today (inf: nothing held)
            return
        done, kept = [], []
        for i, t, status in zip(self.held, self.due, model.problems.status[self.held].tolist()):
            if status == HELD:
                (done if t < end else kept).append((i, t))
        if done:
            model.close(np.array([i for i, _ in done], dtype=np.int64), np.array([t for _, t in done]), resolved=True)
        self.held, self.due = [i for i, _ in kept], [t for _, t in kept]
        self.next_due = min(self.due, default=np.inf)

    def metrics(self) -> dict[str, float]:
        out = {k: float(v) for k, v in self.counts.items()}
        out["quorum_met_share"] = self.counts["sessions_quorate"] / self.counts["sessions"] if self.counts["sessions"] else float("nan")
        return out
