"""The `crossings` command line's shared options: one typed alias per flag, so each command
reads as a list of its flags."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from typer import rich_utils
from typer.core import TyperOption

from forecasting.contract import MAX_HORIZON, MIN_HORIZON

_typed = TyperOption.display_type_rich
_command_help = rich_utils._make_command_help


def _flag_type(self: TyperOption, ctx: Any) -> str | None:
    """A flag takes no value: no ``<bool>`` beside ``--json`` or ``--help``."""
    return None if self.is_flag else _typed(self, ctx)


def _one_paragraph(*, help_text: str, markup_mode: Any) -> Any:
    """A command's line in ``crossings --help``: its docstring's first paragraph, joined
    (Typer keeps the docstring's line breaks there, which broke lines mid-sentence)."""
    first = inspect.cleandoc(help_text).split("\n\n")[0]
    return _command_help(help_text=" ".join(first.split()), markup_mode=markup_mode)


# Typer's help, tidied for every command (each imports this module): see the two above.
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]
rich_utils._make_command_help = _one_paragraph

ArrivalsOpt = Annotated[
    Path | None,
    typer.Option(
        "--arrivals",
        help="Home Office time series (ODS as published, or CSV). "
        "Default: newest file in $CROSSINGS_SOURCE_DIR/home-office (../shared/data).",
    ),
]

WeatherOpt = Annotated[
    Path | None,
    typer.Option(
        "--weather",
        help="Daily weather: KNMI etmgeg, Open-Meteo JSON or canonical CSV. "
        "Default: $CROSSINGS_SOURCE_DIR/knmi/etmgeg_*.txt.",
    ),
]

SourceOpt = Annotated[
    Path | None, typer.Option("--source", help="Folder with home-office/ and knmi/.")
]

WeatherDrawsOpt = Annotated[
    int,
    typer.Option(
        "--weather-draws",
        help="Issued weather forecasts simulated per origin in forecast mode, all scored.",
    ),
]

ModelsOpt = Annotated[str, typer.Option("--models", help="Comma-separated model names.")]

# `crossings backtest` without --start: the origins of the last year before --end.
DEFAULT_WINDOW_WEEKS: Final = 52

StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start",
        help=f"First origin, YYYY-MM-DD. Default: {DEFAULT_WINDOW_WEEKS} weeks before --end.",
    ),
]

EndOpt = Annotated[
    str | None,
    typer.Option(
        "--end",
        help="Last origin, YYYY-MM-DD. Default: the latest origin whose --horizon days all "
        "have arrivals and, in the observed and forecast weather modes, weather.",
    ),
]

StepOpt = Annotated[int, typer.Option("--step", help="Days between origins.")]

HorizonOpt = Annotated[
    int, typer.Option("--horizon", help=f"Days ahead, {MIN_HORIZON}-{MAX_HORIZON}.")
]

TargetOpt = Annotated[str, typer.Option("--target", help="people or boats.")]

WeatherModeOpt = Annotated[
    str,
    typer.Option(
        "--weather-mode",
        help="forecast (the default, honest: simulated issued weather forecasts, "
        "--weather-draws per origin), observed (hindsight: the weather that happened), "
        "climatology or issued (archived forecasts, with --issued-weather).",
    ),
]

IssuedWeatherOpt = Annotated[
    Path | None,
    typer.Option(
        "--issued-weather",
        help="Archived weather forecasts for --weather-mode issued (Parquet or CSV from "
        "`crossings fetch-weather --provider open-meteo-previous-runs`).",
    ),
]

SamplesOpt = Annotated[int, typer.Option("--samples", help="Sample paths per forecast.")]

SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]

JobsOpt = Annotated[int, typer.Option("--jobs", help="Parallel fits (joblib n_jobs).")]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")]

RowsOutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write per-forecast rows to this Parquet file.")
]

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="Experiment config (YAML) in experiments/."),
]

DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", help="Processed tables from `crossings ingest` (default: data/processed)."
    ),
]

TrackingOpt = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        help="MLflow tracking URI. Default: $MLFLOW_TRACKING_URI, else sqlite:///mlruns.db "
        "with artifacts in ./mlartifacts.",
    ),
]

ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        envvar="CROSSINGS_DASK_SCHEDULER",
        help="Run the backtest's origins on this Dask scheduler, tcp://HOST:PORT (needs "
        "pip install '.\\[distributed]'). Default: $CROSSINGS_DASK_SCHEDULER, else local.",
    ),
]

FetchSourceOpt = Annotated[
    Path | None,
    typer.Option(
        "--source",
        help="Source folder to fetch into (home-office/, knmi/); then read from it alone. "
        "Default: $CROSSINGS_SOURCE_DIR when set and writable, else $CROSSINGS_FETCH_DIR "
        "(data/sources), read together with $CROSSINGS_SOURCE_DIR, newest publication first.",
    ),
]

LockOpt = Annotated[
    Path | None,
    typer.Option("--lock", help="Lock file (default: retrain.lock beside --data)."),
]
