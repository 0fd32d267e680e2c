"""Peer benchmark (issue 22): the project's models beside the peers a data scientist would build.

Reproduce benchmarks/PEERS.md and benchmarks/peers_results.json with:

    .venv/bin/pip install -c requirements-lock.txt -e '.[peers]'
    .venv/bin/python benchmarks/peers.py            # --target boats for boats

The protocol is the published backtest's honest one: weekly origins 2025-01-06..2026-05-07,
horizon 7, forecast weather mode with K = 5 issued forecasts per origin. The project's models
(hurdle, climatology) come from `run_backtest`; every peer forecasts from the very same issued
forecasts, built with `build_future_weather` and `WeatherStreams(seed, origin, "forecast",
draw)` exactly as `forecasting/evaluation/backtest.py` builds them, and is scored with the same
`metrics.score_forecasts`. Peers (benchmarks/peers_models.py) are refit every 28 days on data
strictly before the refit origin and take their state from data strictly before each origin.
The paired differences (hurdle minus peer, mean CRPS per origin) get a moving-block bootstrap
90% interval (blocks of 4 weeks).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from forecasting import schema
from forecasting.adapters import read_arrivals, read_weather
from forecasting.contract import DEFAULT_WEATHER_DRAWS
from forecasting.evaluation import metrics
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.settings import default_arrivals_file, default_weather_file, get_settings
from forecasting.weather.future import WeatherInputs, WeatherStreams, build_future_weather
from forecasting.weather.history import WeatherHistory

if __package__:
    from .peers_models import WEATHER, LgbTwoPart, Zinb, forecast_design, training_set
else:  # run as a script: benchmarks/ is first on sys.path
    from peers_models import WEATHER, LgbTwoPart, Zinb, forecast_design, training_set

HERE = Path(__file__).resolve().parent
OWN_MODELS = ("hurdle", "climatology")
CHAMPION = "hurdle"
REFIT_DAYS = 28
BLOCK_WEEKS = 4
SCORE_COLS = ["crps", "brier", "covered_80"]
PEERS: dict[str, Any] = {"lightgbm_two_part": LgbTwoPart, "zinb_glm": Zinb}


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    src = get_settings().source_dir
    p.add_argument("--arrivals", type=Path, default=default_arrivals_file(src))
    p.add_argument("--weather", type=Path, default=default_weather_file(src))
    p.add_argument("--start", default="2025-01-06")
    p.add_argument("--end", default="2026-05-07")
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--weather-draws", type=int, default=DEFAULT_WEATHER_DRAWS)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--target", default="people", choices=("people", "boats"))
    p.add_argument("--peers", default=",".join(PEERS))
    p.add_argument("--boot", type=int, default=2000, help="bootstrap resamples")
    p.add_argument("--out", type=Path, default=HERE)
    return p.parse_args()


def config(args: argparse.Namespace) -> BacktestConfig:
    """The project's side: hurdle and climatology, forecast weather mode only."""
    return BacktestConfig(
        models=list(OWN_MODELS),
        start=args.start,
        end=args.end,
        step=7,
        horizon=7,
        target=args.target,
        weather_modes=("forecast",),
        n_samples=args.samples,
        seed=args.seed,
        n_jobs=args.jobs,
        weather_draws=args.weather_draws,
    )


def issued_weather(
    weather: pd.DataFrame, origin: pd.Timestamp, cfg: BacktestConfig
) -> list[np.ndarray]:
    """The K issued forecasts of one origin, as the backtest builds them (same history table,
    same columns, same streams): each draw's centre over the horizon, days × WEATHER."""
    dates = pd.date_range(origin, periods=cfg.horizon, freq="D")
    w_dates = weather[schema.DATE]
    before = weather.loc[w_dates < origin]
    future = weather.loc[(w_dates >= origin) & (w_dates < dates[-1] + pd.Timedelta(days=1))]
    wx = WeatherHistory(pd.concat([before, future], ignore_index=True))
    inputs = WeatherInputs(issued=None, error_model=cfg.error_model)
    columns = tuple(c for c in schema.WEATHER_COLUMNS if c in wx.rows.columns)
    pick = [columns.index(c) for c in WEATHER]
    out = []
    for draw in range(cfg.draws("forecast")):
        streams = WeatherStreams(cfg.seed, origin, "forecast", draw)
        fw = build_future_weather(columns, dates, streams, wx, cfg.n_samples, inputs)
        assert fw.centre is not None
        out.append(fw.centre[:, pick])
    return out


def _score(
    name: str, samples: np.ndarray, actual: np.ndarray, origin: pd.Timestamp, draw: int, seed: int
) -> pd.DataFrame:
    """One forecast's per-lead scores (the backtest's scoring code)."""
    rng = WeatherStreams(seed, origin, "forecast", draw).pit(name)
    scores = metrics.score_forecasts(samples.T, actual, 1.0, rng=rng)
    frame = scores[SCORE_COLS].copy()
    frame.insert(0, "lead", np.arange(1, len(actual) + 1))
    frame.insert(0, "weather_draw", draw)
    frame.insert(0, "origin", origin)
    frame.insert(0, "model", name)
    return frame


def peer_block(
    name: str,
    origins: list[pd.Timestamp],
    arrivals: pd.DataFrame,
    weather: pd.DataFrame,
    cfg: BacktestConfig,
) -> tuple[list[pd.DataFrame], float]:
    """Fit peer `name` once on data before the block's first origin, then forecast and score
    every origin of the block in every weather draw; the frames and the fit seconds."""
    first = origins[0]
    a_dates = arrivals[schema.DATE]
    t0 = time.perf_counter()
    x, y = training_set(
        arrivals.loc[a_dates < first],
        weather.loc[weather[schema.DATE] < first],
        cfg.target,
        cfg.error_model,
    )
    model = PEERS[name]().fit(x, y)
    fit_seconds = time.perf_counter() - t0
    frames = []
    for origin in origins:
        history = arrivals.loc[a_dates < origin]
        dates = pd.date_range(origin, periods=cfg.horizon, freq="D")
        actual = arrivals.set_index(schema.DATE).loc[dates, cfg.target].to_numpy(dtype=float)
        for draw, centre in enumerate(issued_weather(weather, origin, cfg)):
            xf = forecast_design(history, dates, centre, cfg.target)
            rng = WeatherStreams(cfg.seed, origin, "forecast", draw).predict(name)
            samples = model.sample(xf, cfg.n_samples, rng)
            frames.append(_score(name, samples, actual, origin, draw, cfg.seed))
    return frames, fit_seconds


def run_peers(
    names: list[str], arrivals: pd.DataFrame, weather: pd.DataFrame, cfg: BacktestConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every peer over every origin, refit every REFIT_DAYS days; rows and fit times."""
    origins = list(cfg.origins)
    per_block = max(1, REFIT_DAYS // cfg.step)
    blocks = [origins[i : i + per_block] for i in range(0, len(origins), per_block)]
    jobs = [delayed(peer_block)(n, b, arrivals, weather, cfg) for n in names for b in blocks]
    results = Parallel(n_jobs=cfg.n_jobs)(jobs)
    frames = [f for fs, _ in results for f in fs]
    keys = [n for n in names for _ in blocks]
    fits = pd.DataFrame({"model": keys, "fit_seconds": [seconds for _, seconds in results]})
    return pd.concat(frames, ignore_index=True), fits


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean CRPS, ÷ climatology, Brier of P(any) and 80% coverage per model, best first."""
    table = rows.groupby("model")[SCORE_COLS].mean()
    table["covered_80"] = table["covered_80"].astype(float)
    table.insert(1, "crps_vs_climatology", table["crps"] / table.loc["climatology", "crps"])
    table["n_forecasts"] = rows.groupby("model").size()
    return table.rename(columns={"covered_80": "coverage_80"}).sort_values("crps")


def block_bootstrap(
    diff: np.ndarray, block: int, n_boot: int, rng: np.random.Generator, level: float = 0.9
) -> tuple[float, float]:
    """Moving-block bootstrap percentile interval of the mean of `diff` (a series in time)."""
    n = len(diff)
    block = min(block, n)
    n_blocks = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_boot, -1)[:, :n]
    means = diff[idx].mean(axis=1)
    tail = (1 - level) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(lo), float(hi)


def paired(rows: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    """Champion minus each other model: mean CRPS per origin, its mean and 90% interval."""
    per_origin = rows.groupby(["model", "origin"])["crps"].mean().unstack("model").sort_index()
    out = []
    for name in per_origin.columns.drop(CHAMPION):
        diff = (per_origin[CHAMPION] - per_origin[name]).to_numpy()
        lo, hi = block_bootstrap(diff, BLOCK_WEEKS, n_boot, np.random.default_rng(seed))
        verdict = "champion better" if hi < 0 else "peer better" if lo > 0 else "no clear winner"
        out.append(
            {
                "model": name,
                "mean_diff": float(diff.mean()),
                "lo90": lo,
                "hi90": hi,
                "origins": len(diff),
                "verdict": verdict,
            }
        )
    return pd.DataFrame(out).sort_values("mean_diff")


def _fmt_table(table: pd.DataFrame) -> str:
    lines = [
        "| model | CRPS | ÷ climatology | Brier P(any) | 80% coverage | forecasts |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in table.iterrows():
        lines.append(
            f"| {name} | {r['crps']:.4f} | {r['crps_vs_climatology']:.3f} | {r['brier']:.4f} "
            f"| {r['coverage_80']:.3f} | {int(r['n_forecasts'])} |"
        )
    return "\n".join(lines)


def _fmt_paired(pairs: pd.DataFrame) -> str:
    lines = [
        f"| {CHAMPION} minus | mean ΔCRPS per origin | 90% interval | verdict |",
        "|---|---:|---|---|",
    ]
    for _, r in pairs.iterrows():
        lines.append(
            f"| {r['model']} | {r['mean_diff']:+.4f} | [{r['lo90']:+.4f}, {r['hi90']:+.4f}] "
            f"| {r['verdict']} |"
        )
    return "\n".join(lines)


def _lgb_sentence(pairs: pd.DataFrame) -> str:
    row = pairs.set_index("model").loc["lightgbm_two_part"]
    span = f"(ΔCRPS {row['mean_diff']:+.4f}, 90% interval [{row['lo90']:+.4f}, {row['hi90']:+.4f}])"
    if row["hi90"] < 0:
        return f"**The champion hurdle beats LightGBM** {span}: the whole interval is below 0."
    if row["lo90"] > 0:
        return f"**LightGBM beats the champion hurdle** {span}: the whole interval is above 0."
    return f"**The champion hurdle does not clearly beat LightGBM** {span}: the interval spans 0."


def markdown(args: argparse.Namespace, cfg: BacktestConfig, meta: dict[str, Any]) -> str:
    """The PEERS page."""
    table, pairs = meta["table"], meta["pairs"]
    suffix = "" if args.target == "people" else f" --target {args.target}"
    lgb = _lgb_sentence(pairs) if "lightgbm_two_part" in set(pairs["model"]) else ""
    return f"""# Peer benchmark ({args.target})

Reproduce (about {meta["wall"] / 60:.0f} minutes on 2 cores):

    .venv/bin/pip install -c requirements-lock.txt -e '.[peers]'
    .venv/bin/python benchmarks/peers.py{suffix}

Protocol: {len(cfg.origins)} weekly origins {cfg.origins[0].date()}..{cfg.origins[-1].date()}, \
horizon {cfg.horizon}, target {cfg.target}, forecast weather mode with K = \
{cfg.weather_draws} issued forecasts per origin, {cfg.n_samples} sample paths, seed {cfg.seed}. \
The project's models come from `run_backtest`; the peers forecast from the same issued \
forecasts (`build_future_weather` with `WeatherStreams(seed, origin, "forecast", draw)`) and \
are scored by the same `metrics.score_forecasts`. Peers are refit every {REFIT_DAYS} days on \
data strictly before the refit origin (their series state comes from data strictly before each \
origin), trained as served (observed weather through the forecast error model at leads 1–7), \
untuned. Data: vintage {meta["vintage"]}; wall time {meta["wall"]:.0f} s.

- `lightgbm_two_part`: LightGBM classifier for P(any) + LightGBM quantile regressors \
(11 levels) of log(count) on crossing days; features: the target day's issued weather \
({", ".join(WEATHER)}), day of year, weekday, lead, blocked-day run, 28-day level, 56-day \
crossing-day size. Paths: Bernoulli(P(any)) × a size drawn from the interpolated quantiles.
- `zinb_glm`: statsmodels `ZeroInflatedNegativeBinomialP` (NB2) with weather hinges, \
direction, rain, annual Fourier terms, weekend and state terms; zero inflation on wind, \
gusts and state.
- statsforecast models: not run (time box).

## Scores (mean over origins × draws × leads, best first)

{_fmt_table(table)}

## Paired differences

Per origin, mean CRPS of {CHAMPION} minus the other model's (negative: {CHAMPION} better), \
averaged over the {len(cfg.origins)} origins; 90% moving-block bootstrap interval (blocks of \
{BLOCK_WEEKS} weeks, {args.boot} resamples).

{_fmt_paired(pairs)}

{lgb}
"""


def main() -> int:
    """Run the project's backtest and the peers, write PEERS.md and the JSON, print the table."""
    args = _args()
    logging.basicConfig(level=logging.WARNING)
    arrivals, weather = read_arrivals(args.arrivals), read_weather(args.weather)
    cfg = config(args)
    t0 = time.perf_counter()
    own = run_backtest(arrivals, weather, cfg).rows
    own_wall = time.perf_counter() - t0
    peer_rows, fits = run_peers(args.peers.split(","), arrivals, weather, cfg)
    wall = time.perf_counter() - t0
    rows = pd.concat([own[["model", "origin", "weather_draw", "lead", *SCORE_COLS]], peer_rows])
    table, pairs = summary(rows), paired(rows, args.boot, args.seed)
    meta = {"table": table, "pairs": pairs, "wall": wall, "vintage": arrivals.attrs.get("vintage")}
    suffix = "" if args.target == "people" else f"_{args.target}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"PEERS{suffix}.md").write_text(markdown(args, cfg, meta))
    payload = {
        "target": args.target,
        "origins": [str(o.date()) for o in cfg.origins],
        "weather_draws": cfg.weather_draws,
        "n_samples": cfg.n_samples,
        "wall_seconds": round(wall, 1),
        "own_backtest_seconds": round(own_wall, 1),
        "peer_fit_seconds_median": fits.groupby("model")["fit_seconds"].median().round(2).to_dict(),
        "summary": json.loads(table.reset_index().to_json(orient="records")),
        "paired": json.loads(pairs.to_json(orient="records")),
    }
    (args.out / f"peers_results{suffix}.json").write_text(json.dumps(payload, indent=2))
    print(table.round(4).to_string())
    print(pairs.round(4).to_string(index=False))
    print(f"wall {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
