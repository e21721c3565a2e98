"""Governance mechanisms as plug-ins, found by name.

Each module in this package defines one :class:`~sim.model.Mechanism`
subclass whose ``name`` equals the module name. Adding a mechanism means
writing one module; nothing else needs registering. Mechanisms meet only
through the model's state and schedule and never import each other.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from sim.model.mechanism import Mechanism, MechanismParams


@cache
def available() -> dict[str, type[Mechanism]]:
    """Every mechanism class in this package, by name, in alphabetical order."""
    found: dict[str, type[Mechanism]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Mechanism) and cls is not Mechanism and cls.__module__ == module.__name__ and cls.name:
                if cls.name != info.name:
                    raise RuntimeError(f"mechanism class {cls.__name__} is named {cls.name!r} but lives in {info.name}.py")
                found[cls.name] = cls
    return found


def build(settings: dict[str, MechanismParams]) -> list[Mechanism]:
    """Instances of the mechanisms switched on in ``settings`` (name -> params)."""
    classes = available()
    return [classes[name](params) for name, params in sorted(settings.items()) if params.enabled]


__all__ = ["available", "build", "Mechanism", "MechanismParams"]
