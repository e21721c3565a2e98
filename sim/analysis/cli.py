"""``govsim report``: the command that writes an experiment's report.

Registered in sim/cli.py with ``main.add_command(report)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("report")
@click.argument("results_dir", metavar="RESULTS", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of every label, title and sentence.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Where to write the HTML [RESULTS/report.html].")
def report(results_dir: Path, lang: str, out: Path | None) -> None:
    """Write figures (PNG and SVG) and one self-contained report.html for RESULTS.

    RESULTS is an experiment's results folder, e.g. results/mechanism_comparison.
    The maps need `govsim snapshot RESULTS` first (`govsim run` makes them).
    """
    from sim.analysis import ResultsError, load, write_report
    from sim.analysis.communities import predates_communities
    from sim.analysis.report import SAMPLED
    from sim.analysis.results import SPATIAL

    try:
        path = write_report(results_dir, lang=lang, out=out)
    except ResultsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # e.g. the disk filled up while writing; the previous report and figures are kept
        click.echo(f"error: the report could not be written ({exc}); the previous report and figures are unchanged", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted; the previous report and figures are unchanged", err=True)
        sys.exit(130)
    click.echo(f"wrote {path} (figures in {results_dir / 'figures' / lang}/)")
    results = load(results_dir)
    if not (results.folder / SPATIAL).exists() and (results.sweep or {}).get("method") not in SAMPLED:
        click.echo(f"note: the report has no maps; `govsim snapshot {results_dir}`, then the report again, adds them", err=True)
    elif predates_communities(results):
        click.echo(f"note: the maps were made before snapshots kept communities, so they have no community borders and the report no table "
                   f"by community; `govsim snapshot {results_dir}`, then the report again, adds them", err=True)
    pending = len(results.pending)
    if pending:
        click.echo(f"warning: {pending} runs of this batch have not run yet; the report covers the finished ones. "
                   "Run the batch's command again to finish it.", err=True)
