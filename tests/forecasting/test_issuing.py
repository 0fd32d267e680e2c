"""`forecasting.issuing.issue_forecast`, the one forecast function behind the backtest, the
training job and the API, checked directly against its contract on seeded synthetic data.

A hurdle model is fitted once on 560 days (arrivals end D = 2022-07-14); the stored weather
runs 10 days past the arrivals, to D + 10, as a live service's weather file may.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from forecasting import models
from forecasting.contract import MAX_BRIDGE_DAYS, MAX_HORIZON
from forecasting.errors import InputError
from forecasting.issuing import CannotIssue, IssuedForecast, IssueSpec, issue_forecast
from forecasting.models.base import Model
from forecasting.weather.future import WeatherInputs
from forecasting.weather.history import WeatherHistory
from tests.synthetic import generate_series

FIT_DAYS = 560
WEATHER_AHEAD = 10
N = 64  # sample paths
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Case:
    arrivals: pd.DataFrame
    weather: pd.DataFrame
    history: WeatherHistory
    model: Model  # reads the weather
    blind: Model  # reads none
    end: pd.Timestamp  # D, the last arrivals day
    weather_end: pd.Timestamp  # D + WEATHER_AHEAD

    @property
    def t(self) -> pd.Timestamp:
        """The default issue date, the day after the arrivals."""
        return self.end + DAY

    def issue(
        self, spec: IssueSpec, model: Model | None = None, arrivals: pd.DataFrame | None = None
    ) -> IssuedForecast:
        return issue_forecast(
            self.model if model is None else model,
            self.arrivals if arrivals is None else arrivals,
            self.history,
            spec,
        )


@pytest.fixture(scope="module")
def case() -> Case:
    arrivals, weather = generate_series(FIT_DAYS + WEATHER_AHEAD, "2021-01-01", seed=3)
    arrivals = arrivals.iloc[:FIT_DAYS].reset_index(drop=True)
    fit_weather = weather.iloc[:FIT_DAYS]
    model = models.create("hurdle", target="people", history_days=365).fit(arrivals, fit_weather)
    blind = models.create("seasonal_naive", target="people").fit(arrivals, fit_weather)
    end = pd.Timestamp(arrivals["date"].iloc[-1])
    assert model.last_date_ == end and model.uses_weather and not blind.uses_weather
    return Case(
        arrivals,
        weather,
        WeatherHistory(weather, version="synthetic-3"),
        model,
        blind,
        end,
        pd.Timestamp(weather["date"].iloc[-1]),
    )


def _spec(t: pd.Timestamp, **kw: object) -> IssueSpec:
    return IssueSpec(issue_date=t, n_samples=N, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the asked days


@pytest.mark.parametrize(("offset", "horizon"), [(None, 7), (0, MAX_HORIZON), (3, 4), (13, 1)])
def test_asked_days_follow_the_spec(case: Case, offset: int | None, horizon: int) -> None:
    start = None if offset is None else case.t + offset * DAY
    f = case.issue(_spec(case.t, horizon=horizon, start=start))
    first = case.t + (offset or 0) * DAY
    assert list(f.forecast.dates) == list(pd.date_range(first, periods=horizon, freq="D"))
    assert f.forecast.samples.shape == (N, horizon)
    assert len(f.sources) == horizon
    assert f.lead_offset == (offset or 0)
    assert (f.data_end, f.bridged_days) == (case.end, 0)
    assert (f.forecast.target, f.forecast.model) == ("people", "hurdle")
    # The model simulates every day from the arrivals' end to the last asked day.
    assert f.weather is not None
    assert list(f.weather.dates) == list(pd.date_range(case.end + DAY, first + (horizon - 1) * DAY))


def test_the_issue_date_and_start_are_taken_as_days(case: Case) -> None:
    spec = IssueSpec(case.t + pd.Timedelta(hours=15, minutes=30), 3, case.t + pd.Timedelta(hours=1))
    assert (spec.issue_date, spec.first_day) == (case.t, case.t)
    assert case.issue(spec).forecast.dates[0] == case.t


@pytest.mark.parametrize("which", ["model", "blind"])
def test_samples_are_non_negative_whole_counts(case: Case, which: str) -> None:
    model = case.model if which == "model" else case.blind
    s = case.issue(_spec(case.t, horizon=MAX_HORIZON), model=model).forecast.samples
    assert np.isfinite(s).all() and (s >= 0).all()
    assert np.array_equal(s, np.round(s))
    assert s.max() > 0  # not a degenerate all-zero forecast


# --------------------------------------------------------------------------- the random streams


def test_the_seed_and_draw_fix_the_samples(case: Case) -> None:
    first = case.issue(_spec(case.t, seed=0))
    other_seed = case.issue(_spec(case.t, seed=1))
    other_draw = case.issue(_spec(case.t, draw=1))
    again = case.issue(_spec(case.t, seed=0))  # after the others: no shared state
    assert np.array_equal(first.forecast.samples, again.forecast.samples)
    assert first.weather is not None and again.weather is not None
    assert np.array_equal(first.weather.values, again.weather.values)
    assert not np.array_equal(first.forecast.samples, other_seed.forecast.samples)
    assert not np.array_equal(first.forecast.samples, other_draw.forecast.samples)


def test_a_day_does_not_depend_on_the_days_asked_with_it(case: Case) -> None:
    """A day's samples are the same whatever the horizon or the start (what the API and the
    backtest rely on to compare forecasts day by day)."""
    week = case.issue(_spec(case.t, horizon=7)).forecast.samples
    head = case.issue(_spec(case.t, horizon=3)).forecast.samples
    tail = case.issue(_spec(case.t, horizon=4, start=case.t + 3 * DAY)).forecast.samples
    assert np.array_equal(week[:, :3], head)
    assert np.array_equal(week[:, 3:], tail)


def test_weather_given_is_used_as_it_is(case: Case) -> None:
    """A backtest shares one weather draw among its models: passed in, it is not rebuilt."""
    spec = _spec(case.t, horizon=5)
    f = case.issue(spec)
    g = issue_forecast(case.model, case.arrivals, case.history, spec, weather=f.weather)
    assert g.weather is f.weather
    assert np.array_equal(f.forecast.samples, g.forecast.samples)


# --------------------------------------------------------------------------- weather sources


def _covered(case: Case, t: pd.Timestamp) -> int:
    """How many days from `t` on the stored weather reaches."""
    return (case.weather_end - t).days + 1


@pytest.mark.parametrize("mode", ["forecast", "climatology", "observed"])
def test_weather_sources_follow_the_mode(case: Case, mode: str) -> None:
    """From the issue date on: in `forecast` mode, a forecast simulated from the stored
    observations where they reach, then climatology; `climatology`; `observed` is hindsight
    (asked here only over the days the weather reaches)."""
    n = _covered(case, case.t)
    assert n == WEATHER_AHEAD
    expected = {
        "forecast": ("simulated",) * n + ("climatology",) * (MAX_HORIZON - n),
        "climatology": ("climatology",) * MAX_HORIZON,
        "observed": ("hindsight",) * n,
    }[mode]
    f = case.issue(_spec(case.t, horizon=len(expected), mode=mode))
    assert f.sources == expected
    assert f.weather is not None and f.weather.sources == expected  # no bridge here


def test_hindsight_past_the_stored_weather_is_refused(case: Case) -> None:
    last = case.weather_end + DAY
    with pytest.raises(InputError, match=f"none for {last.date()}"):
        case.issue(_spec(case.t, horizon=WEATHER_AHEAD + 1, mode="observed"))


def test_the_callers_weather_takes_its_days(case: Case) -> None:
    """A scenario day is `request`; the live provider's days are `forecast`; the rest of
    the days keep the mode's own source."""
    spec = _spec(case.t, horizon=5)
    day = (case.t + DAY).date()
    scenario = {day: dict.fromkeys(case.model.weather_variables, 3.0)}
    f = issue_forecast(
        case.model, case.arrivals, case.history, spec, WeatherInputs(requested=scenario)
    )
    assert f.sources == ("simulated", "request", "simulated", "simulated", "simulated")
    live = pd.DataFrame(
        dict.fromkeys(case.model.weather_variables, 2.0),
        index=pd.date_range(case.t, periods=2, freq="D"),
    )
    g = issue_forecast(case.model, case.arrivals, case.history, spec, WeatherInputs(live=live))
    assert g.sources == ("forecast", "forecast", "simulated", "simulated", "simulated")


def test_a_weather_blind_model_reads_no_weather(case: Case) -> None:
    f = case.issue(_spec(case.t, horizon=4), model=case.blind)
    assert f.sources == ("none",) * 4 and f.weather is None


# --------------------------------------------------------------------------- the bridge


def test_days_before_the_issue_date_are_bridged_with_the_observed_weather(case: Case) -> None:
    t = case.t + 4 * DAY  # the arrivals end 5 days before T: 4 days to bridge
    f = case.issue(_spec(t, horizon=3))
    assert (f.data_end, f.bridged_days, f.lead_offset) == (case.end, 4, 0)
    assert list(f.forecast.dates) == list(pd.date_range(t, periods=3, freq="D"))
    fw = f.weather
    assert fw is not None
    assert list(fw.dates) == list(pd.date_range(case.end + DAY, t + 2 * DAY, freq="D"))
    assert fw.sources == ("observed",) * 4 + ("simulated",) * 3
    assert f.sources == ("simulated",) * 3
    # Every path carries the observed values on the bridged days.
    observed = case.weather.set_index("date").loc[fw.dates[:4], list(fw.columns)].to_numpy()
    assert np.allclose(fw.values[:, :4, :], observed[None, :, :])


def test_arrivals_ending_early_are_bridged_and_the_model_is_left_as_it_was(case: Case) -> None:
    """Arrivals ending 10 days before the model's last day: the state is taken from them
    and the 10 days up to T are simulated; the fitted model itself does not change."""
    before = case.issue(_spec(case.t, horizon=3)).forecast.samples
    short = case.arrivals.iloc[:-10]
    f = case.issue(_spec(case.t, horizon=3), arrivals=short)
    assert (f.data_end, f.bridged_days) == (case.end - 10 * DAY, 10)
    assert f.weather is not None and f.weather.sources[:10] == ("observed",) * 10
    assert case.model.last_date_ == case.end
    assert np.array_equal(case.issue(_spec(case.t, horizon=3)).forecast.samples, before)


def test_the_longest_bridge_past_the_stored_weather_takes_climatology(case: Case) -> None:
    t = case.t + MAX_BRIDGE_DAYS * DAY
    f = case.issue(_spec(t, horizon=2))
    assert f.bridged_days == MAX_BRIDGE_DAYS
    assert f.weather is not None
    n_observed = (case.weather_end - case.end).days  # D+1 .. D+10
    expected = ("observed",) * n_observed + ("climatology",) * (MAX_BRIDGE_DAYS - n_observed)
    assert f.weather.sources[:MAX_BRIDGE_DAYS] == expected
    assert f.sources == ("climatology",) * 2  # the weather ends before T


def test_a_bridge_over_the_limit_is_refused(case: Case) -> None:
    t = case.t + (MAX_BRIDGE_DAYS + 1) * DAY
    with pytest.raises(CannotIssue, match=f"at most {MAX_BRIDGE_DAYS} days can be bridged") as e:
        case.issue(_spec(t, horizon=2))
    assert e.value.field == "as_of"


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("issue_date", "start_days", "horizon", "field", "message"),
    [
        (None, None, MAX_HORIZON + 1, "horizon", f"between 1 and {MAX_HORIZON} days, got 15"),
        (None, -1, 3, "start", "is before the issue date"),
        (None, 10, 7, "start", "the latest start is 2022-07-22"),  # T + 7
        ("2020-06-01", None, 3, "as_of", "no arrivals before 2020-06-01"),
    ],
)
def test_a_window_that_cannot_be_issued_is_refused(
    case: Case,
    issue_date: str | None,
    start_days: int | None,
    horizon: int,
    field: str,
    message: str,
) -> None:
    t = case.t if issue_date is None else pd.Timestamp(issue_date)
    start = None if start_days is None else t + start_days * DAY
    with pytest.raises(CannotIssue, match=message) as e:
        case.issue(_spec(t, start=start, horizon=horizon))
    assert e.value.field == field


def test_no_sample_paths_is_refused(case: Case) -> None:
    with pytest.raises(ValueError, match="n_samples must be at least 1"):
        case.issue(IssueSpec(case.t, horizon=3, n_samples=0))


# Specs no forecast can meet are refused when the spec is made, naming the field.
def test_a_zero_horizon_is_refused(case: Case) -> None:
    with pytest.raises(ValueError, match="horizon"):
        case.issue(_spec(case.t, horizon=0))


def test_a_negative_horizon_is_refused(case: Case) -> None:
    with pytest.raises(ValueError, match="horizon"):
        case.issue(_spec(case.t, horizon=-1))


def test_negative_sample_paths_are_refused(case: Case) -> None:
    with pytest.raises(ValueError, match="n_samples"):
        case.issue(IssueSpec(case.t, horizon=3, n_samples=-5))


def test_an_unknown_weather_mode_is_refused(case: Case) -> None:
    with pytest.raises(ValueError, match="mode"):
        case.issue(_spec(case.t, horizon=3, mode="forecats"))
