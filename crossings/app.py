"""The `crossings` command line: one module per command in `crossings.commands`.

The command line sits on top of both the library (`forecasting`) and the server (`api`):
parsing and checking flags (each message names its flag) and printing (`crossings.output`);
the work is in the library.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from crossings.commands.backtest import backtest
from crossings.commands.fetch import fetch_weather
from crossings.commands.fetch_arrivals import fetch_arrivals
from crossings.commands.ingest import ingest
from crossings.commands.outlook import outlook
from crossings.commands.reissue import reissue_command
from crossings.commands.retrain import retrain
from crossings.commands.serve import serve
from crossings.commands.train import train
from crossings.commands.tune import tune_command
from crossings.commands.update import update

app = typer.Typer(
    help="Forecast daily small-boat crossings of the English Channel.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
) -> None:
    """Forecast daily small-boat crossings of the English Channel."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# The order of `crossings --help`.
app.command("ingest")(ingest)
app.command("backtest")(backtest)
app.command("fetch-arrivals")(fetch_arrivals)
app.command("fetch-weather")(fetch_weather)
app.command("outlook")(outlook)
app.command("reissue")(reissue_command)
app.command("tune")(tune_command)
app.command("serve")(serve)
app.command("train")(train)
app.command("retrain")(retrain)
app.command("update")(update)

__all__ = ["app"]
