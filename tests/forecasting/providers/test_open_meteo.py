"""Open-Meteo HTTP client against a local fake Open-Meteo server (a real HTTP server on
127.0.0.1, no mocks, no internet): requests, retries, timeouts and errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pandas as pd
import pytest

from forecasting import schema
from forecasting.contract import STRAIT_OF_DOVER
from forecasting.errors import ConfigError
from forecasting.providers.open_meteo import (
    ARCHIVE_DAILY,
    FORECAST_DAILY,
    OpenMeteoClient,
    WeatherProviderError,
)
from tests.forecasting.providers.conftest import FakeOpenMeteo


@pytest.fixture
def client(server: FakeOpenMeteo) -> Iterator[OpenMeteoClient]:
    with OpenMeteoClient(
        base_url=server.base_url,
        archive_url=server.base_url + "/",
        previous_runs_url=server.base_url,
        timeout=1.0,
        retries=3,
        backoff=0.01,
    ) as c:
        yield c


# --------------------------------------------------------------------------- client


def test_forecast_success(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    df = client.forecast(*STRAIT_OF_DOVER, days=5)
    assert len(df) == 5
    assert df[schema.DATE].iloc[0] == pd.Timestamp("2024-06-01")
    assert list(df.columns) == [schema.DATE, *schema.WEATHER_COLUMNS]
    assert df["wind_mean_ms"].tolist() == pytest.approx([4.0, 5.0, 6.0, 7.0, 8.0])
    assert df["cloud_octas"].tolist() == pytest.approx([4.0] * 5)
    assert df.attrs == {
        "source": "open-meteo-forecast",
        "location": "51.00N 1.50E",
        "latitude": 51.0,
        "longitude": 1.5,
    }

    [(path, query)] = server.requests
    assert path == "/v1/forecast"
    assert query["wind_speed_unit"] == "ms"
    assert query["timezone"] == "Europe/London"
    assert query["forecast_days"] == "5"
    assert (float(query["latitude"]), float(query["longitude"])) == STRAIT_OF_DOVER
    assert query["daily"].split(",") == list(FORECAST_DAILY)


def test_archive_success(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    df = client.archive(51.0, 1.5, date(2023, 1, 30), date(2023, 2, 2))
    assert df[schema.DATE].tolist() == list(pd.date_range("2023-01-30", "2023-02-02"))
    assert "visibility_min_m" not in df.columns
    assert df["gust_max_ms"].tolist() == pytest.approx([9.0, 10.0, 11.0, 12.0])
    assert df.attrs["source"] == "open-meteo-archive"
    [(path, query)] = server.requests
    assert path == "/v1/archive"
    assert (query["start_date"], query["end_date"]) == ("2023-01-30", "2023-02-02")
    assert query["wind_speed_unit"] == "ms"
    assert query["timezone"] == "Europe/London"
    assert query["daily"].split(",") == list(ARCHIVE_DAILY)


def test_retries_503_then_succeeds(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first = 2
    df = client.forecast(51.0, 1.5, days=3)
    assert len(df) == 3
    assert len(server.requests) == 3


def test_retries_429(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first, server.fail_status = 1, 429
    assert len(client.forecast(51.0, 1.5, days=2)) == 2
    assert len(server.requests) == 2


def test_gives_up_after_bounded_retries(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first = 100
    with pytest.raises(WeatherProviderError, match="HTTP 503") as err:
        client.forecast(51.0, 1.5)
    assert f"{server.base_url}/v1/forecast" in str(err.value)
    assert "3 attempts" in str(err.value)
    assert len(server.requests) == 3


def test_400_is_not_retried(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.fail_first, server.fail_status = 100, 400
    with pytest.raises(WeatherProviderError, match="HTTP 400"):
        client.forecast(51.0, 1.5)
    assert len(server.requests) == 1


def test_api_error_reason_is_reported(server: FakeOpenMeteo, client: OpenMeteoClient) -> None:
    server.unknown = {"pressure_msl_mean"}  # the real API answers 400 {"error", "reason"}
    with pytest.raises(WeatherProviderError, match="Cannot initialize") as err:
        client.archive(51.0, 1.5, date(2024, 1, 1), date(2024, 1, 2))
    assert f"{server.base_url}/v1/archive" in str(err.value)
    assert len(server.requests) == 1


def test_timeout_gives_up(server: FakeOpenMeteo) -> None:
    server.hang_first, server.hang_seconds = 100, 5.0
    t0 = time.monotonic()
    with (
        OpenMeteoClient(server.base_url, timeout=0.2, retries=2, backoff=0.01) as c,
        pytest.raises(WeatherProviderError, match="timed out after 2 attempts") as err,
    ):
        c.forecast(51.0, 1.5)
    assert time.monotonic() - t0 < 2.0
    assert server.base_url in str(err.value)
    assert len(server.requests) == 2


def test_timeout_then_success(server: FakeOpenMeteo) -> None:
    server.hang_first, server.hang_seconds = 1, 5.0
    with OpenMeteoClient(server.base_url, timeout=0.2, retries=3, backoff=0.01) as c:
        assert len(c.forecast(51.0, 1.5, days=2)) == 2
    assert len(server.requests) == 2


def test_connection_refused() -> None:
    # Bind then close a socket to get a port with nothing listening.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        OpenMeteoClient(f"http://127.0.0.1:{port}", retries=2, backoff=0.01) as c,
        pytest.raises(WeatherProviderError, match=rf"127\.0\.0\.1:{port}/v1/forecast"),
    ):
        c.forecast(51.0, 1.5)


def test_injected_client_is_used_and_left_open(server: FakeOpenMeteo) -> None:
    with httpx.Client(trust_env=False) as http:
        c = OpenMeteoClient(server.base_url, client=http, backoff=0.01)
        assert len(c.forecast(51.0, 1.5, days=1)) == 1
        c.close()
        assert not http.is_closed


@pytest.mark.parametrize("kwargs", [{"retries": 0}, {"timeout": 0.0}, {"timeout": -1.0}], ids=str)
def test_bad_client_config(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        OpenMeteoClient(**kwargs)


def test_bad_request_arguments(client: OpenMeteoClient, server: FakeOpenMeteo) -> None:
    with pytest.raises(ConfigError, match="days"):
        client.forecast(51.0, 1.5, days=17)
    with pytest.raises(ConfigError, match="before start"):
        client.archive(51.0, 1.5, date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(ConfigError, match="coordinates"):
        client.forecast(91.0, 1.5)
    assert server.requests == []


def test_previous_runs_asks_for_every_lead(client: OpenMeteoClient, server: FakeOpenMeteo) -> None:
    table = client.previous_runs(51.0, 1.5, date(2024, 3, 1), date(2024, 3, 3), leads=2)
    assert table["lead"].tolist() == [2, 1, 2, 1, 2, 1]
    assert table.attrs["source"] == "open-meteo-previous-runs"
    ((path, query),) = server.requests
    assert path == "/v1/forecast" and "daily" not in query
    assert query["hourly"].split(",")[:2] == [
        "wind_speed_10m_previous_day1",
        "wind_gusts_10m_previous_day1",
    ]
    assert query["hourly"].endswith("cloud_cover_previous_day2")
    assert (query["start_date"], query["end_date"]) == ("2024-03-01", "2024-03-03")
    assert query["wind_speed_unit"] == "ms" and query["timezone"] == "Europe/London"
    with pytest.raises(ConfigError, match="leads must be between 1 and 7"):
        client.previous_runs(51.0, 1.5, date(2024, 3, 1), date(2024, 3, 3), leads=8)
    with pytest.raises(ConfigError, match="before start"):
        client.previous_runs(51.0, 1.5, date(2024, 3, 3), date(2024, 3, 1))
