"""``govsim app``: start the interactive explorer (Mesa's SolaraViz) in a browser.

The page itself lives in :mod:`sim.explorer.app`; this module only checks the
scenario, finds a port and starts Solara's server on it::

    govsim app                           # scenarios/baseline.toml
    govsim app scenarios/district.toml --port 8800

Solara is an optional dependency: ``pip install -e ".[app]"``.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import click

APP_MODULE = "sim.explorer.app"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def solara_command(host: str, port: int) -> list[str]:
    """The command that serves the explorer page."""
    return [
        sys.executable, "-m", "solara", "run", APP_MODULE,
        "--host", host, "--port", str(port),
        "--production",          # no file watcher, no hot reload
        "--no-open",
        "--no-check-version",    # no call to PyPI
    ]


def server_environment(scenario: Path | None) -> dict[str, str]:
    from sim.explorer.model import SCENARIO_ENV

    env = dict(os.environ)
    env.pop(SCENARIO_ENV, None)
    if scenario is not None:
        env[SCENARIO_ENV] = str(scenario.resolve())
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    # Solara's hook check warns about Mesa's own SolaraViz code; to a planner the long
    # warning after the address reads like an error in govsim.
    env.setdefault("SOLARA_CHECK_HOOKS", "off")
    return env


@click.command("app")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
def app(scenario: Path | None, host: str, port: int) -> None:
    """Explore a scenario interactively in the browser (Mesa SolaraViz).

    SCENARIO is a scenario file (default scenarios/baseline.toml); the page
    can switch to any file in scenarios/.
    """
    from sim.scenario import ScenarioError, load_scenario

    if importlib.util.find_spec("solara") is None:
        click.echo('error: the explorer needs Solara: pip install -e ".[app]"', err=True)
        sys.exit(2)
    if scenario is not None:
        try:
            config = load_scenario(scenario)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        name = config.name
    else:
        name = "baseline"
    if port == 0:
        port = free_port(host)
    click.echo(f"govsim explorer ({name}): http://{host}:{port}/   (Ctrl+C to stop)")
    sys.stdout.flush()
    command, env = solara_command(host, port), server_environment(scenario)
    if os.name == "posix":
        os.execve(command[0], command, env)  # the server takes over this process (and its signals)
    sys.exit(subprocess.call(command, env=env))


if __name__ == "__main__":
    app()
