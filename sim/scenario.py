"""Scenario files (TOML) -> validated, frozen configuration.

A scenario file sets core parameters in tables such as ``[world]`` and
``[gridworkers]``, switches mechanisms on in ``[mechanisms.<name>]`` tables,
and may inherit from another file with ``extends = "baseline.toml"`` (a path
relative to the file). Validation is strict: unknown keys, wrong types and
out-of-range values are errors that name the file, the dotted key and, for a
misspelt key, the closest valid one. Nothing runs on an invalid scenario.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Mapping, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, create_model

from sim.mechanisms import available
from sim.model.mechanism import MechanismParams
from sim.model.params import CoreParams, Section

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names file and key."""

    def __init__(self, message: str, file: str | Path | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.file, self.key = (str(file) if file else None), key


def _mechanisms_model() -> type[Section]:
    fields = {name: (cls.Params, Field(default_factory=cls.Params, description=cls.description)) for name, cls in available().items()}
    return create_model("Mechanisms", __base__=Section, __module__=__name__, **fields)


Mechanisms = _mechanisms_model()


class Scenario(CoreParams):
    """A whole scenario: the core parameters plus the mechanism switches."""

    name: str = Field("baseline", description="Short name, by default the file name.")
    description: str = Field("", description="What this scenario represents.")
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)  # type: ignore[valid-type]

    def core(self) -> CoreParams:
        return CoreParams(**{k: getattr(self, k) for k in CoreParams.model_fields})

    def mechanism_settings(self) -> dict[str, MechanismParams]:
        return {name: getattr(self.mechanisms, name) for name in type(self.mechanisms).model_fields}

    def enabled_mechanisms(self) -> list[str]:
        return [name for name, p in self.mechanism_settings().items() if p.enabled]

    def switched_off_owner(self, dotted_path: str) -> str | None:
        """The mechanism that owns parameter ``dotted_path`` if it is switched off here (so the
        parameter changes nothing), else None: a core parameter, an enabled mechanism's, or a switch."""
        parts = dotted_path.split(".")
        if len(parts) < 3 or parts[0] != "mechanisms" or parts[2] == "enabled" or parts[1] in self.enabled_mechanisms():
            return None
        return parts[1]

    def unseen_within(self, days: int) -> list[dict[str, Any]]:
        """What a run of ``days`` days would not see: each switched-on mechanism whose first
        action (``Mechanism.first_action_day``), and each shock whose first day, is not
        among them. Items: ``{"kind": "mechanism" | "shock", "name": ..., "day": int | None}``
        (day None: the mechanism never acts with these settings)."""
        core, classes, out = self.core(), available(), []
        for name, params in self.mechanism_settings().items():
            if params.enabled:
                first = classes[name].first_action_day(params, core)
                if first is None or first >= days:
                    out.append({"kind": "mechanism", "name": name, "day": first})
        out += [{"kind": "shock", "name": shock.kind, "day": shock.day} for shock in core.shocks if shock.day >= days]
        return out

    def scheduled_within(self, days: int) -> list[dict[str, Any]]:
        """What happens on given days of a run of ``days`` days, where its daily series may step:
        each switched-on mechanism's scheduled actions (``Mechanism.scheduled_days``) and each
        shock's first day. Items: ``{"kind": "mechanism" | "shock", "name": ..., "days": [int, ...]}``."""
        core, classes, out = self.core(), available(), []
        for name, params in self.mechanism_settings().items():
            if params.enabled and (scheduled := classes[name].scheduled_days(params, core, days)):
                out.append({"kind": "mechanism", "name": name, "days": scheduled})
        out += [{"kind": "shock", "name": shock.kind, "days": [shock.day]} for shock in core.shocks if shock.day < days]
        return out


def unseen_text(item: Mapping[str, Any], days: int) -> str:
    """One item of ``Scenario.unseen_within`` as a planner's warning."""
    if item["kind"] == "shock":
        return f"the {item['name']} on day {item['day']} begins after the run's {days} days: it does not happen"
    if item["day"] is None:
        return f"mechanism '{item['name']}' never acts with this scenario's settings (only its standing cost counts)"
    return (f"mechanism '{item['name']}' first acts on day {item['day']}, after the run's {days} days: "
            f"its effect is not measured and its cost a year is not representative (run at least {item['day'] + 1} days)")


# ---------------------------------------------------------------------- loading
def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))  # -sig: a byte-order mark (Windows Notepad) is not TOML
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}", path) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start} cannot be read): save the file as UTF-8", path) from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror}", path) from None


def _merge(base: dict, top: dict, origin: dict[str, Path], path: Path, prefix: str = "") -> dict:
    out = dict(base)
    for key, value in top.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, path, dotted + ".")
        else:
            out[key] = value
            origin[dotted] = path
            if isinstance(value, dict):
                for sub in _flatten(value, dotted + "."):
                    origin[sub] = path
    return out


def _flatten(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        keys.append(prefix + key)
        if isinstance(value, dict):
            keys.extend(_flatten(value, f"{prefix}{key}."))
    return keys


def _resolve_chain(path: Path, origin: dict[str, Path], seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"{path}: 'extends' loops back on itself ({chain})", path, "extends")
    data = _read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        base: dict[str, Any] = {}
    else:
        if not isinstance(parent, str):
            raise ScenarioError(f"{path}: key 'extends' must be a file name in quotes", path, "extends")
        target = (path.parent / parent).resolve()
        if not target.is_file():
            raise ScenarioError(f"{path}: key 'extends' names {parent!r}, which does not exist (looked for {target})", path, "extends")
        base = _resolve_chain(target, origin, (*seen, path))
    return _merge(base, data, origin, path)


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ScenarioError(f"override {dotted!r}: {part!r} is not a table", None, dotted)
    node[parts[-1]] = value


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The table model at ``loc`` (through the items of a list of tables, such as ``shocks.0``)."""
    parts = list(loc)
    while parts:
        field = model.model_fields.get(str(parts.pop(0)))
        annotation = field.annotation if field is not None else None
        if get_origin(annotation) is tuple and parts and str(parts[0]).isdigit():
            annotation = get_args(annotation)[0]  # tuple[Table, ...]: one item of the list
            parts.pop(0)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _describe(error: dict, data_origin: dict[str, Path], default_file: Path | None) -> tuple[str, str, Path | None]:
    loc = tuple(str(p) for p in error["loc"])
    dotted = ".".join(loc)
    # The file that set the key; for a whole table, the most derived file that set part of it.
    setters = [f for k, f in data_origin.items() if k == dotted or k.startswith(dotted + ".")]
    if not setters:  # inside a value set whole (a list of tables): the file that set the value
        prefixes = [".".join(loc[:i]) for i in range(len(loc) - 1, 0, -1)]
        setters = [data_origin[p] for p in prefixes if p in data_origin][:1]
    file = default_file if default_file in setters or not setters else setters[-1]
    if error["type"] == "extra_forbidden":
        parent = _model_at(Scenario, loc[:-1])
        options = list(parent.model_fields) if parent else []
        if len(loc) == 1:  # [experimnt]: an experiment or calibration file with its table misspelt
            other = difflib.get_close_matches(loc[0], list(OTHER_FILES), n=1, cutoff=0.75)
            if other:
                return f"unknown key '{dotted}'; did you mean '[{other[0]}]'? (with it, this is {OTHER_FILES[other[0]]})", dotted, file
        guess = difflib.get_close_matches(loc[-1], options, n=1)
        hint = f"; did you mean '{'.'.join((*loc[:-1], guess[0]))}'?" if guess else (f"; valid keys here: {', '.join(options)}" if options else "")
        return f"unknown key '{dotted}'{hint}", dotted, file
    value = error.get("input")
    if dotted == "shocks" and error["type"] == "tuple_type":
        return "key 'shocks': write each shock as its own [[shocks]] table (double brackets)", dotted, file
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"key '{dotted}': {error_text(error, dotted)}{shown}", dotted, file


def error_text(error: dict, key: str) -> str:
    """A pydantic error's message at ``key`` in the file's terms (scenario, experiment and
    calibration files): a rule of ours says it in its own words, and a value where a table
    belongs is not named by our class (``instance of PointsIncentiveParams``)."""
    if error["type"] == "model_type":
        in_list = any(isinstance(part, int) for part in error["loc"])  # an item of [[shocks]]: no [key] header to offer
        return "must be a table: { key = value, ... }" + ("" if in_list else f", or [{key}] with its keys on the lines below")
    return error["msg"].removeprefix("Value error, ")


def validate(data: dict[str, Any], *, file: Path | None = None, origin: dict[str, Path] | None = None) -> Scenario:
    """Validate merged scenario data; raises ScenarioError naming file and key."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        messages = []
        first_key, first_file = None, file
        for error in exc.errors():
            text, key, where = _describe(error, origin or {}, file)
            messages.append(f"{where}: {text}" if where else text)
            if first_key is None:
                first_key, first_file = key, where
        raise ScenarioError("\n".join(messages), first_file, first_key) from None


OTHER_FILES = {"experiment": "an experiment file: run it with `govsim run FILE` (`--dry-run` checks it)", "calibration": "a calibration file: run it with `govsim calibrate FILE`"}
"""Tables that mark a TOML file as something other than a scenario."""


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None, *, overrides_from: str = "<override>") -> Scenario:
    """Read, inherit, override and validate a scenario file.

    ``overrides_from`` names where overrides came from in messages (``--set``).
    """
    path = Path(path)
    origin: dict[str, Path] = {}
    data = _resolve_chain(path, origin)
    for table, what in OTHER_FILES.items():
        if isinstance(data.get(table), dict):
            raise ScenarioError(f"{path}: not a scenario but {what}", path, table)
    if origin.get("name") != path.resolve():
        data["name"] = path.stem  # a file that does not name itself is named after its file
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
        for replaced in [k for k in origin if k.startswith(dotted + ".")]:  # `--set world=3` replaces the whole table
            del origin[replaced]
        origin[dotted] = Path(overrides_from)
    return validate(data, file=path.resolve(), origin=origin)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A copy of a loaded scenario with dotted keys changed, validated again."""
    data = scenario.model_dump()
    for dotted, value in overrides.items():
        _set_dotted(data, dotted, value)
    return validate(data, origin={k: Path("<override>") for k in overrides})
