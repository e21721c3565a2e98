"""Core model parameters: one pydantic section per part of the world.

Every parameter is declared with :func:`param`, which records its unit, its
valid range and its source next to its default. Scenario validation, the
parameter table in ``docs/ODD.md`` and sensitivity analysis all read these
declarations (see :mod:`sim.registry`), so there is one place to change a
parameter. Sources cite the seed documents by number and section (e.g.
``seed 004 §一.1``; docs/sources.md says which publication each number is),
another publication, or say ``assumption``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

PROBLEM_KINDS = ("facilities", "environment", "safety", "disputes", "care", "property")
"""Kinds of residents' problems (seed 000 §4, seed 002, seed 004 §一.3, §二.3)."""


def _known_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [k for k in kinds if k not in PROBLEM_KINDS]
    if unknown:
        raise ValueError(f"unknown problem kinds {unknown}; choose from {list(PROBLEM_KINDS)}")
    return kinds


ProblemKindList = Annotated[tuple[str, ...], Field(strict=False), AfterValidator(_known_kinds)]
"""A parameter naming problem kinds; unknown kinds are validation errors."""


def param(
    default: Any,
    *,
    unit: str,
    source: str,
    description: str,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A model parameter: a pydantic field that also carries unit and source."""
    return Field(
        default,
        ge=ge,
        le=le,
        description=description,
        json_schema_extra={"unit": unit, "source": source},
    )


class Section(BaseModel):
    """A frozen block of parameters; unknown keys are errors, not ignored.

    Strict: TOML is typed, so ``enabled = "yes"`` or ``admin_share = "0.2"``
    is a mistake to report, not to guess at (a whole number is still a
    valid float). Lists of kinds or shocks arrive as TOML arrays.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class WorldParams(Section):
    """Space: buildings (楼栋) grouped into grid zones (网格) and communities (社区)."""

    communities: int = param(1, unit="count", ge=1, le=500, source="baseline: one community; district: 81 (seed 004 §二.4)", description="Number of communities (社区).")
    zones: int = param(7, unit="count", ge=1, le=5000, source="seed 004 §一.1: 562 grids in 81 communities, about 7 per community", description="Number of grid zones (网格) in the whole world.")
    buildings_per_zone: int = param(12, unit="buildings", ge=1, le=200, source="assumption", description="Residential buildings per grid zone.")
    residents: int = param(6000, unit="persons", ge=50, le=2_000_000, source="assumption: a mid-sized urban community", description="Adult residents in the whole world.")
    band_height: int = param(4, unit="cells", ge=1, le=32, source="assumption (layout only)", description="Height of the bands in which zones are laid out on the grid.")
    building_age_mean: float = param(25.0, unit="years", ge=0, le=100, source="assumption", description="Mean age of residential buildings.")
    property_managed_share: float = param(0.6, unit="share", ge=0, le=1, source="assumption; seed 002 notes estates without property management (城中村, 老旧住宅)", description="Share of buildings with a property-management company.")

    @model_validator(mode="after")
    def _zones_cover_communities(self) -> "WorldParams":
        if self.zones < self.communities:
            raise ValueError(f"zones ({self.zones}) must be at least communities ({self.communities})")
        return self


class PopulationParams(Section):
    """Who the residents are (adults, 18 and over)."""

    youth_share: float = param(0.28, unit="share", ge=0, le=1, source="assumption, near China's 2020 census for urban adults", description="Share of adults aged 18-34.")
    elderly_share: float = param(0.27, unit="share", ge=0, le=1, source="assumption, near China's 2020 census for urban adults", description="Share of adults aged 60 and over.")
    employed_share: float = param(0.78, unit="share", ge=0, le=1, source="assumption", description="Share of residents under 60 who have a job.")
    party_member_share: float = param(0.08, unit="share", ge=0, le=0.5, source="assumption: about 99 million CPC members among 1.1 billion adults", description="Share of residents who are party members (党员).")
    party_registered_share: float = param(0.6, unit="share", ge=0, le=1, source="assumption; seed 004 §二.1 (members register in their home community)", description="Share of party members registered in their home community (报到).")
    party_serving_share: float = param(0.2, unit="share", ge=0, le=1, source="assumption; seed 004 §二.1 'registered, not serving' (报到少履职)", description="Share of registered members who actually take on service.")
    rider_share: float = param(0.01, unit="share", ge=0, le=0.2, source="assumption", description="Share of residents who are delivery riders (外卖/快递小哥).")
    online_share_young: float = param(0.9, unit="share", ge=0, le=1, source="assumption; seed 003 §3.6 (WeChat groups, apps)", description="Share of residents under 60 who use online community channels.")
    online_share_elderly: float = param(0.4, unit="share", ge=0, le=1, source="assumption", description="Share of residents 60 and over who use online community channels.")

    @model_validator(mode="after")
    def _shares_fit(self) -> "PopulationParams":
        if self.youth_share + self.elderly_share > 1:
            raise ValueError("youth_share + elderly_share must not exceed 1")
        return self


class ResidentParams(Section):
    """Residents' decisions: the civic voluntarism model (Verba, Schlozman and Brady 1995).

    People take part because they can (free time, skills), because they want to
    (efficacy, belonging) and because they were asked (mobilisation), with
    social influence from neighbours in the same building.
    """

    free_hours_retired: float = param(6.0, unit="hours/day", ge=0, le=16, source="assumption; seed 003 §2.4 reports the elderly as the main participants", description="Free hours a day of residents 60 and over.")
    free_hours_employed: float = param(1.5, unit="hours/day", ge=0, le=16, source="assumption", description="Free hours a day of employed residents.")
    free_hours_other: float = param(4.0, unit="hours/day", ge=0, le=16, source="assumption", description="Free hours a day of residents under 60 without a job.")
    logit_intercept: float = param(-5.0, unit="logit", ge=-20, le=5, source="assumption (sets the baseline level)", description="Intercept of the willingness to say yes when an opportunity to act comes.")
    weight_time: float = param(2.5, unit="logit per unit", ge=0, le=10, source="Verba, Schlozman and Brady 1995 (resources); size assumed", description="Weight of free time (hours/8).")
    weight_skills: float = param(0.8, unit="logit per unit", ge=0, le=10, source="Verba, Schlozman and Brady 1995 (civic skills); size assumed", description="Weight of civic skills (0-1).")
    weight_efficacy: float = param(2.0, unit="logit per unit", ge=0, le=10, source="Verba, Schlozman and Brady 1995 (engagement); size assumed", description="Weight of political efficacy (0-1).")
    weight_belonging: float = param(1.6, unit="logit per unit", ge=0, le=10, source="seed 003 §3.6 (weak belonging); size assumed", description="Weight of belonging to the community (0-1).")
    weight_social: float = param(2.0, unit="logit per unit", ge=0, le=20, source="Granovetter 1978 (threshold models); size assumed", description="Weight of the share of building neighbours active in the last 30 days.")
    weight_mobilised: float = param(1.8, unit="logit", ge=0, le=10, source="Verba, Schlozman and Brady 1995 (recruitment); size assumed", description="Logit gain while a resident has recently been asked to take part.")
    weight_party_serving: float = param(1.5, unit="logit", ge=0, le=10, source="assumption; seed 004 §三.1", description="Logit gain for party members who serve.")
    activity_invite_prob: float = param(0.026, unit="1/day", ge=0, le=1, source="assumption", description="Daily chance a resident hears of a community activity they could join (scaled by the committee's activities).")
    activity_reach_elasticity: float = param(0.5, unit="ratio", ge=0, le=1, source="assumption: more activities mostly reach the same people again", description="How invitations grow with activities on offer: (activities / normal programme) to this power.")
    report_prob: float = param(0.04, unit="1/day", ge=0, le=1, source="assumption", description="Daily chance that a willing resident reports a problem they live with (before channel cost).")
    offline_report_cost_employed: float = param(0.5, unit="share", ge=0, le=1, source="assumption; seed 003 §3.6", description="Share of reports an employed resident forgoes because reporting offline takes time.")
    mobilisation_days: int = param(30, unit="days", ge=1, le=365, source="assumption", description="How long being asked to take part keeps its effect.")
    efficacy_learning_rate: float = param(0.01, unit="share per event", ge=0, le=1, source="assumption (feedback from outcomes)", description="Step of efficacy towards 1 when a problem in one's building is resolved (towards 0 when abandoned).")
    belonging_gain: float = param(0.02, unit="share per act", ge=0, le=1, source="assumption", description="Step of belonging towards 1 after taking part.")
    belonging_decay: float = param(0.0005, unit="1/day", ge=0, le=0.1, source="assumption", description="Daily relative decay of belonging without taking part.")


class ProblemKindParams(Section):
    """Arrival of one kind of problem."""

    rate: float = param(0.1, unit="problems per 1,000 residents per day", ge=0, le=50, source="assumption", description="Arrival rate of this kind.")
    big_share: float = param(0.15, unit="share", ge=0, le=1, source="seed 000 §4 (small vs big problems); share assumed", description="Share of problems of this kind that are big (need departments or stakeholders).")


def _kind(rate: float, big_share: float) -> Any:
    return Field(default_factory=lambda: ProblemKindParams(rate=rate, big_share=big_share))


class ProblemKinds(Section):
    """Per-kind arrival (seed 000 §4; seed 002; seed 004 §一.3, §二.3)."""

    facilities: ProblemKindParams = _kind(0.12, 0.30)
    environment: ProblemKindParams = _kind(0.15, 0.10)
    safety: ProblemKindParams = _kind(0.06, 0.25)
    disputes: ProblemKindParams = _kind(0.08, 0.10)
    care: ProblemKindParams = _kind(0.10, 0.10)
    property: ProblemKindParams = _kind(0.09, 0.20)


class ProblemParams(Section):
    """Problems: arrival, ageing of buildings, patience."""

    kinds: ProblemKinds = Field(default_factory=ProblemKinds)
    age_pressure: float = param(0.02, unit="relative rate per year of building age", ge=0, le=1, source="assumption; seed 004 §二.2 (ageing infrastructure)", description="Extra arrival rate per year of building age.")
    unmanaged_pressure: float = param(0.3, unit="relative rate", ge=0, le=5, source="assumption; seed 002 (estates without property management)", description="Extra arrival rate in buildings without property management.")
    abandonment: bool = param(True, unit="switch", source="assumption", description="Whether unresolved problems are abandoned after the patience time.")
    patience_small_days: float = param(45.0, unit="days", ge=1, le=3650, source="assumption", description="Small problems not resolved within this time after arising are abandoned.")
    patience_big_days: float = param(180.0, unit="days", ge=1, le=3650, source="assumption", description="Big problems not resolved within this time after arising are abandoned.")
    rating_half_life_days: float = param(7.0, unit="days", ge=0.1, le=365, source="assumption; seed 004 §一.3 (response within 24 hours)", description="Days to resolution at which residents' rating of a resolved problem falls to one half.")


class ServiceParams(Section):
    """Service times (queueing): each job needs a random amount of work."""

    distribution: Literal["exponential", "gamma", "lognormal", "deterministic"] = param("gamma", unit="choice", source="assumption", description="Distribution of the work a job needs.")
    cv: float = param(0.8, unit="ratio", ge=0, le=5, source="assumption", description="Coefficient of variation of the work (gamma and lognormal).")
    small_work_days: float = param(0.5, unit="worker-days", ge=0.01, le=365, source="assumption", description="Mean work for a small problem, in days of one full-time server.")
    big_work_days: float = param(6.0, unit="worker-days", ge=0.01, le=365, source="assumption", description="Mean work for a big problem at a department.")
    community_big_share: float = param(0.15, unit="share", ge=0, le=1, source="seed 004 §二.2 ('big things beyond reach'); share assumed", description="Share of big problems a community can still settle on its own.")
    capacity_effect: float = param(1.0, unit="ratio", ge=0, le=5, source="assumption; seed 000 §2", description="How strongly a gridworker's service capacity scales their speed (0: all equal).")


class GridworkerParams(Section):
    """Gridworkers and community workers (网格员 / 社区工作者)."""

    per_zone: float = param(4.1, unit="persons per zone", ge=0.5, le=30, source="seed 004 §一.1: 2,329 gridworkers in 562 grids", description="Gridworkers per grid zone.")
    full_time_share: float = param(0.5, unit="share", ge=0, le=1, source="assumption; seed 000 §1 (full- and part-time gridworkers)", description="Share of gridworkers who are full-time.")
    hours_full_time: float = param(8.0, unit="hours/day", ge=1, le=16, source="assumption", description="Working hours a day of a full-time gridworker.")
    hours_part_time: float = param(3.0, unit="hours/day", ge=0.5, le=12, source="assumption", description="Working hours a day of a part-time gridworker.")
    admin_share: float = param(0.45, unit="share of hours", ge=0, le=0.95, source="assumption; seed 002 and seed 003 §2.5 (administrative overload)", description="Share of working time taken by administrative tasks, paperwork and inspections.")
    patrol_share: float = param(0.4, unit="share of non-admin hours", ge=0, le=1, source="assumption; seed 004 §一.1 (information collection)", description="Share of non-administrative time spent patrolling the zone.")
    buildings_per_patrol_hour: float = param(1.0, unit="buildings/hour", ge=0.1, le=50, source="assumption", description="Buildings a gridworker walks through in an hour of patrol.")
    detection_prob: float = param(0.7, unit="probability", ge=0, le=1, source="assumption", description="Chance a patrol passing a building finds an undiscovered problem there.")
    contacts_per_patrol_hour: float = param(1.0, unit="residents/hour", ge=0, le=50, source="assumption; seed 004 §一.1 (opinion gathering)", description="Residents asked to take part per patrol hour.")
    mean_tenure_years: float = param(4.0, unit="years", ge=0, le=40, source="assumption", description="Mean tenure of gridworkers at the start.")
    leaders_per_community: int = param(2, unit="persons", ge=0, le=20, source="assumption; seed 000 §2 defines the tier (deputy secretary / deputy director and up), not its size", description="Leader-tier workers per community.")
    quit_rate: float = param(0.12, unit="1/year", ge=0, le=2, source="assumption; seed 002 and seed 003 §2.6 (high turnover)", description="Yearly quit rate of a gridworker with no burnout.")
    burnout_quit_factor: float = param(2.0, unit="ratio", ge=0, le=20, source="assumption", description="Extra quit hazard at full burnout, relative to the base rate.")
    burnout_rate: float = param(0.01, unit="1/day", ge=0, le=1, source="assumption; seed 003 §2.5", description="Daily burnout gain per unit of admin share above the tolerable share.")
    burnout_tolerance: float = param(0.3, unit="share of hours", ge=0, le=1, source="assumption", description="Admin share a worker can bear without burning out.")
    burnout_recovery: float = param(0.005, unit="1/day", ge=0, le=1, source="assumption", description="Daily recovery from burnout.")
    vacancy_days: int = param(60, unit="days", ge=0, le=730, source="assumption", description="Days until a worker who quits is replaced.")
    learning_per_year: float = param(0.05, unit="capacity per year", ge=0, le=1, source="assumption (learning on the job)", description="Capacity gained per year of experience in every capacity.")
    salary_full_time: float = param(72000.0, unit="yuan/year", ge=0, le=1e6, source="assumption; seed 002 (poorly paid)", description="Yearly cost of a full-time gridworker.")
    salary_part_time: float = param(24000.0, unit="yuan/year", ge=0, le=1e6, source="assumption", description="Yearly cost of a part-time gridworker.")


class OrganisationParams(Section):
    """Co-building enterprises and social organisations."""

    enterprises_per_community: float = param(4.0, unit="units per community", ge=0, le=200, source="seed 000 §1: 60-odd units (60多家) along Wangzhuang Road in the party alliance, over the subdistrict's 16 communities (seed 000 §4, 1+16+n): about 4", description="Co-building units (共建单位) per community.")
    enterprise_active_share: float = param(0.2, unit="share", ge=0, le=1, source="assumption; seed 004 §二.1 (units respond passively)", description="Share of units that take an active part.")
    donation_prob: float = param(0.3, unit="1/year", ge=0, le=12, source="assumption; seed 004 §二.2 (one-off donations)", description="Yearly chance a unit gives a one-off donation.")
    donation_yuan: float = param(20000.0, unit="yuan", ge=0, le=1e7, source="assumption", description="Size of one donation.")
    social_orgs_per_community: float = param(1.5, unit="organisations per community", ge=0, le=50, source="assumption; seed 000 §3, seed 004 §一.2", description="Social organisations (社会组织) serving each community.")
    social_org_external_share: float = param(0.5, unit="share", ge=0, le=1, source="assumption; seed 000 §3 names both kinds (external professional, resident-grown), not their shares", description="Share of social organisations that are external professional ones.")
    social_org_servers: int = param(2, unit="staff", ge=0, le=50, source="assumption", description="Service staff per social organisation (serve care problems).")


class CommitteeParams(Section):
    """The community committee (居委会) with its deliberation platform and budget."""

    budget_yuan: float = param(108000.0, unit="yuan/year", ge=0, le=1e8, source="assumption: the normal programme (6 activities a month at 1,500 yuan)", description="Yearly budget for community activities, spent evenly over the year.")
    activity_cost_yuan: float = param(1500.0, unit="yuan/activity", ge=1, le=1e6, source="assumption", description="Cost of one organised community activity.")
    activities_per_month: float = param(6.0, unit="activities/month", ge=0, le=100, source="assumption", description="The committee's normal programme of activities a month; donations can fund up to twice as many.")
    meeting_interval_days: int = param(30, unit="days", ge=1, le=365, source="assumption; seed 004 §一.2 (monthly consultations)", description="Days between sessions of the deliberation platform.")
    meeting_invitees: int = param(30, unit="residents", ge=0, le=1000, source="assumption", description="Residents invited to each platform session.")


class DepartmentParams(Section):
    """Government departments (职能部门) that big problems need."""

    count: int = param(6, unit="departments", ge=1, le=50, source="assumption: one per problem kind", description="Departments in the district.")
    staff_per_community: float = param(0.5, unit="servers per community", ge=0, le=20, source="assumption; seed 004 §二.2 (departments out of reach)", description="Department servers for community cases, per community served.")
    referral_delay_days: float = param(20.0, unit="days", ge=0, le=365, source="assumption; seed 004 §二.2", description="Mean delay before an ordinary referral reaches a department.")


class ShockParams(Section):
    """A shock (a flood, an epidemic): a surge of problems for some days (seed 003 §1.2)."""

    kind: Literal["flood", "epidemic", "other"] = param("flood", unit="choice", source="seed 003 §1.2; seed 004 §一.2 (平战转化)", description="What happens.")
    day: int = param(180, unit="day", ge=0, le=36500, source="scenario choice", description="First day of the shock (0 is the first simulated day).")
    duration_days: int = param(14, unit="days", ge=1, le=3650, source="assumption", description="How long the surge lasts.")
    surge: float = param(3.0, unit="ratio", ge=1, le=100, source="assumption", description="Arrival rate of the affected kinds, relative to normal, while it lasts.")
    kinds: ProblemKindList = param(("safety", "care", "facilities"), unit="problem kinds", source="assumption", description="Kinds of problem that surge.")


    def active(self, day: int) -> bool:
        return self.day <= day < self.day + self.duration_days


class CoreParams(Section):
    """Everything the core model reads: the world without any mechanism."""

    world: WorldParams = Field(default_factory=WorldParams)
    population: PopulationParams = Field(default_factory=PopulationParams)
    residents: ResidentParams = Field(default_factory=ResidentParams)
    problems: ProblemParams = Field(default_factory=ProblemParams)
    service: ServiceParams = Field(default_factory=ServiceParams)
    gridworkers: GridworkerParams = Field(default_factory=GridworkerParams)
    organisations: OrganisationParams = Field(default_factory=OrganisationParams)
    committee: CommitteeParams = Field(default_factory=CommitteeParams)
    departments: DepartmentParams = Field(default_factory=DepartmentParams)
    shocks: tuple[ShockParams, ...] = Field((), strict=False, description="Shocks, as [[shocks]] tables.")
