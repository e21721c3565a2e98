"""manifest.json: enough to know later exactly what produced a results folder.

It keeps the experiment file's text, the resolved configuration of every
scenario (a run's configuration is its scenario's plus its sweep point),
the sweep points, the package versions, the git revision of the code if it
is a checkout, and one entry per session (start, end, executor, counts, and
the versions, revision and command of that session: a resumed batch may have
been run by other code than the one that started it).
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from sim import model_version

from .plan import Plan, seed_for

PACKAGES = ("govsim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "click", "SALib", "dask", "distributed")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_revision() -> dict[str, Any] | None:
    """The commit the code was run from, and whether it had local changes."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"revision": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def build(plan: Plan, previous: dict[str, Any] | None) -> dict[str, Any]:
    exp = plan.spec.experiment
    return {
        "experiment": plan.name,
        "description": exp.description,
        "description_zh": exp.description_zh,
        "file": str(plan.file),
        "file_sha256": hashlib.sha256(plan.text.encode("utf-8")).hexdigest(),
        "file_text": plan.text,
        "model_version": model_version(),
        "baseline": plan.baseline,
        "scenarios": [{"name": s.name, "path": s.written, "file": str(s.file), **({"own_size": list(s.own_size)} if s.own_size else {})} for s in plan.scenarios],
        "replications": plan.replications,
        "base_seed": exp.base_seed,
        "seeds": [seed_for(exp.base_seed, r) for r in range(plan.replications)],
        "days": exp.days,
        "metrics": plan.metrics,
        "matters": dict(plan.spec.experiment.matters),
        "labels": dict(plan.spec.experiment.labels),
        "labels_zh": dict(plan.spec.experiment.labels_zh),
        "overrides": plan.overrides,
        "sweep": plan.sweep,
        "points": plan.points,
        "runs": len(plan.runs),
        "configs": {s.name: s.config.model_dump(mode="json") for s in plan.scenarios},
        "unseen": plan.unseen,
        "scheduled": plan.scheduled,
        "versions": versions(),
        "git": git_revision(),
        "command": sys.argv,
        "started": (previous or {}).get("started"),
        "finished": None,
        "sessions": list((previous or {}).get("sessions", [])),
        **({"precision": (previous or {}).get("precision")} if plan.precision else {}),
    }


NUMERIC = ("python", "mesa", "numpy", "scipy", "pandas")
"""Packages whose version can change a run's numbers for the same seed and configuration."""


def version_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """'numpy 2.3.1 -> 2.4.6' for each numeric package that differs from the last session's."""
    sessions = (previous or {}).get("sessions") or []
    before = next((s["versions"] for s in reversed(sessions) if s.get("versions")), None) or (previous or {}).get("versions") or {}
    now = current.get("versions") or {}
    return [f"{name} {before[name]} -> {now.get(name, 'none')}" for name in NUMERIC if name in before and before[name] != now.get(name)]


def read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
