"""Party-member assessment (双报到、双服务、双考核).

What it changes: employed party members register in their home community as
well as at work (双报到), and both sides assess their service (双考核),
because many members are "registered, not serving" (报到少履职, seed 004
§二.1; remedy in seed 004 §三.1). Every ``interval_days`` an assessment round:

* unregistered members register in their home community with probability
  ``registration_prob``;
* registered members who do not serve take on service (``party_serving``)
  with probability ``conversion_prob``: the assessment ties their community
  record to their work unit's review, so the gain in willingness that serving
  members have in the core follows;
* serving members whose record shows no act (report, deliberation or
  volunteering) since the last round are reminded by their branch, which the
  model represents as being asked to take part (``model.mobilise``).

The core keeps ``party_serving`` fixed without this mechanism (no lapse), so
the assessment only raises the share who serve; it acts on party members
only, through the core's resident state.

Cost: the staff time for the assessment, per registered member and round.
"""

from __future__ import annotations

import numpy as np

from sim.model import Mechanism, MechanismParams, Phase, param


class PartyAssessmentParams(MechanismParams):
    interval_days: int = param(90, unit="days", ge=1, le=3650, source="assumption; seed 004 §一.2 (quarterly reviews 季度点评)", description="Days between assessment rounds.")
    registration_prob: float = param(0.3, unit="probability per round", ge=0, le=1, source="assumption; seed 004 §三.1 (双报到)", description="Chance that an unregistered member registers in the home community at a round.")
    conversion_prob: float = param(0.15, unit="probability per round", ge=0, le=1, source="assumption; seed 004 §二.1, §三.1 (双考核 turns 'registered, not serving' into service)", description="Chance that a registered member who does not serve takes on service at a round.")
    remind_idle: bool = param(True, unit="switch", source="assumption; seed 004 §三.1", description="Whether serving members with no act since the last round are reminded (asked to take part).")
    staff_hours_per_member: float = param(1.0, unit="hours per member and round", ge=0, le=100, source="assumption", description="Staff time to assess one registered member (community and work unit together).")
    staff_cost_per_hour: float = param(45.0, unit="yuan/hour", ge=0, le=10000, source="assumption: a full-time gridworker's 72,000 yuan over about 1,600 hours", description="Cost of one hour of assessment staff time.")


class PartyAssessment(Mechanism):
    name = "party_assessment"
    title = "双报到双考核"
    description = "Periodic assessment of registered party members turns 'registered, not serving' into service."
    sources = "seed 004 §二.1, §三.1"
    Params = PartyAssessmentParams
    phases = (Phase.PERIODIC,)

    @classmethod
    def first_action_day(cls, params, core) -> int:
        """The first assessment round."""
        return params.interval_days

    @classmethod
    def scheduled_days(cls, params, core, days: int) -> list[int]:
        """The assessment rounds."""
        return list(range(params.interval_days, days, params.interval_days))

    def setup(self, model) -> None:
        R = self._residents = model.residents
        self.registered = self.converted = self.reminded = self.rounds = 0
        self._record = self._acts(R)

    @staticmethod
    def _acts(R) -> np.ndarray:
        members = np.flatnonzero(R.party_member)
        return members, R.reports[members] + R.deliberations[members] + R.volunteering[members]

    def act(self, model, phase: Phase) -> None:
        p, R = self.params, model.residents
        if model.day == 0 or model.day % p.interval_days:
            return
        rng = self.rng
        self.rounds += 1
        self.spend(p.staff_hours_per_member * p.staff_cost_per_hour * int(R.party_registered.sum()))
        # Serving members with nothing on record since the last round are reminded.
        members, before = self._record
        idle = members[(R.reports[members] + R.deliberations[members] + R.volunteering[members] == before) & R.party_serving[members]]
        if p.remind_idle and len(idle):
            prob = np.zeros(R.n, dtype=np.float32)
            prob[idle] = 1.0
            self.reminded += len(model.mobilise(prob, rng=self.rng))
        unregistered = np.flatnonzero(R.party_member & ~R.party_registered)
        new = unregistered[rng.random(len(unregistered)) < p.registration_prob]
        R.party_registered[new] = True
        self.registered += len(new)
        idle_registered = np.flatnonzero(R.party_registered & ~R.party_serving)
        serve = idle_registered[rng.random(len(idle_registered)) < p.conversion_prob]
        R.party_serving[serve] = True
        self.converted += len(serve)
        self._record = self._acts(R)

    def metrics(self) -> dict[str, float]:
        R = self._residents
        return {
            "serving_share_of_members": float(R.party_serving.sum() / max(R.party_member.sum(), 1)),
            "rounds": float(self.rounds),
            "members_registered": float(self.registered),
            "members_converted": float(self.converted),
            "members_reminded": float(self.reminded),
        }
