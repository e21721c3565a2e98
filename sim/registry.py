"""The parameter registry: every parameter with default, unit, range and source.

It walks the core parameter sections and every mechanism's parameters, so
scenario validation, the ODD parameter table and sensitivity analysis read
the same declarations (:func:`sim.model.params.param`).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.mechanisms import available
from sim.model.params import CoreParams


@dataclass(frozen=True)
class ParamInfo:
    path: str  # dotted path as written in a scenario file
    default: Any
    unit: str
    low: float | None
    high: float | None
    source: str
    description: str
    kind: str  # "float", "int", "bool", "choice", ...
    choices: tuple = ()

    @property
    def range_text(self) -> str:
        if self.choices:
            return " / ".join(map(str, self.choices))
        if self.kind == "bool":
            return "true / false"
        lo = "" if self.low is None else f"{self.low:g}"
        hi = "" if self.high is None else f"{self.high:g}"
        return f"{lo} – {hi}" if (lo or hi) else "any"

    @property
    def numeric(self) -> bool:
        return self.kind in ("float", "int") and self.low is not None and self.high is not None


def _bounds(field) -> tuple[float | None, float | None]:
    low = high = None
    for meta in field.metadata:
        low = getattr(meta, "ge", low) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", high) if getattr(meta, "le", None) is not None else high
    return low, high


def _walk(model: type[BaseModel], prefix: str, instance: BaseModel) -> list[ParamInfo]:
    rows: list[ParamInfo] = []
    for name, field in model.model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            rows.extend(_walk(type(value), f"{prefix}{name}.", value))
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else None
        if extra is None or "unit" not in extra:
            continue  # not a model parameter (e.g. a list of shocks)
        annotation = field.annotation
        choices = tuple(typing.get_args(annotation)) if typing.get_origin(annotation) is typing.Literal else ()
        kind = "choice" if choices else getattr(annotation, "__name__", str(annotation))
        low, high = _bounds(field)
        rows.append(ParamInfo(f"{prefix}{name}", value, extra["unit"], low, high, extra["source"], field.description or "", kind, choices))
    return rows


def parameters() -> list[ParamInfo]:
    """All parameters: core sections first, then each mechanism by name."""
    rows = _walk(CoreParams, "", CoreParams())
    for name, cls in available().items():
        rows.extend(_walk(cls.Params, f"mechanisms.{name}.", cls.Params()))
    return rows


def by_path() -> dict[str, ParamInfo]:
    return {p.path: p for p in parameters()}
