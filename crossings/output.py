"""What the `crossings` command prints: rich tables, progress bars, errors and `--json`.

Parsing lives in `crossings.app`; this module only renders results (stdout) and progress
and errors (stderr, progress bars only on a terminal).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress

    from forecasting.contract import WeatherMode
    from forecasting.evaluation.backtest import BacktestConfig
    from forecasting.ingest import IngestResult
    from forecasting.sources.fetched import Fetched
    from forecasting.training.results import TrainResult
    from forecasting.training.retrain import RetrainResult

console = Console()
err_console = Console(stderr=True)

# The columns of the backtest table (the --json keys are JSON_METRICS).
BACKTEST_TABLE_COLUMNS = (
    "crps",
    "wis",
    "mae",
    "mase",
    "coverage_80",
    "coverage_95",
    "brier",
    "fit_seconds_median",
)
TRAIN_TABLE_METRICS = ("crps", "mae", "coverage_80", "brier")


def numbers_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1
) -> Table:
    """A table that fits the terminal without cutting a number: the first `text_columns`
    columns are words (wrapped as needed), the others numbers, right-aligned and never
    narrower than their longest number. A cell wraps only at its spaces (a band's
    ``lo– hi`` onto two lines), so every number appears whole."""
    table = Table(title=title, show_edge=False)
    for i, header in enumerate(headers):
        if i < text_columns:
            table.add_column(header, overflow="fold")
            continue
        widest = max((len(word) for row in rows for word in row[i].split()), default=1)
        table.add_column(header, justify="right", min_width=widest, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def print_error(exc: Exception) -> None:
    """A one-line error on stderr."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)


def print_ingest(result: IngestResult, out_dir: Path) -> None:
    """The ingested tables and a one-line summary of the last year."""
    src = result.manifest["sources"]
    table = Table(title=f"Ingested into {out_dir}" + ("" if result.changed else " (unchanged)"))
    for col in ("table", "source", "vintage", "first", "last", "rows"):
        table.add_column(col)
    a, w = src["arrivals"], src["weather"]
    table.add_row(
        "arrivals",
        Path(a["path"]).name,
        a["vintage"],
        a["first_date"],
        a["last_date"],
        str(a["rows"]),
    )
    table.add_row(
        "weather", w["source"], w["vintage"], w["first_date"], w["last_date"], str(w["rows"])
    )
    console.print(table)
    last365 = result.arrivals.tail(365)
    console.print(
        f"Last 365 days: {int(last365['people'].sum()):,} people in "
        f"{int(last365['boats'].sum()):,} boats; "
        f"{(last365['people'] > 0).mean():.0%} crossing days. "
        f"Weather: {w['location']}."
    )


def print_backtest(summary: pd.DataFrame, cfg: BacktestConfig) -> None:
    """The backtest's metrics per model, best CRPS first."""
    rows = [
        [str(name), *(f"{row[c]:.3f}" for c in BACKTEST_TABLE_COLUMNS)]
        for name, row in summary.sort_values("crps").iterrows()
    ]
    title = f"Backtest: {cfg.target}, {len(cfg.origins)} origins"
    console.print(numbers_table(title, ["model", *BACKTEST_TABLE_COLUMNS], rows))


def _jsonable(v: object) -> object:
    import numpy as np

    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else round(float(v), 6)
    return v


def backtest_json(
    summary: pd.DataFrame,
    cfg: BacktestConfig,
    weather_mode: WeatherMode,
    calibration: dict[str, Any] | None = None,
) -> str:
    """The `crossings backtest --json` object (the CLI contract: keys in JSON_METRICS).

    With `calibration` (`BacktestResult.calibration()`), adds the key ``calibration``:
    ``pit_histograms``, ``reliability``, ``intervals`` and ``weekly_total_coverage``, each a
    list of per-model records (see `forecasting.evaluation.calibration`)."""
    from forecasting.evaluation.backtest import JSON_METRICS

    payload: dict[str, Any] = {
        "models": {
            name: {k: _jsonable(row[k]) for k in JSON_METRICS} for name, row in summary.iterrows()
        },
        "origins": len(cfg.origins),
        "horizon": cfg.horizon,
        "target": cfg.target,
        "weather_mode": weather_mode,
        "weather_draws": cfg.draws(weather_mode),
    }
    if calibration is not None:
        payload["calibration"] = calibration
    return json.dumps(payload)


def _progress_bar() -> Progress:
    """A transient rich progress bar on stderr, shown only on a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


@contextmanager
def progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on a terminal (stderr), silent otherwise; yields
    `advance(done, total)`."""
    bar = _progress_bar()
    bar.start()
    task = bar.add_task(description, total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    try:
        yield advance
    finally:
        bar.stop()


@contextmanager
def stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar whose description follows the job's stage (stderr, terminals);
    yields `update(stage, done, total)`."""
    bar = _progress_bar()
    task = bar.add_task("starting", total=None)
    bar.start()

    def update(stage: str, done: int, total: int) -> None:
        bar.update(task, description=stage, completed=done, total=total)

    try:
        yield update
    finally:
        bar.stop()


def print_train_result(result: TrainResult) -> None:
    """Per target: the models by gate score, the winner and where its alias went; then
    where the runs are."""
    mode, metric = result.gate_weather_mode, result.gate_metric
    for target, tr in result.targets.items():
        rows = []
        for run in sorted(tr.runs, key=lambda r: r.gate_score):
            cells = [
                f"{run.metrics.get(f'{mode}/{k}', float('nan')):.3f}" for k in TRAIN_TABLE_METRICS
            ]
            name = f"[bold]{run.model}[/] (winner)" if run.model == tr.winner else run.model
            rows.append([name, f"{run.gate_score:.3f}", *cells])
        title = f"{result.experiment_name}: {target} (backtest, {mode} weather)"
        headers = ["model", f"gate: {metric}", *TRAIN_TABLE_METRICS]
        console.print(numbers_table(title, headers, rows))
        d = tr.decision
        if d is not None:
            versus = (
                f"; champion v{d.champion_version}: {d.champion_score:.3f}"
                if d.champion_version and d.champion_score is not None
                else ""
            )
            console.print(
                f"{d.registered_name} v{d.version} → [bold]{d.alias}[/] ({d.reason}{versus})",
                highlight=False,
            )
    _print_runs_location(result.tracking_uri)


def _print_runs_location(uri: str) -> None:
    from forecasting.tracking import DEFAULT_TRACKING_URI

    if uri == DEFAULT_TRACKING_URI:
        console.print(
            f"Runs in {uri}: see them with `mlflow ui --backend-store-uri {uri}`",
            highlight=False,
        )
    else:
        console.print(f"Runs in {uri}", highlight=False)


def print_retrain(outcome: RetrainResult) -> None:
    """What a retrain did: the vintage's changes and the weather lag, then nothing new or
    the training job's result with the backtest window it used."""
    if outcome.vintage is not None:
        console.print(f"Arrivals: {outcome.vintage.describe()}.", highlight=False)
    warning = (outcome.weather_lag or {}).get("warning")
    if warning:
        err_console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    if outcome.window is not None:
        console.print(f"Backtest window: {outcome.window['reason']}.", highlight=False)
    if outcome.status == "skipped":
        console.print(f"Nothing new: {outcome.reason}.", highlight=False)
        return
    console.print(f"Retrained: {outcome.reason}.", highlight=False)
    assert outcome.train is not None
    print_train_result(outcome.train)


def print_fetched(fetched: Fetched) -> None:
    """One line per fetched source: new (written where) or unchanged (already where), or
    skipped (why)."""
    what = "Home Office time series" if fetched.source == "arrivals" else fetched.source
    if fetched.source == "weather":
        what = "Weather" + (f" {fetched.path.name}" if fetched.path is not None else "")
    if fetched.publication:
        what += f" published {fetched.publication}"
    data = f" (data to {fetched.last_day})" if fetched.last_day else ""
    if fetched.status == "new":
        text = f"New: {what}{data}, written to {fetched.path}"
    elif fetched.status == "unchanged":
        text = f"Unchanged: {what}{data}, already in {fetched.path}"
    else:
        text = f"{fetched.status.capitalize()}: {what}: {fetched.note or fetched.error or ''}"
    console.print(text, highlight=False, soft_wrap=True)


def fetched_json(fetched: Fetched, **extra: Any) -> str:
    """The one JSON line of `crossings fetch-arrivals --json` and `fetch-weather --provider
    knmi --json`: source, status, path, publication, last_day, url (and `extra`)."""
    return json.dumps({"source": fetched.source, **fetched.as_dict(), **extra}, sort_keys=True)


__all__ = [
    "backtest_json",
    "console",
    "err_console",
    "fetched_json",
    "numbers_table",
    "print_backtest",
    "print_error",
    "print_fetched",
    "print_ingest",
    "print_retrain",
    "print_train_result",
    "progress",
    "stage_progress",
]
