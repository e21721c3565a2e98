"""The model core: world, agents, problems, residents' behaviour and metrics."""

from .core import GovernanceCore
from .mechanism import Mechanism, MechanismParams, Phase
from .params import CoreParams, param

__all__ = ["GovernanceCore", "CoreParams", "Mechanism", "MechanismParams", "Phase", "param"]
