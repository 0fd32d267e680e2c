"""The registered model: an MLflow pyfunc wrapping one fitted forecaster plus its metadata.

`mlflow.pyfunc.load_model(uri).predict(frame)` takes a frame of future dates (``date``) with
the weather the forecaster needs on those days and returns per-day median, mean, P(any
crossing) and 50/80/95% bands. The forecast is made by `forecasting.issuing.issue_forecast`,
the function the backtest, the training job and the API use: the caller's weather is a
scenario forecast issued on the first date, so the sample paths spread around it with the
weather error model by lead (param ``weather_uncertainty`` = ``"forecast"``, the default, as
the API's POST), or take it exactly (``"none"``). Programs that want the sample paths
themselves (the API) call ``load_model(uri).unwrap_python_model()`` and use `.forecaster`,
`.metadata`, `.history` or `.forecast(frame)`.

The forecaster is pickled with the model by reference to its class, so `forecasting` must be
importable where the model is loaded. It is: the package's code ships with the model
(`code_paths`), and `pip_requirements` pins what that code imports, so the model also loads in
a fresh environment (``mlflow models serve --env-manager virtualenv``). Where the package is
installed (the API), the installed code is used.
"""

from __future__ import annotations

import logging
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc.model import PythonModel

import forecasting
from forecasting import schema
from forecasting.contract import (
    DEFAULT_HORIZON,
    DEFAULT_LEVELS_PCT,
    MAX_HORIZON,
    WEATHER_UNCERTAINTIES,
    WeatherUncertainty,
    band_cols,
)
from forecasting.errors import InputError
from forecasting.forecast import Forecast
from forecasting.issuing import IssuedForecast, IssueSpec, issue_forecast
from forecasting.models.base import Model
from forecasting.weather.future import WeatherInputs
from forecasting.weather.history import WeatherHistory

log = logging.getLogger(__name__)

LEVELS_PCT = DEFAULT_LEVELS_PCT
OUTPUT_COLUMNS = (schema.DATE, "median", "mean", "p_any", *band_cols(LEVELS_PCT))
DEFAULT_N_SAMPLES = 1000
DEFAULT_SEED = 0
MIN_N_SAMPLES, MAX_N_SAMPLES = 10, 100_000
# How the caller's weather is taken: as a forecast issued on the first date, spread by lead
# with the weather error model ("forecast"), or exactly ("none"); as the API's POST.
WEATHER_UNCERTAINTY = WEATHER_UNCERTAINTIES
DEFAULT_WEATHER_UNCERTAINTY: WeatherUncertainty = "forecast"

PROJECT_DIST = "channel-crossings"
# The libraries a fitted forecaster's state depends on: pinned in the model's requirements
# and recorded (with the project's version) in its metadata.
FORECASTER_PACKAGES = ("pandas", "numpy", "scipy", "statsmodels")
# What loading and serving the pyfunc needs besides them.
MLFLOW = "mlflow"
# (The shipped `forecasting.tracking` package reads its settings with pydantic-settings.)
SERVING_PACKAGES = ("cloudpickle", "pyarrow", "pydantic-settings")
PROPHET = "prophet"


class CrossingsModel(PythonModel):
    """A fitted forecaster with what a consumer needs to trust and use it.

    `metadata` holds: model_name, target, params, trained_at, data_vintage,
    manifest_sha256, weather_source, weather_location (and, since issue 14, weather_provider,
    weather_lat, weather_lon: `WeatherSource.metadata`), last_date, weather_variables,
    backtest_metrics (the gate weather mode's summary), gate (metric, weather mode, score,
    backtest window) and the experiment config's name. `history` is the tail of the
    target series (date, value), for plotting context.
    """

    def __init__(self, forecaster: Model, metadata: dict[str, Any], history: pd.DataFrame) -> None:
        if not getattr(forecaster, "fitted_", False):
            raise ValueError("CrossingsModel needs a fitted forecaster")
        self._forecaster = forecaster
        self._metadata = dict(metadata)
        self._metadata.setdefault("model_name", forecaster.name)
        self._metadata.setdefault("target", forecaster.target)
        self._metadata.setdefault("last_date", forecaster.last_date_.date().isoformat())
        self._metadata.setdefault("weather_variables", list(forecaster.weather_variables))
        self._metadata.setdefault("library_versions", library_versions())
        self._history = history.reset_index(drop=True)

    def load_context(self, context: Any) -> None:
        """On load, warn when the libraries the forecaster uses differ from those it was
        saved with (prophet counts for prophet models only)."""
        saved = self._metadata.get("library_versions", {})
        now = library_versions()
        used = {PROJECT_DIST, *_model_packages(str(self._metadata.get("model_name", "")))}
        changed = {k: (v, now.get(k)) for k, v in saved.items() if k in used and now.get(k) != v}
        if changed:
            log.warning(
                "%s was saved with other library versions (saved, now): %s",
                self._metadata.get("model_name"),
                changed,
            )

    # -- what the API uses -------------------------------------------------------------
    @property
    def forecaster(self) -> Model:
        """The fitted forecaster (call `.predict(horizon, FutureWeather, n, seed)`)."""
        return self._forecaster

    @property
    def metadata(self) -> dict[str, Any]:
        """Provenance and backtest metrics (a copy)."""
        return dict(self._metadata)

    @property
    def history(self) -> pd.DataFrame:
        """The last observed days of the target: columns date and the target name."""
        return self._history.copy()

    @property
    def first_forecast_day(self) -> pd.Timestamp:
        """The only day a forecast may start: the day after the last training day."""
        return pd.Timestamp(self._forecaster.last_date_) + pd.Timedelta(days=1)

    @property
    def weather_variables(self) -> tuple[str, ...]:
        """The weather columns `predict` needs besides `date` (empty if weather-blind)."""
        return tuple(self._forecaster.weather_variables)

    def forecast(
        self,
        frame: pd.DataFrame,
        n_samples: int = DEFAULT_N_SAMPLES,
        seed: int = DEFAULT_SEED,
        weather_uncertainty: str = DEFAULT_WEATHER_UNCERTAINTY,
    ) -> Forecast:
        """Sample paths for the days in `frame` (date + weather columns), checked first."""
        return self.issue(frame, n_samples, seed, weather_uncertainty).forecast

    def issue(
        self,
        frame: pd.DataFrame,
        n_samples: int = DEFAULT_N_SAMPLES,
        seed: int = DEFAULT_SEED,
        weather_uncertainty: str = DEFAULT_WEATHER_UNCERTAINTY,
    ) -> IssuedForecast:
        """The forecast for the days in `frame`, issued on its first date with
        `issue_forecast`: the frame's weather is a scenario forecast issued that day, spread
        by lead unless `weather_uncertainty` is "none". The model forecasts from its own
        fitted state (the day after its last training day)."""
        if weather_uncertainty not in WEATHER_UNCERTAINTY:
            raise InputError(
                f"weather_uncertainty must be one of {', '.join(WEATHER_UNCERTAINTY)}, "
                f"got {weather_uncertainty!r}",
                hint='"forecast" spreads the weather by lead like a weather forecast; "none" '
                "takes it exactly",
            )
        dates, weather = self._check_input(frame)
        spec = IssueSpec(dates[0], len(dates), None, n_samples, seed, "forecast")
        requested = None
        if weather is not None:
            rows = weather.set_index(schema.DATE)
            requested = {ts.date(): rows.loc[ts].to_dict() for ts in rows.index}
        inputs = WeatherInputs(requested=requested, uncertainty=weather_uncertainty != "none")
        state = pd.DataFrame({schema.DATE: [pd.Timestamp(self._forecaster.last_date_)]})
        return issue_forecast(self._forecaster, state, self._no_weather(), spec, inputs)

    def _no_weather(self) -> WeatherHistory:
        """An empty observed-weather snapshot: the caller's frame is all the weather."""
        columns = {c: pd.Series(dtype=float) for c in self.weather_variables}
        return WeatherHistory(pd.DataFrame({schema.DATE: pd.DatetimeIndex([]), **columns}))

    # -- pyfunc ------------------------------------------------------------------------
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Per-day median, mean, p_any and ``lo-L``/``hi-L`` bands at the default levels
        (50/80/95%) for the input dates.

        `params` may set ``n_samples`` (default 1000), ``seed`` (default 0) and
        ``weather_uncertainty`` ("forecast", the default, or "none").
        """
        p = params or {}
        n_samples = int(p.get("n_samples") or DEFAULT_N_SAMPLES)
        seed_param = p.get("seed")
        seed = DEFAULT_SEED if seed_param is None else int(seed_param)
        if not MIN_N_SAMPLES <= n_samples <= MAX_N_SAMPLES:
            raise InputError(
                f"n_samples must be between {MIN_N_SAMPLES} and {MAX_N_SAMPLES}, got {n_samples}"
            )
        uncertainty = str(p.get("weather_uncertainty") or DEFAULT_WEATHER_UNCERTAINTY)
        fc = self.forecast(pd.DataFrame(model_input), n_samples, seed, uncertainty)
        return summarise(fc)

    # -- checks ------------------------------------------------------------------------
    def _check_input(self, frame: pd.DataFrame) -> tuple[pd.DatetimeIndex, pd.DataFrame | None]:
        if schema.DATE not in frame.columns:
            raise InputError(
                "the input needs a 'date' column", column=schema.DATE, hint=self._hint()
            )
        try:
            dates = pd.DatetimeIndex(pd.to_datetime(frame[schema.DATE])).normalize()
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"'date' values are not dates ({exc})", column=schema.DATE, hint=self._hint()
            ) from exc
        if dates.tz is not None:
            dates = dates.tz_localize(None)
        if len(dates) == 0:
            raise InputError("the input has no rows", hint=self._hint())
        if len(dates) > MAX_HORIZON:
            raise InputError(
                f"at most {MAX_HORIZON} days can be forecast, got {len(dates)}", hint=self._hint()
            )
        expected = pd.date_range(self.first_forecast_day, periods=len(dates), freq="D")
        if not dates.equals(expected):
            raise InputError(
                f"dates must be consecutive days starting {expected[0].date()}, the day after "
                f"the model's last training day; got {dates[0].date()}..{dates[-1].date()}",
                column=schema.DATE,
                hint=self._hint(),
            )
        needed = self.weather_variables
        if not needed:
            return expected, None
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InputError(
                f"the input lacks weather column(s) {missing}",
                column=missing[0],
                hint=self._hint(),
            )
        weather = pd.DataFrame({schema.DATE: expected})
        for col in needed:
            values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
            if np.isnan(values).any():
                day = expected[int(np.flatnonzero(np.isnan(values))[0])].date()
                raise InputError(
                    f"weather column '{col}' has no number on {day}", row=str(day), column=col
                )
            weather[col] = values
        return expected, weather

    def _hint(self) -> str:
        cols = ", ".join([schema.DATE, *self.weather_variables])
        return (
            f"Send columns {cols} for consecutive days from {self.first_forecast_day.date()} "
            f"(at most {MAX_HORIZON})"
        )


def library_versions() -> dict[str, str]:
    """Versions of the packages a saved forecaster depends on (saved with every model).

    The project's own version comes from its installed distribution, else (the model's
    shipped code in a fresh environment) from `forecasting.__version__`."""
    out = {}
    for dist in (PROJECT_DIST, *FORECASTER_PACKAGES, PROPHET):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            if dist == PROJECT_DIST:
                out[dist] = forecasting.__version__
    return out


def pip_requirements(model_name: str) -> list[str]:
    """The pinned requirements written with the pyfunc: what its code imports when loaded
    and predicting (prophet only for prophet models), at the versions installed now."""
    extra = [p for p in _model_packages(model_name) if p not in FORECASTER_PACKAGES]
    pkgs = [MLFLOW, *FORECASTER_PACKAGES, *SERVING_PACKAGES, *extra]
    out = []
    for p in pkgs:
        try:
            out.append(f"{p}=={importlib_metadata.version(p)}")
        except importlib_metadata.PackageNotFoundError:
            out.append(p)
    return out


def _model_packages(model_name: str) -> tuple[str, ...]:
    """The libraries a forecaster of family `model_name` uses (prophet for prophet models)."""
    if model_name.startswith(PROPHET):
        return (*FORECASTER_PACKAGES, PROPHET)
    return FORECASTER_PACKAGES


def code_paths() -> list[str]:
    """The project code shipped with the model: the `forecasting` package folder."""
    return [str(Path(forecasting.__file__).resolve().parent)]


def summarise(fc: Forecast) -> pd.DataFrame:
    """A Forecast as the pyfunc output frame (date, median, mean, p_any, lo-L/hi-L)."""
    frame = fc.to_frame(LEVELS_PCT)
    out = pd.DataFrame({schema.DATE: pd.DatetimeIndex(fc.dates)})
    out["median"] = frame["median"].to_numpy(dtype=float)
    out["mean"] = frame["mean"].to_numpy(dtype=float)
    out["p_any"] = frame["p_any"].to_numpy(dtype=float)
    for col in band_cols(LEVELS_PCT):
        out[col] = frame[col].to_numpy(dtype=float)
    return out.loc[:, list(OUTPUT_COLUMNS)]


def input_example(model: CrossingsModel, weather: pd.DataFrame | None) -> pd.DataFrame:
    """An input frame for the days right after training: one row per day of `weather`
    (canonical columns, one row per day; DEFAULT_HORIZON days if None), holding ``date`` and
    the weather columns the model needs. Weather-aware models need `weather`."""
    days = len(weather) if weather is not None else DEFAULT_HORIZON
    dates = pd.date_range(model.first_forecast_day, periods=days, freq="D")
    frame = pd.DataFrame({schema.DATE: dates})
    if model.weather_variables:
        if weather is None:
            raise ValueError("a weather-aware model needs weather for its input example")
        w = weather.set_index(schema.DATE).reindex(dates)
        for col in model.weather_variables:
            frame[col] = w[col].to_numpy(dtype=float)
    return frame


__all__ = [
    "DEFAULT_WEATHER_UNCERTAINTY",
    "OUTPUT_COLUMNS",
    "WEATHER_UNCERTAINTY",
    "CrossingsModel",
    "code_paths",
    "input_example",
    "library_versions",
    "pip_requirements",
    "summarise",
]
