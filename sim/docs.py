"""Generated parts of docs/ODD.md: the parameter table and the mechanism sections.

``python -m sim.docs`` rewrites the text between the GENERATED markers in
``docs/ODD.md`` from the parameter registry and the mechanism modules, so the
documentation cannot drift from the code (a test checks it is current).
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from sim.mechanisms import available
from sim.registry import parameters

ODD = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def parameter_table() -> str:
    rows = ["| parameter | default | unit | range | source | meaning |", "|---|---|---|---|---|---|"]
    for p in parameters():
        default = p.default if not isinstance(p.default, float) else f"{p.default:g}"
        rows.append(f"| `{p.path}` | {_cell(default)} | {_cell(p.unit)} | {_cell(p.range_text)} | {_cell(p.source)} | {_cell(p.description)} |")
    return "\n".join(rows)


def mechanism_sections() -> str:
    parts = []
    for name, cls in available().items():
        module = sys.modules[cls.__module__]
        doc = inspect.cleandoc(module.__doc__ or "").split("\n", 1)
        body = doc[1].strip() if len(doc) > 1 else ""
        phases = ", ".join(p.name for p in cls.phases) or "setup only"
        params = ", ".join(f"`{p.path.split('.', 2)[2]}`" for p in parameters() if p.path.startswith(f"mechanisms.{name}.") and not p.path.endswith(".enabled"))
        parts.append(
            f"### {name} ({cls.title})\n\n{cls.description}\n\n{body}\n\n"
            f"*Phases:* {phases}. *Parameters:* {params or 'none'}. *Sources:* {cls.sources}.\n"
        )
    return "\n".join(parts)


def render(text: str) -> str:
    for marker, content in (("parameters", parameter_table()), ("mechanisms", mechanism_sections())):
        pattern = re.compile(rf"(<!-- BEGIN GENERATED: {marker} -->\n).*?(<!-- END GENERATED: {marker} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{ODD}: marker for {marker!r} not found")
        text = pattern.sub(lambda m: m.group(1) + content.rstrip() + "\n" + m.group(2), text)
    return text


def main() -> None:
    text = ODD.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        ODD.write_text(new, encoding="utf-8")
        print(f"updated {ODD}")
    else:
        print(f"{ODD} is current")


if __name__ == "__main__":
    main()
