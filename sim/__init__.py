"""govsim: an agent-based simulator of community governance participation."""

__version__ = "0.1.0"

from sim.governance import GovernanceModel  # noqa: E402

__all__ = ["GovernanceModel", "__version__"]
