"""The few hundred institutional agents: ordinary Mesa agents with state of their own."""

from __future__ import annotations

import mesa


class CommunityCommittee(mesa.Agent):
    """The community committee (社区居委会 with the party organisation) of one community.

    Holds the yearly budget, organises activities while the budget lasts and
    runs the deliberation platform (议事平台), which meets on a schedule.
    """

    def __init__(self, model: mesa.Model, community: int, budget: float) -> None:
        super().__init__(model)
        self.community = community
        self.budget = budget
        self.spent = 0.0
        self.activities_this_month = 0.0
        self.meetings = 0

    def pay(self, yuan: float) -> float:
        """Spend up to ``yuan`` from the budget; returns what was actually paid."""
        paid = max(0.0, min(yuan, self.budget))
        self.budget -= paid
        self.spent += paid
        return paid


class Enterprise(mesa.Agent):
    """A co-building unit (共建单位 / 驻区单位) paired with a community.

    Passive units give an occasional one-off donation (seed 004 §二.1, §二.2);
    active ones also send employee volunteers to run activities.
    """

    def __init__(self, model: mesa.Model, community: int, active: bool) -> None:
        super().__init__(model)
        self.community = community
        self.active = active
        self.donated = 0.0
        self.volunteer_activities_per_month = 1.0 if active else 0.0

    def monthly(self, donation_prob_per_year: float, donation_yuan: float) -> float:
        """One month of behaviour; returns yuan donated to the community."""
        if self.model.streams["institutions"].random() < donation_prob_per_year / 12:
            self.donated += donation_yuan
            return donation_yuan
        return 0.0


class SocialOrganisation(mesa.Agent):
    """A social organisation (社会组织): external professional or resident-grown.

    It serves care problems (services for the old and the young) with its
    staff, and runs activities (seed 000 §3; seed 004 §一.2).
    """

    def __init__(self, model: mesa.Model, community: int, external: bool, servers: int) -> None:
        super().__init__(model)
        self.community = community
        self.external = external
        self.servers = servers
        self.service_kinds = ("care",)
        self.activities_per_month = 2.0

    @property
    def kind(self) -> str:
        return "external" if self.external else "resident-grown"


class Department(mesa.Agent):
    """A government department (职能部门) that big problems of its kinds need."""

    def __init__(self, model: mesa.Model, index: int, kinds: tuple[str, ...], servers: int, duty: float) -> None:
        super().__init__(model)
        self.index = index
        self.kinds = kinds
        self.servers = servers
        self.duty = duty  # share of the servers' time given to community cases
