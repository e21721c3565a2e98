"""govsim: an agent-based simulator of community governance participation."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

__version__ = "0.1.0"

MODEL_CODE = ("model", "mechanisms", "governance.py", "scenario.py")
"""The parts of the package that decide what a run computes."""


@cache
def model_version() -> str:
    """The release plus a hash of the model's source, e.g. ``0.1.0+3f2a…``.

    Run keys include it, so results stored by other code are never mixed in
    silently when a batch is resumed.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for part in MODEL_CODE:
        files = sorted((package / part).rglob("*.py")) if (package / part).is_dir() else [package / part]
        for file in files:
            digest.update(file.relative_to(package).as_posix().encode())
            digest.update(file.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def __getattr__(name: str):
    # Lazy, so that worker processes and `govsim --help` do not pay for importing Mesa.
    if name == "GovernanceModel":
        from sim.governance import GovernanceModel

        return GovernanceModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = ["GovernanceModel", "__version__", "model_version"]
