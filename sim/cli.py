"""The ``govsim`` command."""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click

from sim.scenario import ScenarioError, load_scenario

RESULTS_ROOT = Path("results")


def fail(message: str, status: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, object]:
    """``key=value`` pairs; values are read as TOML values (numbers, true, "text")."""
    import tomllib

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = raw.strip()
    return out


def format_value(name: str, value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    if "rate" in name or name.startswith("share") or name in ("satisfaction", "resolved_within_1_day"):
        return f"{100 * value:6.1f} %"
    if name.endswith("cost"):
        return f"{value:,.0f} yuan"
    if isinstance(value, float) and not float(value).is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def summary_table(summary: dict[str, float]) -> str:
    width = max(len(k) for k in summary)
    return "\n".join(f"  {k:<{width}}  {format_value(k, v):>18}" for k, v in summary.items())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govsim")
def main() -> None:
    """govsim: simulate community governance mechanisms (社区治理) on Mesa."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 36500), help="Days to simulate.")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed of the run.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output folder [default: results/<scenario>-seed<seed>].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Change one parameter, e.g. --set gridworkers.admin_share=0.2 (repeatable).")
def run(scenario: Path, days: int, seed: int, out: Path | None, overrides: tuple[str, ...]) -> None:
    """Run one scenario and write its daily series and summary."""
    from sim import GovernanceModel

    try:
        config = load_scenario(scenario, parse_overrides(overrides))
    except ScenarioError as exc:
        fail(str(exc))
    out = out or RESULTS_ROOT / f"{config.name}-seed{seed}"
    click.echo(f"govsim: {config.name} ({scenario}), {days} days, seed {seed}", err=True)
    started = time.perf_counter()
    model = GovernanceModel(scenario=config, rng=seed)
    for _ in range(days):
        model.step()
    summary = model.summary()
    elapsed = time.perf_counter() - started
    write_run(out, model, summary, {"scenario": str(scenario), "name": config.name, "seed": seed, "days": days, "overrides": dict(parse_overrides(overrides)), "seconds": round(elapsed, 3)})
    click.echo(summary_table(summary))
    click.echo(f"wrote {out}/ (series.parquet, summary.json) in {elapsed:.1f} s", err=True)


def write_run(out: Path, model, summary: dict, meta: dict) -> None:
    """Write series and summary into ``out`` atomically: all files or none."""
    series = model.datacollector.get_model_vars_dataframe()
    series.index.name = "day"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        series.reset_index().to_parquet(tmp / "series.parquet", compression="zstd", index=False)
        (tmp / "summary.json").write_text(json.dumps({"meta": meta, "summary": summary}, indent=2, default=float), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        fail(f"cannot write results to {out}: {exc.strerror or exc}", 1)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario files; exit status 2 if any is invalid."""
    bad = 0
    for path in files:
        try:
            config = load_scenario(path)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            bad += 1
            continue
        on = ", ".join(config.enabled_mechanisms()) or "none"
        click.echo(f"ok: {path} ({config.world.communities} communities, {config.world.residents:,} residents; mechanisms: {on})")
    if bad:
        sys.exit(2)


@main.command()
def params() -> None:
    """List every parameter with default, unit, range and source."""
    from sim.registry import parameters

    for p in parameters():
        click.echo(f"{p.path} = {p.default!r}  [{p.unit}; {p.range_text}]  ({p.source})")


@main.command()
def mechanisms() -> None:
    """List the governance mechanisms with description and sources."""
    from sim.mechanisms import available

    found = available()
    if not found:
        click.echo("no mechanisms installed")
    for name, cls in found.items():
        click.echo(f"{name}  {cls.title}\n    {cls.description}\n    sources: {cls.sources}")


if __name__ == "__main__":  # pragma: no cover
    main()
