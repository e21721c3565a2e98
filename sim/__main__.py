"""``govsim`` and ``python -m sim``: the command, with Ctrl-C during its start-up answered like any other."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from sim.cli import main as govsim
    except KeyboardInterrupt:  # before click runs, Python would print a traceback
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    govsim(prog_name="govsim")


if __name__ == "__main__":  # pragma: no cover
    main()
