"""Experiment configs: the shipped YAML files load, and every mistake names its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from forecasting.contract import DEFAULT_WEATHER_DRAWS, MAX_HORIZON, TARGETS, WEATHER_MODES
from forecasting.errors import ConfigError
from forecasting.training.config import (
    GATE_METRICS,
    check_data,
    list_configs,
    load_config,
    parse_config,
)
from tests.synthetic import generate_series

ROOT = Path(__file__).resolve().parents[3]


def base(**over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "targets": ["people"],
        "models": {"hurdle": {"history_days": 500}, "climatology": None},
        "backtest": {"n_origins": 3, "n_samples": 50},
    }
    cfg.update(over)
    return cfg


def write(tmp_path: Path, data: dict[str, Any], name: str = "exp.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.mark.parametrize("path", list_configs(ROOT / "experiments"), ids=lambda p: p.name)
def test_shipped_configs_are_valid(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.name == path.stem
    assert cfg.gate.weather_mode in cfg.backtest.weather_modes


def test_shipped_configs_exist() -> None:
    names = {p.stem for p in list_configs(ROOT / "experiments")}
    assert {"default", "baselines"} <= names
    default = load_config(ROOT / "experiments/default.yaml")
    assert default.registry.register_winner
    # The gate scores on honest forecast weather: K issued forecasts per origin.
    assert default.gate.weather_mode == "forecast"
    assert default.backtest.weather_draws == DEFAULT_WEATHER_DRAWS
    assert not load_config(ROOT / "experiments/baselines.yaml").registry.register_winner


def test_valid_config_defaults_and_name_from_file(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, base(), "my-exp.yaml"))
    assert cfg.name == "my-exp"
    assert cfg.experiment_name == "crossings-my-exp"
    assert cfg.models["climatology"] == {}
    assert cfg.gate.metric == "crps" and cfg.gate.weather_mode == "forecast"
    assert cfg.registered_name("people") == "channel-crossings-people"
    assert cfg.sha256() == load_config(tmp_path / "my-exp.yaml").sha256()


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"models": {"hurdel": {}}}, "models.hurdel: unknown model"),
        ({"models": {"hurdle": {"history_dayz": 3}}}, "models.hurdle.history_dayz: unknown hyper"),
        ({"models": {"hurdle": {"history_days": "long"}}}, "models.hurdle.history_days: bad value"),
        ({"models": {"hurdle": {"history_days": True}}}, "models.hurdle.history_days: bad value"),
        ({"models": {"hurdle": {"target": "boats"}}}, "models.hurdle.target:"),
        ({"models": {}}, "models:"),
        ({"targets": ["migrants"]}, "targets.0:"),
        ({"targets": []}, "targets:"),
        ({"backtest": {"n_origins": 3, "horizon": 30}}, "backtest.horizon:"),
        ({"backtest": {"n_origins": 3, "n_samples": 5}}, "backtest.n_samples:"),
        ({"backtest": {"n_origins": 3, "stepp": 7}}, "backtest.stepp:"),
        ({"backtest": {"n_origins": 3, "start": "2024-01-01"}}, "backtest: give exactly one"),
        ({"backtest": {"n_origins": 3, "weather_modes": ["sunny"]}}, "backtest.weather_modes.0:"),
        (
            {"backtest": {"n_origins": 3, "weather_draws": 0}},
            "backtest.weather_draws: give at least 1 issued weather forecast per origin",
        ),
        ({"backtest": {"n_origins": 3, "weather_draws": "many"}}, "backtest.weather_draws:"),
        ({"gate": {"metric": "coverage_80"}}, "gate.metric:"),
        ({"gate": {"weather_mode": "observed"}}, "gate.weather_mode:"),
        ({"gate": {"min_improvement": -1}}, "gate.min_improvement:"),
        ({"registry": {"register": "maybe"}}, "registry.register:"),
        ({"extra_key": 1}, "extra_key:"),
    ],
)
def test_invalid_config_names_the_key(tmp_path: Path, change: dict[str, Any], key: str) -> None:
    path = write(tmp_path, base(**change))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: "), msg
    assert key in msg, msg


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("targets: [people\nmodels: {}\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(p)


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config("experiments/nope.yaml")


def test_tuple_hyperparameters_accept_yaml_lists() -> None:
    cfg = parse_config(base(name="t", models={"sarimax": {"order": [1, 0, 1]}}))
    assert cfg.models["sarimax"]["order"] == (1, 0, 1)


def test_window_latest_and_explicit() -> None:
    arrivals, _ = generate_series(900, seed=0)
    last = arrivals["date"].iloc[-1]
    cfg = parse_config(base(name="t"))
    start, end = cfg.window(arrivals)
    assert end == last - pd.Timedelta(days=6)
    assert start == end - pd.Timedelta(days=14)
    explicit = parse_config(base(name="t", backtest={"start": "2022-06-01", "end": "2022-07-01"}))
    assert explicit.window(arrivals) == (pd.Timestamp("2022-06-01"), pd.Timestamp("2022-07-01"))
    bt = explicit.backtest_config("people", arrivals)
    assert bt.models == ["hurdle", "climatology"]
    assert bt.model_params["hurdle"] == {"history_days": 500}
    assert bt.weather_draws == DEFAULT_WEATHER_DRAWS == 5
    three = parse_config(base(name="t", backtest={"n_origins": 3, "weather_draws": 3}))
    assert three.backtest_config("people", arrivals).weather_draws == 3
    assert three.sha256() != parse_config(base(name="t")).sha256()


def test_check_data_names_the_key() -> None:
    arrivals, weather = generate_series(900, seed=0)
    check_data(parse_config(base(name="t")), arrivals, weather)
    late = parse_config(base(name="t", backtest={"start": "2022-06-01", "end": "2030-01-01"}))
    with pytest.raises(ConfigError, match=r"backtest\.end: the last origin"):
        check_data(late, arrivals, weather)
    early = parse_config(base(name="t", backtest={"start": "2021-02-01", "end": "2022-01-01"}))
    with pytest.raises(ConfigError, match=r"backtest\.start: .* under 400 days"):
        check_data(early, arrivals, weather)
    with pytest.raises(ConfigError, match=r"models\.hurdle: needs weather variable 'gust_max_ms'"):
        check_data(parse_config(base(name="t")), arrivals, weather.drop(columns=["gust_max_ms"]))
    # Weather ending before the arrivals: `end: latest` backtests up to where it ends ...
    short = weather.iloc[:-30]
    latest = parse_config(base(name="t"))
    check_data(latest, arrivals, short)
    w = latest.resolved_window(arrivals, short)
    assert w.limited_by == "weather"
    assert w.last_scored_day == short["date"].iloc[-1]
    assert w.state_only_days == (arrivals["date"].iloc[-1] - short["date"].iloc[-1]).days > 0
    assert f"weather ends {short['date'].iloc[-1].date()}" in w.reason()
    # ... climatology-only backtests ignore the weather's end ...
    clim = parse_config(
        base(
            name="t",
            backtest={"n_origins": 3, "weather_modes": ["climatology"]},
            gate={"weather_mode": "climatology"},
        )
    )
    assert clim.resolved_window(arrivals, short).limited_by == "arrivals"
    # ... and a config that insists on an end the weather cannot support is an error.
    end = (arrivals["date"].iloc[-1] - pd.Timedelta(days=6)).date().isoformat()
    insist = parse_config(base(name="t", backtest={"start": "2022-06-01", "end": end}))
    with pytest.raises(ConfigError, match=r"backtest\.weather_modes: .*need observed weather"):
        check_data(insist, arrivals, short)


def test_limits_come_from_the_contract() -> None:
    at_limit = {"n_origins": 3, "horizon": MAX_HORIZON}
    cfg = parse_config(base(name="t", backtest=at_limit, forecast={"horizon": MAX_HORIZON}))
    assert cfg.backtest.horizon == cfg.forecast.horizon == MAX_HORIZON
    over = {"n_origins": 3, "horizon": MAX_HORIZON + 1}
    with pytest.raises(ConfigError, match=r"backtest\.horizon: .* less than or equal to"):
        parse_config(base(name="t", backtest=over))
    with pytest.raises(ConfigError, match=r"forecast\.horizon: .* less than or equal to"):
        parse_config(base(name="t", forecast={"horizon": MAX_HORIZON + 1}))
    modes = {"n_origins": 3, "weather_modes": list(WEATHER_MODES)}
    everything = parse_config(base(name="t", targets=list(TARGETS), backtest=modes))
    assert tuple(everything.backtest.weather_modes) == WEATHER_MODES
    for metric in GATE_METRICS:
        assert parse_config(base(name="t", gate={"metric": metric})).gate.metric == metric
