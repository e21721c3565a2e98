"""``govsim app``: start the interactive explorer (Mesa's SolaraViz) in a browser.

The page itself lives in :mod:`sim.explorer.app`; this module only checks the
scenario, finds a port and starts Solara's server on it::

    govsim app                           # scenarios/baseline.toml
    govsim app scenarios/district.toml --port 8800

Solara (and altair, which ``mesa.visualization`` imports) come with the ``app``
extra: ``pip install -e ".[app]"``; without them the command says so and stops.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import click
from click.core import ParameterSource

APP_MODULE = "sim.explorer.app"
DEFAULT_PORT = 8765

# What the explorer imports beyond the core: Solara, and altair, which
# mesa.visualization imports (both come with the ``app`` extra).
APP_MODULES = ("solara", "altair")
APP_HINT = 'pip install -e ".[app]" (in the govsim folder)'

# Solara warns on every server start (at the first page) that a plain-http page on
# 127.0.0.1 gets a "lax" session cookie: true, harmless here, and a planner reads the
# long warning under the address as an error in govsim.
QUIET_WARNINGS = "ignore:Cookies with samesite=none require https:UserWarning"

# How long Solara keeps a browser session whose page has lost its connection, for
# the page to reconnect; then it closes the session, and the explorer stops that
# session's model and frees it. A page closed normally is closed at once: the
# browser tells the server on unload. But that message is not always sent (a
# killed browser, headless Chromium, a machine gone to sleep), and Solara's
# default wait is 24 hours: Mesa's Play thread went on stepping the model of a
# closed page, most of a core, for a day. A page away for longer than this asks
# to be reloaded.
KERNEL_CULL_TIMEOUT = "30s"


def missing_modules() -> list[str]:
    """The explorer's optional dependencies that are not installed."""
    return [name for name in APP_MODULES if importlib.util.find_spec(name) is None]


def port_problem(host: str, port: int) -> OSError | None:
    """Why the server could not listen on ``host:port`` now (None: it can).

    Binds the way the server (uvicorn) will, with SO_REUSEADDR, so a port
    that is only in TIME_WAIT counts as free.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
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
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    if QUIET_WARNINGS not in env.get("PYTHONWARNINGS", ""):
        env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS", ""), QUIET_WARNINGS]))
    return env


@click.command("app")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one, as does the default when it is taken.")
@click.pass_context
def app(ctx: click.Context, scenario: Path | None, host: str, port: int) -> None:
    """Explore a scenario interactively in the browser (Mesa SolaraViz).

    SCENARIO is a scenario file (default scenarios/baseline.toml); the page
    can switch to any file in scenarios/.
    """
    from sim.scenario import ScenarioError, load_scenario

    missing = missing_modules()
    if missing:
        click.echo(f"error: the explorer needs the app extra ({', '.join(missing)} not installed): {APP_HINT}", err=True)
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
    if port != 0:
        problem = port_problem(host, port)
        if problem is not None:
            taken = problem.errno == errno.EADDRINUSE
            if taken and ctx.get_parameter_source("port") == ParameterSource.DEFAULT:
                port = 0  # another explorer has the default port: take a free one
            elif taken:
                click.echo(f"error: port {port} on {host} is in use (another explorer?); "
                           "pick another with --port, or --port 0 for a free one", err=True)
                sys.exit(2)
            else:
                click.echo(f"error: cannot listen on {host}:{port}: {problem.strerror or problem} (check --host)", err=True)
                sys.exit(2)
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
