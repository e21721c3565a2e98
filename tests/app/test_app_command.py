"""``govsim app`` before it hands over to Solara: dependencies, port, server environment.

The server itself is never started here: ``os.execve`` and ``subprocess.call``
are replaced by a stub that records the command.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

import sim.app as app_module
from tests.conftest import SCENARIOS


class Started(Exception):
    """Raised by the stub instead of starting the server."""


@pytest.fixture
def no_server(monkeypatch):
    started: list[list[str]] = []

    def execve(path, argv, env):
        started.append(list(argv))
        raise Started

    def call(command, **kwargs):
        started.append(list(command))
        raise Started

    monkeypatch.setattr(app_module.os, "execve", execve)
    monkeypatch.setattr(app_module.subprocess, "call", call)
    return started


def _listening(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def test_missing_extra_is_named_with_the_install_hint(monkeypatch, no_server):
    # mesa.visualization imports altair: Solara alone is not enough.
    real = app_module.importlib.util.find_spec
    for absent in ("solara", "altair"):
        monkeypatch.setattr(app_module.importlib.util, "find_spec", lambda name, *a, _absent=absent: None if name == _absent else real(name, *a))
        result = CliRunner().invoke(app_module.app, [str(SCENARIOS / "baseline.toml"), "--port", "0"])
        assert result.exit_code == 2, result.output
        assert absent in result.output and '.[app]' in result.output
        assert "Traceback" not in result.output
    assert no_server == []


def test_a_taken_port_is_an_error_before_the_address_is_printed(no_server):
    with _listening() as sock:
        port = sock.getsockname()[1]
        result = CliRunner().invoke(app_module.app, [str(SCENARIOS / "baseline.toml"), "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"port {port}" in result.output and "in use" in result.output and "--port 0" in result.output
    assert "http://" not in result.output
    assert no_server == []


def test_a_taken_default_port_falls_back_to_a_free_one(no_server):
    default = app_module.DEFAULT_PORT
    try:
        sock = _listening(default)
    except OSError as exc:  # taken by something else: just as good for this test
        assert exc.errno == errno.EADDRINUSE
        sock = None
    try:
        result = CliRunner().invoke(app_module.app, [str(SCENARIOS / "baseline.toml")])
    finally:
        if sock is not None:
            sock.close()
    assert isinstance(result.exception, Started), result.output
    command = no_server[0]
    port = int(command[command.index("--port") + 1])
    assert port != default and f"http://127.0.0.1:{port}/" in result.output


def test_a_free_port_starts_the_server_on_it(no_server):
    result = CliRunner().invoke(app_module.app, [str(SCENARIOS / "baseline.toml"), "--port", "0"])
    assert isinstance(result.exception, Started), result.output
    command = no_server[0]
    assert command[:4] == [sys.executable, "-m", "solara", "run"] and app_module.APP_MODULE in command


def test_solara_cookie_warning_is_silenced_in_the_server(monkeypatch):
    # Solara warns about the session cookie on every plain-http 127.0.0.1 page:
    # harmless, but a long warning under the address reads like an error.
    monkeypatch.setenv("PYTHONWARNINGS", "default::DeprecationWarning")
    env = app_module.server_environment(None)
    assert env["PYTHONWARNINGS"].startswith("default::DeprecationWarning,")
    message = ("Cookies with samesite=none require https, but according to the asgi framework, "
               "the scheme is 'http'\nand the x-forwarded-proto header is 'http'.")
    code = f"import warnings; warnings.warn({message!r}, UserWarning); warnings.warn('other', UserWarning)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "samesite" not in result.stderr and "other" in result.stderr
    assert os.environ["PYTHONWARNINGS"] == "default::DeprecationWarning"


def test_a_session_whose_page_is_gone_is_closed_soon(monkeypatch, solara_available):
    # Without the browser's unload message (a closed browser, headless Chromium, a
    # sleeping machine) Solara kept a session 24 hours, and Mesa's Play thread stepped
    # its model all that time; closing the session stops it (tests/app/test_explorer.py).
    from solara.util import parse_timedelta

    monkeypatch.delenv("SOLARA_KERNEL_CULL_TIMEOUT", raising=False)
    env = app_module.server_environment(None)
    assert 5 <= parse_timedelta(env["SOLARA_KERNEL_CULL_TIMEOUT"]) <= 120
    monkeypatch.setenv("SOLARA_KERNEL_CULL_TIMEOUT", "2h")  # a user's own setting wins
    assert app_module.server_environment(None)["SOLARA_KERNEL_CULL_TIMEOUT"] == "2h"
